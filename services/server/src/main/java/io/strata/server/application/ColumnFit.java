package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ColumnLayouts;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether rows may move from one ref into a branch whose columns may differ (a branch that read a table
 * while the table gained columns keeps the ones it had). A branch reading the table's columns takes rows
 * of the same columns or of fewer (a commit's columns are the table's or fewer; a branch that kept its
 * own has fewer): an image that lacks a column leaves it to the other side of a merge, as the row has it,
 * or to its default for a row inserted. A branch with columns of its own takes rows of a branch of
 * exactly its columns, or of a commit in its own history or made on it; a branch that added columns
 * through Strata also takes rows of the columns it had before it added them. A merge gives the target
 * the columns the source added first ({@link SchemaPromotions}), and the table's own columns it kept out while the
 * table gained them (read from the table again). The rest needs a schema
 * merge, which is not built: refused with a clear 422 before anything changes.
 */
final class ColumnFit {
  private ColumnFit() {}

  /**
   * Refuses {@code operation} into {@code into} of the rows of {@code sourceBranch}'s state (a live
   * branch), or else of commit {@code commit}, for any of {@code tracked} whose columns do not fit. A
   * commit fits a branch with columns of its own only when it is in the branch's history or was made on
   * it since it was created (the branch kept its columns since it read the table: every such commit was
   * made in them); other commits may hold columns the branch lacks.
   */
  static Uni<Void> require(UnitOfWork tx, RepositoryState state, String repo, String into, String sourceBranch,
      String commit, List<TableRow> tracked, String operation) {
    return require(tx, state, repo, into, sourceBranch, commit, tracked, operation, SchemaMerges.Settled.NONE);
  }

  /**
   * {@link #require(UnitOfWork, RepositoryState, String, String, String, String, List, String)} of a merge whose
   * schema conflicts {@code settled} kept the target's columns: the source's rows arrive in their definitions.
   */
  static Uni<Void> require(UnitOfWork tx, RepositoryState state, String repo, String into, String sourceBranch,
      String commit, List<TableRow> tracked, String operation, SchemaMerges.Settled settled) {
    boolean fromBranch = sourceBranch != null && state.branch(sourceBranch) != null;
    SchemaMerges.Settled.SourceRecord recorded = settled.recorded();
    for (TableRow t : tracked) {
      if (state.tables().containsKey(t.name()) && fromBranch) {
        // the columns the source added as the schema merge read them (its head commit's record, whose rows arrive),
        // the table's it reads as its branch has them
        List<TableShape.Column> added = recorded != null ? recorded.added().getOrDefault(t.name(), List.of())
            : state.addedOn(t.name(), sourceBranch);
        List<TableColumn> source = recorded == null ? state.columnsOn(t.name(), sourceBranch)
            : recordedColumns(state.columnsOn(t.name(), sourceBranch), state.addedOn(t.name(), sourceBranch), added);
        // the table's own columns the target dropped since the base: the source's rows arrive without them; those
        // it kept out while the table gained them, which a merge gives it first (still missing only in a dry run)
        Set<String> dropped = settled.ownDroppedByOurs(t.name());
        Set<String> reads = state.columnsOn(t.name(), into).stream().map(TableColumn::name).collect(Collectors.toSet());
        Set<String> taken = Set.copyOf(taken(settled, t.name(), operation));
        check(state, t.name(), into, keptOurs(source, settled.keptOurs(t.name()),
            state.columnsOn(t.name(), into)).stream().filter(c -> !dropped.contains(c.name())
                && !(taken.contains(c.name()) && !reads.contains(c.name()))).toList(), added,
            "'" + sourceBranch + "'", operation);
      }
    }
    // after a schema merge, the columns a branch added through Strata are settled: only columns it kept
    // from before the table gained others still hold a commit of other columns back (those a merge takes first
    // counted as read: the commit's rows then arrive in the table's columns, or fewer)
    List<TableRow> own = tracked.stream().filter(t -> state.hasOwnColumns(t.name(), into)
        && (!settled.columnsMerged() || keptColumns(state, t.name(), into, settled.ownDroppedByOurs(t.name()),
            taken(settled, t.name(), operation)))
        && (keptColumns(state, t.name(), into, Set.of(), List.of()) || !state.addedOn(t.name(), into).isEmpty()))
        .toList();
    if (fromBranch || own.isEmpty() || replaysOwn(state, into, commit, operation)) {
      return Uni.createFrom().voidItem();
    }
    RepositoryState.Branch b = state.branch(into);
    return CommitGraphReads.mergeBase(tx, repo, b.head(), commit)
        .chain(base -> commit.equals(base) || b.createdAt() == null ? Uni.createFrom().item(commit.equals(base))
            : CommitGraphReads.madeOn(tx, repo, commit, into, b.createdAt()))
        .invoke(fits -> {
          if (!fits) {
            String table = own.get(0).name();
            throw new StrataException(ErrorCode.ValidationError, "table '" + table + "' has columns of its own on '"
                + into + "' " + ColumnLayouts.namesAndTypes(state.columnsOn(table, into)) + " (it read the table when"
                + " the table gained columns) and commit " + commit + " was not made in them: its rows may hold other"
                + " columns, and the " + operation + " would need a schema merge, which is not built yet; a branch"
                + " created from '" + state.defaultBranch() + "' now reads the table's columns",
                Map.of("table", table, "branch", into, "operation", operation));
          }
        })
        .replaceWithVoid();
  }

