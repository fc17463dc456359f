package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.overlay.PgUnit;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.BranchShapeRecords;
import io.strata.projections.tables.TableQueries;
import java.util.List;
import java.util.Map;

/**
 * The commit graph read in a command's append unit of work (the server's own database), so that a
 * command sees the graph in the same snapshot as the rows of its {@code local} tables it works on.
 */
public final class CommitGraphReads {
  private CommitGraphReads() {}

  /** {@link CommitGraph#tree}, read in {@code unit}. */
  public static Uni<String> tree(UnitOfWork unit, String repository, String commit) {
    return CommitGraph.tree(PgUnit.of(unit), repository, commit);
  }

  /** {@link CommitGraph#changeSetsBetween}, read in {@code unit}. */
  public static Uni<Map<String, List<String>>> changeSetsBetween(UnitOfWork unit, String repository,
      String ancestor, String head) {
    return CommitGraph.changeSetsBetween(PgUnit.of(unit), repository, ancestor, head);
  }

  /** {@link CommitGraph#mergeBase}, read in {@code unit}. */
  public static Uni<String> mergeBase(UnitOfWork unit, String repository, String a, String b) {
    return CommitGraph.mergeBase(PgUnit.of(unit), repository, a, b);
  }

  /** {@link TableQueries#renamedAt}, read in {@code unit}: the columns commit's branch showed under other names. */
  public static Uni<Map<String, Map<String, String>>> renamedAt(UnitOfWork unit, String repository, String commit) {
    return BranchShapeRecords.renamedAt(PgUnit.of(unit), repository, commit);
  }

  /** {@link TableQueries#redefinedAt}, read in {@code unit}: the table's columns commit's branch defined otherwise. */
  public static Uni<Map<String, List<TableShape.Column>>> redefinedAt(UnitOfWork unit, String repository,
      String commit) {
    return BranchShapeRecords.redefinedAt(PgUnit.of(unit), repository, commit);
  }

  /** {@link TableQueries#constraintsAt}, read in {@code unit}: the checks commit's branch had added, per table. */
  public static Uni<Map<String, List<TableShape.Constraint>>> constraintsAt(UnitOfWork unit, String repository,
      String commit) {
    return BranchShapeRecords.constraintsAt(PgUnit.of(unit), repository, commit);
  }

  /**
   * {@link BranchShapeRecords#shapesDifferingFrom}, read in {@code unit}: of {@code tables}, those whose shape on the
   * branch differs from commit {@code commit}'s record of it.
   */
  public static Uni<java.util.Set<String>> shapesDifferingFrom(UnitOfWork unit, String repository, String branch,
      String commit, List<String> tables) {
    return tables.isEmpty() ? Uni.createFrom().item(java.util.Set.of())
        : BranchShapeRecords.shapesDifferingFrom(PgUnit.of(unit), repository, branch, commit, commit, tables);
  }

  /** {@link TableQueries#addedAt}, read in {@code unit}: the columns commit's branch had added, per table. */
  public static Uni<Map<String, List<TableShape.Column>>> addedAt(UnitOfWork unit, String repository, String commit) {
    return BranchShapeRecords.addedAt(PgUnit.of(unit), repository, commit);
  }

  /** {@link BranchShapeRecords#recordedOnBranch}, read in {@code unit}. */
  public static Uni<List<String>> recordedOnBranch(UnitOfWork unit, String repository, String table, String branch,
      java.time.Instant since, String head, List<String> names) {
    return BranchShapeRecords.recordedOnBranch(PgUnit.of(unit), repository, table, branch, since, head, names);
  }

  /** {@link TableQueries#columnNamesAt}, read in {@code unit}: the columns commit's branch read, where its own. */
  public static Uni<Map<String, List<String>>> columnNamesAt(UnitOfWork unit, String repository, String commit) {
    return BranchShapeRecords.columnNamesAt(PgUnit.of(unit), repository, commit);
  }

  /** {@link TableQueries#shapeColumnNamesAt}, read in {@code unit}: the table's columns at commit, per table. */
  public static Uni<Map<String, List<String>>> shapeColumnNamesAt(UnitOfWork unit, String repository,
      String commit) {
    return TableQueries.shapeColumnNamesAt(PgUnit.of(unit), repository, commit);
  }

  /** {@link CommitGraph#madeOn}, read in {@code unit}. */
  public static Uni<Boolean> madeOn(UnitOfWork unit, String repository, String commit, String branch,
      java.time.Instant since) {
    return CommitGraph.madeOn(PgUnit.of(unit), repository, commit, branch, since);
  }

  /** {@link CommitGraph#pathsBetween}, read in {@code unit}. */
  public static Uni<CommitGraph.Paths> pathsBetween(UnitOfWork unit, String repository, String from, String to) {
    return CommitGraph.pathsBetween(PgUnit.of(unit), repository, from, to);
  }
}
