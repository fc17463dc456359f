package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.StashCreated;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.BranchSchemaDecider;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A hard reset of a branch other than the default one moves the columns it added through Strata with its
 * rows: to the columns it had added when the commit it is reset to was made (a commit records them:
 * {@code strata_meta.commit_added}; a commit of another branch, none). Columns added since are dropped
 * (unless the table has them now: promoted, they are in the commit's rows too), columns dropped since are
 * added back with their definitions, before the rows move — so the rows written back carry the values the
 * commit had in them. A column altered since (its type or nullability) is altered back, its values
 * converted as an alter converts them: before the rows move when every value the branch has converts,
 * else after (the rows move in the wider type; a value the commit's type cannot hold goes with them, the
 * rows the reset does not touch had the commit's values). Zero-copy both ways, like the schema commands. The
 * branch then shows its columns under the names the commit's branch showed them (none for a commit of a branch
 * that renamed none): its views made again, nothing else.
 */
@ApplicationScoped
public class BranchSchemaResets {
  private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(BranchSchemaResets.class);

  private final StorageBackends backends;
  private final BranchDefinitionResets definitions;
  private final io.strata.server.runtime.StrataConfig config;

  @Inject
  public BranchSchemaResets(StorageBackends backends, BranchDefinitionResets definitions,
      io.strata.server.runtime.StrataConfig config) {
    this.backends = backends;
    this.definitions = definitions;
    this.config = config;
  }

  /**
   * The schema changes made (to record with the reset), the tables as the branch reads them while its rows
   * move, and the work left for after they moved (columns altered back).
   */
  public record Moved(List<TableBranchSchemaChanged> events, List<TableRow> tracked,
      java.util.function.Supplier<Uni<Void>> afterRows) {
    static Moved none(List<TableRow> tracked) {
      return new Moved(List.of(), tracked, () -> Uni.createFrom().voidItem());
    }
  }

  /**
   * Gives {@code branch} the columns it had added at commit {@code to}, in {@code tx} (the reset's own).
   * Refused (422, nothing changed) when a column to add back has a name the branch or the table has now.
   */
  Uni<Moved> toCommit(UnitOfWork tx, RepositoryState state, String repository, String branch, String to,
      List<TableRow> tracked) {
    return toRecord(tx, state, repository, branch, to, to, tracked);
  }

  /**
   * Gives {@code branch} the shapes of {@code tracked} that {@code stash} holds (those it had when it was saved),
   * as {@link #toCommit} gives a commit's: the stash's record of them read as a commit's, the table's own columns
   * as they were at the head it was saved at.
   */
  Uni<Moved> toStash(UnitOfWork tx, RepositoryState state, String repository, String branch, StashCreated stash,
      List<TableRow> tracked) {
    return toRecord(tx, state, repository, branch, stash.schemaKey(), stash.head(), tracked);
  }

  /** The shapes recorded under {@code key} (a commit's id, a stash's key), the table's columns as at {@code commit}. */
  private Uni<Moved> toRecord(UnitOfWork tx, RepositoryState state, String repository, String branch, String key,
      String commit, List<TableRow> tracked) {
    return columnsAt(tx, state, repository, branch, key, commit, tracked)
        .chain(moved -> CommitGraphReads.redefinedAt(tx, repository, key)
            .chain(wanted -> definitions.redefining(tx, state, repository, branch, moved, wanted)))
        .chain(moved -> CommitGraphReads.constraintsAt(tx, repository, key)
            .chain(wanted -> definitions.checking(tx, state, repository, branch, moved, wanted)));
  }

  private Uni<Moved> columnsAt(UnitOfWork tx, RepositoryState state, String repository, String branch, String key,
      String commit, List<TableRow> tracked) {
    return CommitGraphReads.addedAt(tx, repository, key).chain(target -> CommitGraphReads.shapeColumnNamesAt(tx,
        repository, commit).chain(shapeNames -> CommitGraphReads.columnNamesAt(tx, repository, key).chain(recorded ->
        CommitGraphReads.renamedAt(tx, repository, key).chain(renamedThen ->
        alterable(state, repository, branch, target, tracked).chain(alterable -> {
      List<TableBranchSchemaChanged> events = new ArrayList<>();
      List<TableRow> after = new ArrayList<>();
      // a table in a database of its own has its shape changed in a transaction of its own, committed before the rows
      // move: the move's refusal of its working changes comes first, before any of them is changed
      Uni<Void> work = requireCleanElsewhere(tx, state, repository, branch, tracked);
      List<java.util.function.Supplier<Uni<Void>>> afterRows = new ArrayList<>();
      for (TableRow row : tracked) {
        String table = row.name();
        List<TableShape.Column> current = state.addedOn(table, branch);
        List<TableShape.Column> wanted = target.getOrDefault(table, List.of());
        if (!state.tables().containsKey(table)) {
          after.add(row);
          continue;
        }
        // the table's own columns: those the branch reads that the commit's branch had dropped go, those the
        // commit's rows have that the branch dropped since come back with the values they had there
        TableTracked own = state.tables().get(table);
        Set<String> reads = state.columnsOn(table, branch).stream().map(TableColumn::name).collect(Collectors.toSet());
        Set<String> addedNow = current.stream().map(TableShape.Column::name).collect(Collectors.toSet());
        // a column of the table is the commit branch's choice only where the table had it then
        List<String> tableThen = shapeNames.getOrDefault(table, List.of());
        List<String> commitRead = recorded.get(table);
        List<String> commitHas = commitRead != null ? commitRead : shapeNames.get(table);
        List<TableColumn> restored = commitHas == null ? List.of() : own.columns().stream()
            .filter(c -> commitHas.contains(c.name()) && tableThen.contains(c.name()) && !reads.contains(c.name()))
            .toList();
        Map<String, TableShape.Column> ownDefinitions = BranchSchemaDecider.tableColumns(own);
        List<TableShape.Column> droppedOwn = commitRead == null ? List.of() : own.columns().stream()
            .filter(c -> reads.contains(c.name()) && !addedNow.contains(c.name()) && !commitRead.contains(c.name())
                && tableThen.contains(c.name()) && !own.primaryKey().contains(c.name()))
            .map(c -> ownDefinitions.get(c.name())).toList();
        Map<String, String> renamedNow = state.renamedOn(table, branch);
        Map<String, String> renamedWanted = renamedThen.getOrDefault(table, Map.of());
        if (current.equals(wanted) && restored.isEmpty() && droppedOwn.isEmpty()) {
          if (renamedNow.equals(renamedWanted)) {
            after.add(row);
            continue;
          }
          // the same columns, shown under the names the commit's branch showed them (but for a name a column of
          // the table has taken since)
          Map<String, String> shown = io.strata.server.domain.ShownNames.consistent(renamedWanted,
              state.columnsOn(table, branch).stream().map(TableColumn::name).toList());
          if (shown.equals(renamedNow)) {
            after.add(row);
            continue;
          }
          events.add(new TableBranchSchemaChanged(table, branch, renameOperations(state, table, branch, shown),
              state.columnsOn(table, branch), current, shown, state.redefinedOn(table, branch),
              state.constraintsOn(table, branch)));
          after.add(row.withBranchShape(branch, state.columnsOn(table, branch), current, shown));
          TrackedTable same = TrackedTable.on(repository, row, branch);
          work = work.chain(() -> backends.inCommand(tx, repository, own.storage(),
              c -> BranchSchemaCommands.rename(c, same, branch, shown)));
          continue;
        }
        // a column the table has now (promoted) stays: the commit's rows of the table read it too
        Set<String> tableHas = state.tables().get(table).columns().stream().map(TableColumn::name)
            .collect(Collectors.toSet());
        // a column of the same name in both, defined otherwise: altered back when the commit's is what
        // alter_column makes of it now; else (dropped and added again another way) dropped and added back
        Set<String> wantedNames = wanted.stream().map(TableShape.Column::name).collect(Collectors.toSet());
        Set<String> alterNames = alterable.getOrDefault(table, Set.of());
        List<TableShape.Column> alters = wanted.stream().filter(c -> !current.contains(c)
            && current.stream().anyMatch(x -> x.name().equals(c.name())) && alterNames.contains(c.name())).toList();
        Set<String> redefined = wanted.stream().filter(c -> !current.contains(c) && !alterNames.contains(c.name())
            && current.stream().anyMatch(x -> x.name().equals(c.name()))).map(TableShape.Column::name)
            .collect(Collectors.toSet());
        List<TableShape.Column> dropped = new ArrayList<>(current.stream().filter(c -> redefined.contains(c.name())
            || !wantedNames.contains(c.name()) && !tableHas.contains(c.name())).toList());
        dropped.addAll(droppedOwn);
        List<String> dropNames = dropped.stream().map(TableShape.Column::name).toList();
        List<TableShape.Column> adds = wanted.stream().filter(c -> redefined.contains(c.name())
            || current.stream().noneMatch(x -> x.name().equals(c.name()))).toList();
        if (dropped.isEmpty() && adds.isEmpty() && alters.isEmpty() && restored.isEmpty()) {
          after.add(row);
          continue;
        }
        List<TableColumn> columnsMid = state.columnsOn(table, branch).stream()
            .filter(c -> !dropNames.contains(c.name())).toList();
        List<TableShape.Column> addedMid = current.stream().filter(c -> !dropNames.contains(c.name())).toList();
        requireAddable(state.tables().get(table), branch, columnsMid, adds);
        TrackedTable beforeRestore = new TrackedTable(repository, table, own.schema(), own.table(), own.primaryKey(),
            own.columns(), columnsMid, addedMid);
        List<TableColumn> columnsRestored = restored.isEmpty() ? columnsMid : beforeRestore.columnsRestoring(restored);
        List<TableColumn> columnsMoving = new ArrayList<>(columnsRestored);
        adds.forEach(c -> columnsMoving.add(c.asTableColumn()));
        List<TableShape.Column> addedMoving = new ArrayList<>(addedMid);
        addedMoving.addAll(adds);
        List<TableColumn> columnsAfter = columnsMoving.stream().map(c -> alters.stream()
            .filter(a -> a.name().equals(c.name())).findFirst().map(TableShape.Column::asTableColumn).orElse(c)).toList();
        List<TableShape.Column> addedAfter = addedMoving.stream().map(c -> alters.stream()
            .filter(a -> a.name().equals(c.name())).findFirst().orElse(c)).toList();
        List<TableBranchSchemaChanged.Operation> operations = new ArrayList<>();
        dropped.forEach(c -> operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.DROP_COLUMN, c)));
        restored.forEach(c -> operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ADD_COLUMN,
            ownDefinitions.get(c.name()))));
        adds.forEach(c -> operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ADD_COLUMN, c)));
        alters.forEach(c -> operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ALTER_COLUMN, c)));
        // the names the commit's branch showed its columns under, of the columns it has after
        Map<String, String> renamedAfter = io.strata.server.domain.ShownNames.consistent(renamedWanted,
            columnsAfter.stream().map(TableColumn::name).toList());
        operations.addAll(renameOperations(state, table, branch, renamedAfter).stream()
            .filter(o -> columnsAfter.stream().anyMatch(x -> x.name().equals(o.from())
                || renamedNow.getOrDefault(x.name(), x.name()).equals(o.from()))).toList());
        events.add(new TableBranchSchemaChanged(table, branch, operations, columnsAfter, addedAfter, renamedAfter,
            BranchSchemaDecider.redefinedAmong(state.redefinedOn(table, branch), columnsAfter),
            state.constraintsOn(table, branch)));
        int at = after.size();
        after.add(row.withBranchShape(branch, columnsMoving, addedMoving, renamedAfter));

        TableTracked t = state.tables().get(table);
        TrackedTable before = new TrackedTable(repository, table, t.schema(), t.table(), t.primaryKey(), t.columns(),
            state.columnsOn(table, branch), current);
        TrackedTable mid = new TrackedTable(repository, table, t.schema(), t.table(), t.primaryKey(), t.columns(),
            columnsMid, addedMid);
        TrackedTable midRestored = new TrackedTable(repository, table, t.schema(), t.table(), t.primaryKey(),
            t.columns(), columnsRestored, addedMid);
        TrackedTable moving = new TrackedTable(repository, table, t.schema(), t.table(), t.primaryKey(), t.columns(),
            columnsMoving, addedMoving);
        work = work
            .chain(() -> dropNames.isEmpty() ? Uni.createFrom().voidItem() : backends.inCommand(tx, repository,
                t.storage(), c -> BranchSchemaCommands.dropMoving(c, before, branch, dropNames)))
            // a column of the table the branch dropped since comes back with the values its rows had at the
            // commit (the commit's state taken from the default branch's, as a branch created there reads it)
            .chain(() -> restored.isEmpty() ? Uni.createFrom().voidItem() : backends.inCommand(tx, repository,
                t.storage(), c -> c.roles().branchObjects().restoreColumns(c, mid, branch, restored)))
            .chain(() -> adds.isEmpty() ? Uni.createFrom().voidItem() : backends.inCommand(tx, repository,
                t.storage(), c -> c.roles().branchObjects().addColumns(c, midRestored, branch, adds)))
            // then shown under the commit's names (the objects' other changes kept the names still shown)
            .chain(() -> renamedAfter.equals(renamedNow) ? Uni.createFrom().voidItem() : backends.inCommand(tx,
                repository, t.storage(), c -> BranchSchemaCommands.rename(c, moving, branch, renamedAfter)));
        if (!restored.isEmpty()) {
          // once the rows moved: every row the branch holds takes its values of the columns given back at the
          // commit (its state taken from the default branch's, as a branch created there reads it)
          // with the branch's own NOT NULL rules of the table's columns (its overlay's check is made again)
          TrackedTable filled = new TrackedTable(repository, table, t.schema(), t.table(), t.primaryKey(), t.columns(),
              columnsMoving, addedMoving).withRedefined(state.redefinedOn(table, branch));
          afterRows.add(() -> CommitGraphReads.pathsBetween(tx, repository, state.branch(state.defaultBranch()).head(),
                  commit)
              .chain(paths -> backends.inCommand(tx, repository, t.storage(), c -> c.roles().branchObjects()
                  .fillRestoredColumns(c, filled, branch, restored, new io.strata.projections.rowdata.StatePath(
                      paths.undo(table), paths.redo(table), true))
                  // the table's own unique constraints on the columns given back are held again, as at a creation
                  // (not where the rows the branch holds now share their values)
                  .chain(() -> c.roles().branchObjects().holdTableUniques(c, new TrackedTable(repository, table,
                      t.schema(), t.table(), t.primaryKey(), t.columns(), columnsMoving, addedMoving, renamedAfter,
                      state.redefinedOn(table, branch)), branch, config.schema().migrationLockTimeout())
                      .invoke(held -> {
                        if (held != io.strata.projections.rowdata.BranchObjects.Hold.HELD) {
                          LOG.warnf("branch %s of repository %s does not hold table %s's unique constraints on the"
                              + " columns a reset gave back: %s", branch, repository, table, held);
                        }
                      })
                      .replaceWithVoid()))));
        }
        if (!alters.isEmpty()) {
          // before the rows move: the types where every value the branch holds converts unchanged, and NOT NULL
          // relaxed where the commit's column is nullable (its rows may bring nulls back); the rest after them
          Map<String, TableShape.Column> now = new java.util.HashMap<>();
          current.forEach(c -> now.put(c.name(), c));
          List<TableShape.Column> typedRelaxed = alters.stream().map(a -> redefinedAs(a, a.type(),
              now.get(a.name()).nullable() || a.nullable())).filter(a -> !now.get(a.name()).equals(a)).toList();
          List<TableShape.Column> relaxed = alters.stream().filter(a -> a.nullable() && !now.get(a.name()).nullable())
              .map(a -> redefinedAs(now.get(a.name()), now.get(a.name()).type(), true)).toList();
          work = work.chain(() -> typedRelaxed.isEmpty() ? Uni.createFrom().item(true) : backends.inCommand(tx,
                  repository, t.storage(), c -> c.roles().branchObjects().alterColumnsIfTheyConvert(c, moving, branch,
                      typedRelaxed)))
              .call(altered -> altered || relaxed.isEmpty() ? Uni.createFrom().voidItem() : backends.inCommand(tx,
                  repository, t.storage(), c -> BranchColumnAlterations.alter(c, moving, branch, relaxed)))
              .invoke(altered -> {
                TableRow early = SchemaMerges.redefined(row.withBranchShape(branch, columnsMoving, addedMoving), branch,
                    altered ? typedRelaxed : relaxed);
                after.set(at, early);
                List<TableShape.Column> left = alters.stream().filter(a -> !early.addedOn(branch).contains(a)).toList();
                if (!left.isEmpty()) {
                  afterRows.add(() -> backends.inCommand(tx, repository, t.storage(),
                      c -> BranchColumnAlterations.alter(c, TrackedTable.on(repository, early, branch), branch, left)));
                }
              })
              .replaceWithVoid();
        }
      }
      java.util.function.Supplier<Uni<Void>> altering = () -> {
        Uni<Void> all = Uni.createFrom().voidItem();
        for (java.util.function.Supplier<Uni<Void>> a : afterRows) {
          all = all.chain(a::get);
        }
        return all;
      };
      return work.map(x -> new Moved(List.copyOf(events), List.copyOf(after), altering));
    })))));
  }

  /** Refuses (409) a reset of a branch with working changes in a table of a database other than the log's. */
  private Uni<Void> requireCleanElsewhere(UnitOfWork tx, RepositoryState state, String repository, String branch,
      List<TableRow> tracked) {
    io.strata.projections.rowdata.BranchRef ref = io.strata.projections.rowdata.BranchRef.of(branch,
        state.defaultBranch());
    Uni<Void> checks = Uni.createFrom().voidItem();
    for (TableRow row : tracked) {
      if (state.tables().containsKey(row.name()) && !backends.sharesAppendTransaction(row.storage())) {
        checks = checks.chain(() -> backends.inCommand(tx, repository, row.storage(), c -> CleanTables.require(c,
            TrackedTable.on(repository, row, branch), ref, "the reset, in another database,")));
      }
    }
    return checks;
  }

  /**
   * The rename_column operations that show {@code branch}'s columns of {@code table} under {@code wanted}'s
   * names (stored name to shown name) rather than those it shows now: each column whose shown name changes,
   * its definition under the new name and the name it had.
   */
  private static List<TableBranchSchemaChanged.Operation> renameOperations(RepositoryState state, String table,
      String branch, Map<String, String> wanted) {
    Map<String, String> now = state.renamedOn(table, branch);
    Map<String, TableShape.Column> defined = new java.util.LinkedHashMap<>(BranchSchemaDecider.tableColumns(
        state.tables().get(table)));
    state.addedOn(table, branch).forEach(a -> defined.put(a.name(), a));
    List<TableBranchSchemaChanged.Operation> operations = new ArrayList<>();
    java.util.Set<String> names = new java.util.TreeSet<>(now.keySet());
    names.addAll(wanted.keySet());
    for (String stored : names) {
      String from = now.getOrDefault(stored, stored);
      String to = wanted.getOrDefault(stored, stored);
      TableShape.Column d = defined.get(stored);
      if (!from.equals(to) && d != null) {
        operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.RENAME_COLUMN,
            d.named(to), from));
      }
    }
    return operations;
  }

  /** Column {@code c} with type {@code type} and nullability {@code nullable}. */
  private static TableShape.Column redefinedAs(TableShape.Column c, String type, boolean nullable) {
    return new TableShape.Column(c.name(), type, nullable, c.collation(), c.defaultValue(), c.generated(), c.identity());
  }

  /**
   * Per table, the columns of {@code branch} that the commit has defined otherwise, by name, and that
   * {@code alter_column} makes into the commit's definition (worked out by the table's database, in a
   * transaction rolled back): a hard reset alters those back; the others were dropped and added again.
   */
  private Uni<Map<String, Set<String>>> alterable(RepositoryState state, String repository, String branch,
      Map<String, List<TableShape.Column>> target, List<TableRow> tracked) {
    Map<String, Set<String>> alterable = new java.util.TreeMap<>();
    Uni<Void> probes = Uni.createFrom().voidItem();
    for (TableRow row : tracked) {
      TableTracked t = state.tables().get(row.name());
      if (t == null) {
        continue;
      }
      List<TableShape.Column> current = state.addedOn(row.name(), branch);
      List<TableShape.Column[]> pairs = new ArrayList<>();
      for (TableShape.Column w : target.getOrDefault(row.name(), List.of())) {
        current.stream().filter(c -> c.name().equals(w.name()) && !c.equals(w)).findFirst()
            .ifPresent(c -> pairs.add(new TableShape.Column[] {c, w}));
      }
      if (pairs.isEmpty()) {
        continue;
      }
      List<io.strata.projections.rowdata.BranchObjects.Redefinition> asked = pairs.stream()
          .map(p -> new io.strata.projections.rowdata.BranchObjects.Redefinition(p[0],
              p[0].type().equals(p[1].type()) ? null : p[1].type(), p[1].nullable())).toList();
      probes = probes.chain(() -> backends.begin(repository, t.storage())
          .chain(open -> open.unit().roles().branchObjects().redefine(open.unit(), asked)
              .onTermination().call(open::rollback))
          .onFailure(io.strata.projections.rowdata.BranchObjects.Undefinable.class).recoverWithItem(List.of())
          .invoke(made -> {
            Set<String> names = new java.util.HashSet<>();
            for (int i = 0; i < made.size(); i++) {
              if (io.strata.server.domain.SchemaMerge.same(made.get(i), pairs.get(i)[1])) {
                names.add(pairs.get(i)[1].name());
              }
            }
            alterable.put(row.name(), names);
          })
          .replaceWithVoid());
    }
    return probes.map(x -> alterable);
  }

  /** A column added back must have a name neither the branch (after its drops) nor the table has. */
  private static void requireAddable(TableTracked t, String branch, List<TableColumn> columnsMid,
      List<TableShape.Column> adds) {
    Set<String> taken = columnsMid.stream().map(TableColumn::name).collect(Collectors.toSet());
    t.columns().forEach(c -> taken.add(c.name()));
    for (TableShape.Column c : adds) {
      if (taken.contains(c.name())) {
        throw new StrataException(ErrorCode.ValidationError, "resetting branch '" + branch + "' gives table '"
            + t.name() + "' back column '" + c.name() + "' (" + c.type() + ") it had added at that commit, and the"
            + " table or the branch has a column of that name now: drop it on the branch first, or reset softly",
            Map.of("table", t.name(), "branch", branch, "column", c.name()));
      }
    }
  }
}
