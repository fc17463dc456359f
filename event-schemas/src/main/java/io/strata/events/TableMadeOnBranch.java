package io.strata.events;

/**
 * The table just tracked ({@link TableTracked}, in the same append) was made through Strata on {@code branch}, a
 * branch other than the default one, which alone has it: its rows live in that branch's objects, the table it was
 * tracked at is Strata's own (empty), and a merge that brings it into the default branch makes it {@code
 * schema.table} there ({@link TablePlaced}). Until then the branches that have it are those of {@link
 * TableBranchesChanged}, {@code branch} first.
 */
public record TableMadeOnBranch(String name, String branch, String schema, String table) implements StrataEvent {
  @Override
  public String subject() {
    return "tables/" + name;
  }
}
