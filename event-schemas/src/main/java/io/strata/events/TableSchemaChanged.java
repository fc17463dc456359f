package io.strata.events;

import java.time.Instant;
import java.util.List;

/**
 * A tracked table's shape changed on a branch: today, DDL made on the table itself (the default
 * branch's working state) by an application — psql, a migration tool, an ORM — that Strata followed.
 * Records the new normalised {@link TableShape}, its hash and the one it replaces, and the statements
 * that made the change as the database received them, with the database user that ran each.
 *
 * @param previousShapeHash the hash of the shape recorded before (of the partial shape of a table
 *     tracked before shapes were recorded)
 */
public record TableSchemaChanged(
    String name,
    String branch,
    TableShape shape,
    String shapeHash,
    String previousShapeHash,
    List<Statement> statements)
    implements StrataEvent {

  /**
   * One DDL command that took part in the change.
   *
   * @param command its tag ({@code ALTER TABLE}, {@code CREATE INDEX}, …)
   * @param sql the statement text the client sent (it may hold several statements; at most 10 000 characters)
   * @param user the database user that ran it
   * @param at when the database filed it
   */
  public record Statement(String command, String sql, String user, Instant at) {}

  public TableSchemaChanged {
    statements = List.copyOf(statements);
  }

  @Override
  public String subject() {
    return "tables/" + name;
  }
}