  /**
   * Whether {@code commit} is one the rebase in progress on {@code into} replays: a commit of the branch's history
   * before the rebase moved it, made in its columns as every commit of its history was (the head has moved onto
   * another commit, so its history no longer shows it).
   */
  private static boolean replaysOwn(RepositoryState state, String into, String commit, String operation) {
    RepositoryState.Rebase rebase = state.rebase(into);
    return io.strata.events.AppliedCommit.REBASE.equals(operation) && rebase != null
        && rebase.started().commits().contains(commit);
  }

  /**
   * A source branch's columns {@code live} with those it added now ({@code liveAdded}) as its record has them
   * ({@code recordedAdded}): one added since left out, one dropped since put back, one altered since as it was.
   */
  private static List<TableColumn> recordedColumns(List<TableColumn> live, List<TableShape.Column> liveAdded,
      List<TableShape.Column> recordedAdded) {
    Map<String, TableShape.Column> recorded = new java.util.LinkedHashMap<>();
    recordedAdded.forEach(c -> recorded.put(c.name(), c));
    Set<String> addedNow = liveAdded.stream().map(TableShape.Column::name).collect(Collectors.toSet());
    List<TableColumn> columns = new java.util.ArrayList<>(live.stream()
        .filter(c -> !addedNow.contains(c.name()) || recorded.containsKey(c.name()))
        .map(c -> recorded.containsKey(c.name()) ? recorded.get(c.name()).asTableColumn() : c).toList());
    recorded.values().stream().filter(c -> columns.stream().noneMatch(x -> x.name().equals(c.name())))
        .forEach(c -> columns.add(c.asTableColumn()));
    return columns;
  }

  /**
   * Whether {@code branch} reads other columns of {@code table} than the table's, those it added left aside,
   * those of the table it dropped ({@code dropped}, settled by the schema merge: the rows arrive without
   * them) counted as read, and those the operation takes first ({@code taken}) too, in the table's place.
   */
  private static boolean keptColumns(RepositoryState state, String table, String branch, Set<String> dropped,
      List<String> taken) {
    List<TableColumn> tables = state.tables().get(table).columns();
    // (a column the branch gave a wider type holds every value of the table's: read in the table's type)
    List<TableColumn> own = without(state.columnsOn(table, branch), state.addedOn(table, branch), List.of());
    List<TableColumn> reads = inTableTypes(state, table, taken.isEmpty() ? own
        : TableColumn.restoring(tables, own, taken));
    return !ColumnLayouts.same(reads, tables.stream().filter(c -> !dropped.contains(c.name())).toList());
  }

