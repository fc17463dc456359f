package io.strata.events;

/** Row counts of a commit, summed over its tables. */
public record CommitStats(int tables, long inserted, long updated, long deleted) {
  public static final CommitStats EMPTY = new CommitStats(0, 0, 0, 0);
}
