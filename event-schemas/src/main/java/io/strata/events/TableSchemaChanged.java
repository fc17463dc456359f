package io.strata.events;

import java.time.Instant;
import java.util.List;

/**
 * A tracked table's shape changed on a branch: today, DDL made on the table itself (the default
 * branch's working state) by an application — psql, a migration tool, an ORM — that Strata followed.
 * Records the new normalised {@link TableShape}, its hash and the one it replaces, and the DDL commands
 * that made the change (each by its tag and the object it touched, never the statement's text, which may
 * hold other commands), with the database user that ran each.
 *
 * @param previousShapeHash the hash of the shape recorded before (of the partial shape of a table
 *     tracked before shapes were recorded)
 * @param ddlThrough the id of the newest DDL command recorded, in the table's database's own sequence: a
 *     later recording of older commands (another server's round) is no change
 * @param branchColumns every live branch whose columns are not the table's once the change is recorded
 *     (a branch that read the table when it gained columns keeps the ones it had), sorted by branch;
 *     empty when every branch reads the table's columns (always so before v2)
 * @param migration the statements that turn the shape recorded before into this one, in the order a
 *     migration runs them, as Strata writes them for the table's database ({@code ALTER TABLE public.orders
 *     ADD COLUMN …}): what a subscriber replays elsewhere (a replica, a Flyway script); empty before v3
 */
public record TableSchemaChanged(
    String name,
    String branch,
    TableShape shape,
    String shapeHash,
    String previousShapeHash,
    List<Statement> statements,
    long ddlThrough,
    List<BranchColumns> branchColumns,
    List<String> migration)
    implements StrataEvent {

  /** The columns, in order, of a branch whose columns are not its table's. */
  public record BranchColumns(String branch, List<TableColumn> columns) {
    public BranchColumns {
      columns = List.copyOf(columns);
    }
  }

  /**
   * One DDL command that took part in the change.
   *
   * @param command its tag ({@code ALTER TABLE}, {@code CREATE INDEX}, …)
   * @param object what it touched, as the database names it ({@code public.orders_status_idx}, a constraint
   *     {@code orders_total on public.orders}, the table)
   * @param user the database user that ran it
   * @param at when the database filed it
   */
  public record Statement(String command, String object, String user, Instant at) {}

  public TableSchemaChanged {
    statements = List.copyOf(statements);
    branchColumns = branchColumns == null ? List.of() : List.copyOf(branchColumns);
    migration = migration == null ? List.of() : List.copyOf(migration);
  }

  @Override
  public String subject() {
    return "tables/" + name;
  }
}
