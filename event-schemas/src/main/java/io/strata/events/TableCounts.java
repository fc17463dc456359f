package io.strata.events;

/** Rows inserted, updated and deleted in one table. */
public record TableCounts(String table, long inserted, long updated, long deleted) {}
