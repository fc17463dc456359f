package io.strata.projections.delta;

import io.smallrye.mutiny.Uni;
import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.delta.DeltaRefs.State;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StructType;
import io.strata.events.TableShape;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * A branch of a Delta table is a shallow clone (docs/delta.md, §1): a table of its own under the table's
 * {@code _strata/branches/}, whose version 0 adds the start state's files by absolute URI. Creating one writes one
 * log entry and no data file, whatever the table's size; any Delta engine reads and writes it at its location.
 */
final class DeltaBranchObjects {

  public Uni<Void> create(UnitOfWork x, TrackedTable table, String branch, StatePath start) {
    DeltaUnit unit = DeltaUnit.of(x);
    return remove(x, table, branch)
        .chain(() -> DeltaTracking.defaultState(unit, table, start))
        .chain(at -> clone(unit, table, branch, at));
  }

  /**
   * {@link #create}, the branch starting with the columns its source added through Strata: the clone of the source's
   * state has those added before that state; the others are added to it as {@link #addColumns} adds them.
   */
  public Uni<Void> create(UnitOfWork x, TrackedTable table, String branch, StatePath start,
      List<TableShape.Column> inherited) {
    DeltaUnit unit = DeltaUnit.of(x);
    return create(x, table, branch, start)
        .chain(() -> inherited.isEmpty() ? Uni.createFrom().voidItem()
            : DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), branch)
                .chain(ref -> unit.blocking(() -> DeltaColumnWrites.addColumns(unit, ref.root(), inherited, true,
                    table.key()))).replaceWithVoid());
  }

  /**
   * Adds {@code columns} (Delta's types, nullable) to the branch's table in one version of its own (a {@code metaData}
   * action: no data file is written; rows written before read null in them). The branch's other engines see them at
   * once; its rows' changes are unchanged (none), so it stages nothing.
   */
  public Uni<Void> addColumns(UnitOfWork x, TrackedTable table, String branch, List<TableShape.Column> columns) {
    DeltaUnit unit = DeltaUnit.of(x);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), branch)
        .chain(() -> DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), branch))
        .chain(ref -> unit.blocking(() -> DeltaColumnWrites.addColumns(unit, ref.root(), columns, false, table.key())))
        .replaceWithVoid();
  }

  /**
   * A branch's own drop of columns it added, on a table that maps its columns by name: a {@code metaData} version of
   * the branch's table without them, no file rewritten ({@link DeltaSchema#dropColumns}). Their values stay in the
   * branch's files under their physical names, which no column names any more: added again, a column gets a new one
   * (MappedColumns) and reads null, and a hard reset to before the drop moves the table to that state's names. Refused
   * by name otherwise: without column mapping a column's values are stored under its name, so one dropped and added
   * again would read them back; and a column of the table itself dropped on a branch would read as changed to null in
   * every row of its diff.
   */
  public Uni<Void> dropColumns(UnitOfWork x, TrackedTable table, String branch, List<String> names) {
    List<String> own = names.stream().filter(n -> table.refAdded().stream().noneMatch(c -> c.name().equals(n)))
        .toList();
    if (!own.isEmpty()) {
      return Uni.createFrom().failure(DeltaUnsupported.because("dropping a column of the table itself ("
          + String.join(", ", own) + ") on a Delta table's branch is not supported yet: only columns the branch added"
          + " can be dropped there"));
    }
    DeltaUnit unit = DeltaUnit.of(x);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), branch)
        .chain(() -> DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), branch))
        .chain(ref -> unit.blocking(() -> DeltaColumnWrites.atLatest(unit, ref.root(), table.key(),
            (snapshot, transaction) -> {
          if (!MappedColumns.mapped(snapshot)) {
            throw DeltaUnsupported.because("dropping a column (" + String.join(", ", names) + ") on a branch of a"
                + " Delta table that does not map its columns by name (delta.columnMapping.mode = name) is not"
                + " supported: its files keep the values under the column's name, which a column added again would"
                + " read back; a hard reset to a commit from before the branch added it takes it away");
          }
          return DeltaSchema.dropColumns(unit.at(ref.root()), snapshot.getVersion(), names, transaction,
              System.currentTimeMillis());
        })))
        .replaceWithVoid();
  }

  /**
   * Drops {@code names} — columns the branch added — from the branch's table in one version of its own ({@link
   * DeltaSchema#dropColumns}: a {@code metaData} action, no file rewritten), as the first step of a hard reset to a
   * state from before they were added: its files move right after to those of that state, which hold none of them.
   */
  public Uni<Void> dropColumnsMoving(UnitOfWork x, TrackedTable table, String branch, List<String> names) {
    List<String> own = names.stream().filter(n -> table.refAdded().stream().noneMatch(c -> c.name().equals(n)))
        .toList();
    if (!own.isEmpty()) {
      return Uni.createFrom().failure(DeltaUnsupported.because("dropping a column of the table itself ("
          + String.join(", ", own) + ") on a branch is not supported yet for Delta Lake tables"));
    }
    DeltaUnit unit = DeltaUnit.of(x);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), branch)
        .chain(() -> DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), branch))
        .chain(ref -> unit.blocking(() -> DeltaColumnWrites.atLatest(unit, ref.root(), table.key(),
            (snapshot, transaction) -> {
          List<String> present = names.stream().filter(n -> snapshot.getSchema().indexOf(n) >= 0).toList();
          return present.isEmpty() ? null : DeltaSchema.dropColumns(unit.at(ref.root()), snapshot.getVersion(),
              present, transaction, System.currentTimeMillis());
        })))
        .replaceWithVoid();
  }

  /**
   * Gives the branch's table the table's {@code columns} it kept out (the table gained them after the branch was
   * made): added to its clone as {@link #addColumns} adds them, null in its rows until {@link #fillTakenColumns}.
   */
  public Uni<Void> restoreColumns(UnitOfWork x, TrackedTable table, String branch,
      List<io.strata.events.TableColumn> columns) {
    DeltaUnit unit = DeltaUnit.of(x);
    List<TableShape.Column> adding = columns.stream()
        .map(c -> new TableShape.Column(c.name(), c.type(), true, null, null, null, null)).toList();
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), branch)
        .chain(() -> DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), branch))
        .chain(ref -> unit.blocking(() -> DeltaColumnWrites.addColumns(unit, ref.root(), adding, true, table.key())))
        .replaceWithVoid();
  }

  /**
   * Gives the rows of the branch's table their values of {@code columns} (just restored: null in every row) at
   * {@code target}, the default branch's state along a path: the state's rows holding a value in one of them are
   * found by reading its files one at a time, then written on the branch, copy-on-write, where it holds their keys,
   * {@link #FILL_BATCH} rows at a time (a table's rows, or their values, are never all in memory). Reads the whole
   * state: this runs only for a branch made before its table gained columns, when a merge or cherry-pick takes them.
   */
  public Uni<Void> fillTakenColumns(UnitOfWork x, TrackedTable table, String branch,
      List<io.strata.events.TableColumn> columns, StatePath target) {
    DeltaUnit unit = DeltaUnit.of(x);
    List<String> names = columns.stream().map(io.strata.events.TableColumn::name).toList();
    return DeltaTracking.defaultState(unit, table, target)
        .chain(at -> DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), branch)
            .chain(ref -> unit.blocking(() -> {
              DeltaTable source = unit.at(at.root());
              // what the branch reads of the columns it takes is no change of its own: on a branch without working
              // changes its last commit's state moves past the fill (a commit of it still reads the rows as they
              // were); else the fill joins them (a merge refuses a branch with working changes anyway)
              boolean clean = DeltaStates.changes(unit, ref.base(), DeltaStates.latest(unit, ref.root()),
                  table.key()).isEmpty();
              long v = fill(unit, source, source.at(at.version()), ref.root(), table.key(), names, FILL_BATCH);
              return v >= 0 && clean ? new Ref(ref.root(), new State(ref.root(), v), null) : null;
            })
            .chain(moved -> moved == null ? Uni.createFrom().voidItem()
                : DeltaRefs.put(unit.metadata(), table.repository(), table.name(), branch, moved))))
        .replaceWithVoid();
  }

  /** How many rows' taken values {@link #fill} holds before writing them: its memory, whatever the table's size. */
  static final int FILL_BATCH = 50_000;

  /**
   * Writes into the table at {@code root} the values of {@code names} the rows of {@code source} at {@code snapshot}
   * hold, where its rows by the same key hold none: the source's files read one at a time, and once {@code batch}
   * rows with a value are read, those written copy-on-write (one version each, journalled as the unit's every
   * write), so that at most that many rows' values, and one file's rows, are in memory. Answers the last version
   * written, or -1 when none was.
   */
  static long fill(DeltaUnit unit, DeltaTable source, io.delta.kernel.Snapshot snapshot, String root,
      List<String> key, List<String> names, int batch) throws java.io.IOException {
    long last = -1;
    Map<List<Object>, Map<String, Object>> values = new HashMap<>();
    for (DeltaFile file : source.files(snapshot, false)) {
      // one file at a time, read from its listing entry (not by listing the state again for each)
      source.rowsOf(snapshot, List.of(file.absoluteIn(source.root())), key).forEach((k, row) -> {
        Map<String, Object> taken = new LinkedHashMap<>();
        names.forEach(n -> {
          if (row.get(n) != null) {
            taken.put(n, row.get(n));
          }
        });
        if (!taken.isEmpty()) {
          values.put(k, taken);
        }
      });
      if (values.size() >= batch) {
        last = Math.max(last, fillIn(unit, root, key, values));
        values.clear();
      }
    }
    return values.isEmpty() ? last : Math.max(last, fillIn(unit, root, key, values));
  }

  /** One version of {@link #fill}: {@code values} where the rows of those keys hold none; -1 when none changes. */
  private static long fillIn(DeltaUnit unit, String root, List<String> key,
      Map<List<Object>, Map<String, Object>> values) throws java.io.IOException {
    DeltaTable target = unit.at(root);
    var snapshot = target.latest();
    Map<List<Object>, Map<String, Object>> writes = new LinkedHashMap<>();
    DeltaWorkingState.current(target, snapshot, key, values.keySet()).forEach((k, row) -> {
      Map<String, Object> filled = new LinkedHashMap<>(row);
      values.get(k).forEach((n, v) -> {
        if (filled.get(n) == null) {
          filled.put(n, v);
        }
      });
      if (!filled.equals(row)) {
        writes.put(k, filled);
      }
    });
    if (writes.isEmpty()) {
      return -1;
    }
    long v = DeltaMerge.apply(new DeltaMerge.Plan(snapshot.getVersion(), writes, Map.of()), target, key,
        unit.writing(root, snapshot.getVersion(), key), System.currentTimeMillis());
    unit.wrote(root, snapshot.getVersion(), v, key);
    return v;
  }

  /**
   * How a Delta table defines the new types of {@code changes}: its type names. A conversion by expression, or a type
   * Delta lacks, is refused by column; whether the change is a widening Delta's readers follow is the decider's rule
   * ({@link io.strata.events.ColumnTypes#widens}) and {@link DeltaSchema#widen}'s.
   */
  public Uni<List<TableShape.Column>> redefine(UnitOfWork x, List<BranchObjects.Redefinition> changes) {
    return Uni.createFrom().item(() -> changes.stream().map(r -> {
      if (r.using() != null) {
        throw new BranchObjects.Undefinable(r.current().name(), "a Delta table's values are not converted by an"
            + " expression: only a type every value reads as it is (a wider integer or decimal) is taken");
      }
      DataType type = DeltaTableMaking.type(r.type());
      if (type == null) {
        throw new BranchObjects.Undefinable(r.current().name(), "type " + r.type() + " has no Delta type Strata"
            + " writes");
      }
      return new TableShape.Column(r.current().name(), DeltaTableMaking.name(type), r.nullable(), null, null, null,
          null);
    }).toList());
  }

  /**
   * Gives the branch's table the types {@code redefined} names that differ from its own: widened under Delta's type
   * widening ({@link DeltaSchema#widen}: no file rewritten). NOT NULL rules and defaults are not a Delta table's
   * (refused by name).
   */
  public Uni<Void> redefineColumns(UnitOfWork x, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    DeltaUnit unit = DeltaUnit.of(x);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), branch)
        .chain(() -> DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), branch))
        .chain(ref -> unit.blocking(() -> DeltaColumnWrites.widen(unit, ref.root(),
            unit.table(table).root().toString(), redefined, table.key())))
        .replaceWithVoid();
  }

  /** A widening reads every value as it is: nothing to look at before (a rule Delta cannot take is refused then). */
  public Uni<Void> requireRedefinable(UnitOfWork x, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    return Uni.createFrom().voidItem();
  }

  /** Columns the branch added, given a wider type: as {@link #redefineColumns}; a conversion by expression refused. */
  public Uni<Void> alterColumns(UnitOfWork x, TrackedTable table, String branch, List<TableShape.Column> columns,
      Map<String, String> using) {
    return !using.isEmpty() ? Uni.createFrom().failure(new DeltaUnsupported("converting a column's values by an"
        + " expression")) : redefineColumns(x, table, branch, columns);
  }

  /**
   * Forgets the branch's ref, in the unit of the transaction that records the branch's deletion (so it is forgotten
   * exactly when the deletion is, never a ref of a branch made anew under its name). Its table stays where it is
   * until the recovery sweep finds nothing reaches it ({@link DeltaRootSweep}): commits of the branch that other
   * branches or tags reach read their states there (time travel), and keep it until the table is untracked.
   */
  public Uni<Void> remove(UnitOfWork x, TrackedTable table, String branch) {
    DeltaUnit unit = DeltaUnit.of(x);
    return branch.equals(DeltaRefs.DEFAULT) ? Uni.createFrom().voidItem()
        : DeltaRefs.delete(unit.metadata(), table.repository(), table.name(), branch);
  }

  /** How a Delta table defines {@code columns} (see {@link DeltaTableMaking#define}). */
  public Uni<java.util.List<io.strata.events.TableShape.Column>> define(UnitOfWork x,
      java.util.List<BranchObjects.NewColumn> columns) {
    return Uni.createFrom().item(() -> DeltaTableMaking.define(columns));
  }

  // ---- what PostgreSQL overlays hold and a Delta table has not: unique constraints, SQL views, lock waits ----

  /** A Delta table has no unique constraints: there is nothing for a branch to hold. */
  public Uni<BranchObjects.Hold> holdTableUniques(UnitOfWork x, TrackedTable table, String branch,
      java.time.Duration lockTimeout) {
    return Uni.createFrom().item(BranchObjects.Hold.HELD);
  }

  public Uni<BranchObjects.Hold> holdOwedTableUniques(UnitOfWork x, TrackedTable table, String branch,
      java.time.Duration lockTimeout) {
    return Uni.createFrom().item(BranchObjects.Hold.HELD);
  }

  public Uni<java.util.List<BranchObjects.OwedHold>> owedTableUniques(UnitOfWork x) {
    return Uni.createFrom().item(java.util.List.of());
  }

  public Uni<Void> oweTableUniques(UnitOfWork x, TrackedTable table, String branch) {
    return Uni.createFrom().voidItem();
  }

  public Uni<Void> releaseSharedTableUniques(UnitOfWork x, TrackedTable table, String branch) {
    return Uni.createFrom().voidItem();
  }

  public Uni<Void> releaseDroppedTableUniques(UnitOfWork x, TrackedTable table) {
    return Uni.createFrom().voidItem();
  }

  /**
   * The recovery sweep's first step on a Delta storage: the versions units of a dead process wrote are put back
   * ({@link DeltaRecovery}); a Delta table has no unique rules to let the sweep past.
   */
  public Uni<Void> recovering(UnitOfWork x) {
    return DeltaRecovery.recover(DeltaUnit.of(x)).replaceWithVoid();
  }

  /**
   * The tables of the repository's deleted branches that nothing reaches are deleted ({@link DeltaRootSweep}), the
   * uploads left open under its tables aborted ({@link DeltaUploadSweep}), and the identity of its tables tracked before
   * identities were recorded recorded ({@link DeltaTracking#recordMissingIdentities}).
   */
  public Uni<Integer> sweepReleased(UnitOfWork x, String repository, java.time.Duration grace) {
    DeltaUnit unit = DeltaUnit.of(x);
    // then the uploads of files no writer finished (a process that died mid-file), which the bucket keeps otherwise
    return DeltaRootSweep.sweepDue(unit, repository, grace)
        .call(() -> DeltaUploadSweep.abortLeft(unit, repository, DeltaUploadSweep.AGE))
        // and the identities of tables tracked before they were recorded
        .call(() -> DeltaTracking.recordMissingIdentities(unit, repository));
  }

  /** Strata's own waits on a Delta table are its advisory locks in its own database, held briefly; none to bound. */
  public Uni<Void> waitForLocksAtMost(UnitOfWork x, java.time.Duration limit) {
    return Uni.createFrom().voidItem();
  }

  /**
   * A promotion gate refuses Strata's writes to a gated branch (checked by the commands); a Delta table has no views
   * to close, and other engines writing a branch's table are not Strata's to stop: nothing is recorded here.
   */
  public Uni<Void> gate(UnitOfWork x, String repository, java.util.Map<String, String> gated) {
    return Uni.createFrom().voidItem();
  }

  public Uni<java.util.Map<String, String>> gated(UnitOfWork x, String repository) {
    return Uni.createFrom().item(java.util.Map.of());
  }

  public Uni<Optional<String>> location(UnitOfWork x, TrackedTable table, BranchRef branch) {
    DeltaUnit unit = DeltaUnit.of(x);
    String name = DeltaRefs.nameOf(branch);
    return DeltaRefs.exists(unit.metadata(), table.repository(), table.name(), name)
        .chain(exists -> !exists ? Uni.createFrom().item(Optional.<String>empty())
            : DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), name)
                .map(ref -> Optional.of(ref.root())));
  }

  /**
   * Gives {@code branch} a shallow clone of the table at {@code at}, at a root of its own (a new one each time: what
   * an earlier attempt left is not reused), and its ref: the clone's version 0 is its last commit.
   */
  static Uni<Void> clone(DeltaUnit unit, TrackedTable table, String branch, State at) {
    String slug = branch.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "_");
    String root = unit.table(table).root() + "_strata/branches/"
        + (slug.length() > 40 ? slug.substring(0, 40) : slug) + "-" + UUID.randomUUID().toString().substring(0, 8);
    // released first, on its own (the journal's), until the ref names it in the unit's transaction: a creation that
    // is never recorded leaves a root the sweep of released roots deletes
    Uni<Void> released = unit.journal() == null ? Uni.createFrom().voidItem()
        : DeltaRootSweep.release(unit.journal(), table.repository(), table.name(), root);
    return released
        .chain(() -> unit.blocking(() -> {
          unit.cloned(root, ShallowClone.files(unit.at(at.root()), at.version(), unit.at(root),
              UUID.randomUUID().toString(), System.currentTimeMillis()));
          return null;
        }))
        .chain(() -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), branch,
            new Ref(root, new State(root, 0), null)))
        .chain(() -> DeltaRootSweep.unrelease(unit.metadata(), table.repository(), table.name(), root));
  }
}
