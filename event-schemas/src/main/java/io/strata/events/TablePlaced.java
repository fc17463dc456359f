package io.strata.events;

/**
 * A table made on a branch ({@link TableMadeOnBranch}) is in the default branch now, at {@code schema.table} of
 * its storage, where a merge made it (moved there, its rows then merged as any table's): every branch has it from
 * now on, as a table tracked on the default branch. {@code shape}: its shape there, the key's constraint named for
 * its place as PostgreSQL names a table's key (null in v1 events: the shape recorded before).
 */
public record TablePlaced(String name, String schema, String table, TableShape shape) implements StrataEvent {
  @Override
  public String subject() {
    return "tables/" + name;
  }
}
