package io.strata.events;

/**
 * The claim check for one table's rows in a commit: the SHA-256 of the change set stored next to the
 * table, its counts, and the table's content after the commit (row count, row-hash sum, content
 * hash). Events never carry row payloads.
 */
public record TableChange(
    String table,
    String changeSet,
    long inserted,
    long updated,
    long deleted,
    long rowCount,
    String rowSum,
    String contentHash) {}
