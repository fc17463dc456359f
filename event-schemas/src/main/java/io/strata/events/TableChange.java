package io.strata.events;

/**
 * The claim check for one table's rows in a commit: the SHA-256 of the change set stored next to the
 * table, and its counts. Events never carry row payloads.
 */
public record TableChange(String table, String changeSet, long inserted, long updated, long deleted) {}
