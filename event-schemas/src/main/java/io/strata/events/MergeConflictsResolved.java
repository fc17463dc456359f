package io.strata.events;

/**
 * Conflicts of the merge in progress on {@code branch} were resolved: those of one table, one row or
 * one field of a row ({@code table}, {@code key}, {@code field} null: all), taking {@code take}
 * ({@code ours}, {@code theirs}, {@code base} or {@code value}); {@code remaining} conflicts are left.
 */
public record MergeConflictsResolved(String branch, String table, String key, String field, String take,
    long resolved, long remaining) implements StrataEvent {
  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