  /** The table's columns {@code operation} gives the target first when it does not read them: a merge's, a pick's. */
  private static List<String> taken(SchemaMerges.Settled settled, String table, String operation) {
    return MERGE.equals(operation) || io.strata.events.AppliedCommit.CHERRY_PICK.equals(operation)
        ? settled.takes(table) : List.of();
  }

  /** {@code source}'s columns with those of {@code kept} as {@code target} defines them (left out: it has none). */
  private static List<TableColumn> keptOurs(List<TableColumn> source, Set<String> kept, List<TableColumn> target) {
    if (kept.isEmpty()) {
      return source;
    }
    return source.stream()
        .map(c -> !kept.contains(c.name()) ? c
            : target.stream().filter(x -> x.name().equals(c.name())).findFirst().orElse(null))
        .filter(java.util.Objects::nonNull)
        .toList();
  }

  /** The operation whose source's added columns reach the target first ({@link SchemaPromotions}). */
  static final String MERGE = "merge";

  /** {@code columns} without those of {@code added} that {@code kept} has no column of their name. */
  private static List<TableColumn> without(List<TableColumn> columns, List<TableShape.Column> added,
      List<TableColumn> kept) {
    Set<String> leave = added.stream().map(TableShape.Column::name)
        .filter(n -> kept.stream().noneMatch(k -> k.name().equals(n))).collect(Collectors.toSet());
    return columns.stream().filter(c -> !leave.contains(c.name())).toList();
  }

  /** {@code columns} with the table's own in the table's types. */
  private static List<TableColumn> inTableTypes(RepositoryState state, String table, List<TableColumn> columns) {
    List<TableColumn> tables = state.tables().get(table).columns();
    return columns.stream().map(c -> tables.stream().filter(x -> x.name().equals(c.name())).findFirst()
        .map(x -> new TableColumn(c.name(), x.type(), c.nullable())).orElse(c)).toList();
  }

  private static void check(RepositoryState state, String table, String into, List<TableColumn> source,
      List<TableShape.Column> sourceAdded, String sourceName, String operation) {
    List<TableColumn> target = state.columnsOn(table, into);
    // columns the source added that the target lacks: a merge gives them to the target first
    // (SchemaPromotions; still missing only in a dry run), so they are left out here; a rebase does not
    List<TableColumn> arriving = !MERGE.equals(operation) ? source
        : without(source, sourceAdded, target);
    // a branch that added columns takes rows of the columns it had before: they leave its own columns
    // as its rows have them (a row it did not have takes their defaults)
    List<TableColumn> targetBefore = without(target, state.addedOn(table, into), List.of());
    // a branch reading the table's columns (the default branch) takes rows of any of them, in any order: a
    // branch that kept its columns when the table gained others, and added its own since, merges into it
    // a branch that gave the table's columns other types takes rows in the table's: its types read every value of
    // the rows it had as it is, and a value that does not fit refuses the rows (422); a merge gives the target the
    // types the source gave them first (RedefinitionSettlement), or the target keeps its own (schema_strategy ours)
    boolean fits = ColumnLayouts.same(arriving, target)
        || !state.hasOwnColumns(table, into) && ColumnLayouts.within(target, arriving)
        || !state.addedOn(table, into).isEmpty() && ColumnLayouts.same(arriving, targetBefore)
        || ColumnLayouts.same(arriving, inTableTypes(state, table, target))
        || ColumnLayouts.same(arriving, inTableTypes(state, table, targetBefore))
        || MERGE.equals(operation) && ColumnLayouts.same(inTableTypes(state, table, arriving),
            inTableTypes(state, table, target));
    if (!fits) {
      throw new StrataException(ErrorCode.ValidationError, "table '" + table + "' has other columns on " + sourceName
          + " " + ColumnLayouts.namesAndTypes(source) + " than on '" + into + "' " + ColumnLayouts.namesAndTypes(target)
          + ": the " + operation + " would need a schema merge, which is not built yet; a branch created from '"
          + state.defaultBranch() + "' now reads the table's columns", Map.of("table", table, "branch", into,
          "operation", operation));
    }
  }
}
