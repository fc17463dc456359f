package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.delta.kernel.Snapshot;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.smallrye.mutiny.Uni;
import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.delta.DeltaRefs.State;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.RowBatch;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.WorkingStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A branch's working state of a Delta table is its root's latest version; its working changes are the row changes
 * from its last commit's state to it, whoever wrote them (Strata's REST writes, or any engine writing the branch's
 * table). Staging is by version: a branch's changes up to a version of its root are staged, those after it not.
 * Writes are copy-on-write commits; a discard or a move makes the root's files another state's in one commit.
 */
final class DeltaWorkingState {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ATTEMPTS = 3;

  public Uni<WorkingStatus> status(UnitOfWork x, TrackedTable table, BranchRef branch) {
    DeltaUnit unit = DeltaUnit.of(x);
    return ref(unit, table, branch).chain(ref -> unit.blocking(() -> {
      State latest = DeltaStates.latest(unit, ref.root());
      if (ref.staged() == null) {
        return new WorkingStatus(ChangeCounts.NONE, counts(DeltaStates.changes(unit, ref.base(), latest, table.key())));
      }
      State staged = new State(ref.root(), ref.staged());
      return new WorkingStatus(counts(DeltaStates.changes(unit, ref.base(), staged, table.key())),
          counts(DeltaStates.changes(unit, staged, latest, table.key())));
    }));
  }

  public Uni<ChangeCounts> stage(UnitOfWork x, TrackedTable table, BranchRef branch, boolean staged) {
    DeltaUnit unit = DeltaUnit.of(x);
    return ref(unit, table, branch).chain(ref -> unit.blocking(() -> {
          State latest = DeltaStates.latest(unit, ref.root());
          State stagedUpTo = ref.staged() == null ? ref.base() : new State(ref.root(), ref.staged());
          // the net changes concerned: those staged now, or those unstaged
          ChangeCounts concerned = staged ? counts(DeltaStates.changes(unit, stagedUpTo, latest, table.key()))
              : counts(DeltaStates.changes(unit, ref.base(), stagedUpTo, table.key()));
          return new Object[] {latest, concerned};
        })
        .call(r -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), DeltaRefs.nameOf(branch),
            new Ref(ref.root(), ref.base(), staged ? ((State) r[0]).version() : null)))
        .map(r -> (ChangeCounts) r[1]));
  }

  public Uni<ChangeCounts> discard(UnitOfWork x, TrackedTable table, BranchRef branch) {
    DeltaUnit unit = DeltaUnit.of(x);
    return holdWriters(x, table, branch).chain(() -> ref(unit, table, branch)).chain(ref -> unit.blocking(() -> {
          ChangeCounts discarded = counts(DeltaStates.changes(unit, ref.base(),
              DeltaStates.latest(unit, ref.root()), table.key()));
          long before = DeltaStates.latest(unit, ref.root()).version();
          // rows only: the branch's columns stay as they are, as a discard leaves them on any table
          long version = DeltaStates.restore(unit, ref.root(), ref.base(), "RESTORE", table.key(), true, null);
          unit.wrote(ref.root(), before, version, table.key());
          return new Object[] {discarded, version};
        })
        // the root now holds the last commit's files: that state is its last commit's, at the new version
        .call(r -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), DeltaRefs.nameOf(branch),
            new Ref(ref.root(), ref.base(), null)))
        .map(r -> (ChangeCounts) r[0]));
  }

  public Uni<ChangeCounts> apply(UnitOfWork x, TrackedTable table, BranchRef branch, RowBatch batch) {
    DeltaUnit unit = DeltaUnit.of(x);
    return holdWriters(x, table, branch).chain(() -> ref(unit, table, branch)).chain(ref -> unit.blocking(() -> {
          DeltaTable target = unit.at(ref.root());
          for (int attempt = 1; ; attempt++) {
            Snapshot snapshot = target.latest();
            Map<List<Object>, Map<String, Object>> writes = writes(batch, snapshot.getSchema(), table.key());
            Map<List<Object>, Map<String, Object>> found = current(target, snapshot, table.key(), writes.keySet());
            long inserted = 0;
            long updated = 0;
            long deleted = 0;
            Map<List<Object>, Map<String, Object>> effective = new LinkedHashMap<>();
            for (var w : writes.entrySet()) {
              boolean had = found.containsKey(w.getKey());
              if (w.getValue() == null) {
                if (had) {
                  deleted++;
                  effective.put(w.getKey(), null);
                }
              } else {
                if (had) {
                  updated++;
                } else {
                  inserted++;
                }
                effective.put(w.getKey(), w.getValue());
              }
            }
            if (effective.isEmpty()) {
              return new Object[] {new ChangeCounts(0, 0, 0), snapshot.getVersion(), snapshot.getVersion()};
            }
            try {
              long version = DeltaMerge.apply(new DeltaMerge.Plan(snapshot.getVersion(), effective, Map.of()), target,
                  table.key(), unit.writing(ref.root(), snapshot.getVersion(), table.key()), System.currentTimeMillis());
              unit.wrote(ref.root(), snapshot.getVersion(), version, table.key());
              return new Object[] {new ChangeCounts(inserted, updated, deleted), snapshot.getVersion(), version};
            } catch (DeltaMerge.TargetMoved moved) {
              if (attempt == ATTEMPTS) {
                throw moved;
              }
            }
          }
        })
        // a REST write is a staging command; staging is by version, so every change up to it is staged with it
        .call(r -> (Long) r[2] == (long) (Long) r[1] ? Uni.createFrom().voidItem()
            : DeltaRefs.put(unit.metadata(), table.repository(), table.name(), DeltaRefs.nameOf(branch),
                new Ref(ref.root(), ref.base(), (Long) r[2])))
        .map(r -> (ChangeCounts) r[0]));
  }

  public Uni<Void> move(UnitOfWork x, TrackedTable table, BranchRef branch, List<String> undo, List<String> redo) {
    return move(x, table, branch, undo, redo, null);
  }

  /**
   * Makes the branch's root hold the state {@code undo} and {@code redo} lead to from its last commit, in one commit
   * of files (no row read or written), and makes that its last commit; with an {@code attempt}, what it wrote is kept
   * so that {@code Merges.undo} puts it back if the attempt's event is never appended.
   */
  public Uni<Void> move(UnitOfWork x, TrackedTable table, BranchRef branch, List<String> undo, List<String> redo,
      String attempt) {
    return move(x, table, branch, undo, redo, attempt, false);
  }

  /** {@link #move}; {@code clean}: the branch was found without working changes, which the move must not give up. */
  private Uni<Void> move(UnitOfWork x, TrackedTable table, BranchRef branch, List<String> undo, List<String> redo,
      String attempt, boolean clean) {
    DeltaUnit unit = DeltaUnit.of(x);
    String name = DeltaRefs.nameOf(branch);
    return holdWriters(x, table, branch).chain(() -> ref(unit, table, branch))
        .chain(ref -> target(unit, table, ref, undo, redo).chain(target -> unit.blocking(() -> {
              long before = DeltaStates.latest(unit, ref.root()).version();
              long written = DeltaStates.restore(unit, ref.root(), target, "RESTORE", table.key(), false,
                  clean ? ref.base() : null);
              unit.wrote(ref.root(), before, written, table.key());
              return new Object[] {new long[] {before, written}, columnsMoved(unit, ref.root(), before, written)};
            }))
            .call(r -> fileColumnsMoved(unit, table, branch, ((long[]) r[0])[1], (StructType) r[1]))
            .map(r -> (long[]) r[0])
            .call(v -> attempt == null ? Uni.createFrom().voidItem() : DeltaRefs.keepUndo(unit.metadata(), attempt,
                table.repository(), table.name(), name, new DeltaRefs.Undo(ref.root(), v[0], v[1], ref)))
            .chain(v -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), name,
                new Ref(ref.root(), new State(ref.root(), v[1]), null))));
  }

  /** The columns of {@code root} at {@code after} when they differ from those at {@code before}; else null. */
  private static StructType columnsMoved(DeltaUnit unit, String root, long before, long after) {
    if (after == before) {
      return null;
    }
    DeltaTable table = unit.at(root);
    StructType now = table.at(after).getSchema();
    return now.equals(table.at(before).getSchema()) ? null : now;
  }

  /**
   * A move of the tracked table itself (the default branch's) to a state of more or wider columns is Strata's schema
   * change of it: filed as DDL for the schema follower, as a merge's added columns are ({@link DeltaTracking#fileDdl}).
   */
  private static Uni<Void> fileColumnsMoved(DeltaUnit unit, TrackedTable table, BranchRef branch, long version,
      StructType columns) {
    if (columns == null || !branch.isDefault()) {
      return Uni.createFrom().voidItem();
    }
    return DeltaTracking.fileDdl(unit, table, version, "RESTORE COLUMNS", columns.fields().stream()
        .map(f -> new io.strata.events.TableShape.Column(f.getName(), DeltaTableMaking.name(f.getDataType()),
            f.isNullable(), null, null, null, null)).toList());
  }

  public Uni<Void> advance(UnitOfWork x, TrackedTable table, BranchRef branch, List<String> changeSets) {
    // (a fast-forward: the merge found the branch clean)
    return changeSets.isEmpty() ? Uni.createFrom().voidItem()
        : move(x, table, branch, List.of(), changeSets, null, true);
  }

  public Uni<Void> stageAgainst(UnitOfWork x, TrackedTable table, BranchRef branch, List<String> undo,
      List<String> redo) {
    return stageAgainst(x, table, branch, undo, redo, null);
  }

  /**
   * Keeps the branch's root as it is and makes the state {@code undo} and {@code redo} lead to its last commit: every
   * difference becomes a staged working change (staging is by version: up to the root's latest).
   */
  public Uni<Void> stageAgainst(UnitOfWork x, TrackedTable table, BranchRef branch, List<String> undo,
      List<String> redo, String attempt) {
    DeltaUnit unit = DeltaUnit.of(x);
    String name = DeltaRefs.nameOf(branch);
    return holdWriters(x, table, branch).chain(() -> ref(unit, table, branch))
        .chain(ref -> target(unit, table, ref, undo, redo)
            .chain(target -> unit.blocking(() -> DeltaStates.latest(unit, ref.root()).version())
                .call(latest -> attempt == null ? Uni.createFrom().voidItem() : DeltaRefs.keepUndo(unit.metadata(),
                    attempt, table.repository(), table.name(), name, new DeltaRefs.Undo(ref.root(), latest, latest,
                        ref)))
                .chain(latest -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), name,
                    new Ref(ref.root(), target, latest)))));
  }

  /** The state {@code undo} and {@code redo} lead to from the branch's last commit. */
  private static Uni<State> target(DeltaUnit unit, TrackedTable table, Ref ref, List<String> undo, List<String> redo) {
    return DeltaRefs.spans(unit.metadata(), table.repository(), table.name(), undo)
        .chain(u -> DeltaRefs.spans(unit.metadata(), table.repository(), table.name(), redo)
            .chain(r -> unit.blocking(() -> DeltaStates.resolve(unit, ref,
                new io.strata.projections.rowdata.StatePath(undo, redo, true), u, r))));
  }

  public Uni<Void> holdWriters(UnitOfWork x, TrackedTable table, BranchRef branch) {
    DeltaUnit unit = DeltaUnit.of(x);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), DeltaRefs.nameOf(branch));
  }

  public Uni<Boolean> writesMayReachOtherRows(UnitOfWork x, TrackedTable table, BranchRef branch) {
    return Uni.createFrom().item(false); // a Delta table has no triggers or foreign keys
  }

  public Uni<Optional<String>> row(UnitOfWork x, TrackedTable table, BranchRef branch, String key, boolean forWrite) {
    DeltaUnit unit = DeltaUnit.of(x);
    Uni<Void> held = forWrite ? holdWriters(x, table, branch) : Uni.createFrom().voidItem();
    return held.chain(() -> ref(unit, table, branch)).chain(ref -> unit.blocking(() -> {
      DeltaTable target = unit.at(ref.root());
      Snapshot snapshot = target.latest();
      List<Object> k = DeltaStates.keyOf(key, table.key(), snapshot.getSchema());
      Map<String, Object> row = current(target, snapshot, table.key(), Set.of(k)).get(k);
      return Optional.ofNullable(DeltaStates.rowJson(row));
    }));
  }

  private static Uni<Ref> ref(DeltaUnit unit, TrackedTable table, BranchRef branch) {
    return DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), DeltaRefs.nameOf(branch));
  }

  /** The rows of {@code keys} the snapshot holds, reading only files whose key statistics may hold one. */
  static Map<List<Object>, Map<String, Object>> current(DeltaTable target, Snapshot snapshot, List<String> key,
      Set<List<Object>> keys) {
    List<DeltaFile> candidates = new java.util.ArrayList<>();
    // the kept listing's key ranges: a write or point read on a table of many files lists none of them
    for (DeltaFile file : DeltaListings.mayHold(target, snapshot, key, keys)) {
      candidates.add(file.absoluteIn(target.root())); // read from its entry
    }
    Map<List<Object>, Map<String, Object>> rows = new LinkedHashMap<>();
    target.rowsOf(snapshot, candidates, key).forEach((k, row) -> {
      if (keys.contains(k)) {
        rows.put(k, row);
      }
    });
    return rows;
  }

  /**
   * The batch as rows to write by key (null: delete), the last operation on a key winning; a column an upsert leaves
   * out is null (a Delta table has no defaults).
   */
  static Map<List<Object>, Map<String, Object>> writes(RowBatch batch, StructType schema, List<String> key) {
    try {
      JsonNode rows = JSON.readTree(batch.rows());
      int width = 1 + schema.fields().size(); // per row: u or d, then 1 or 0 per column
      Map<List<Object>, Map<String, Object>> writes = new LinkedHashMap<>();
      for (int i = 0; i < rows.size(); i++) {
        JsonNode row = rows.get(i);
        Map<String, Object> values = new LinkedHashMap<>();
        boolean delete = batch.marks().charAt(i * width) == 'd';
        for (StructField f : schema.fields()) {
          JsonNode v = row.get(f.getName());
          // a delete gives the key only; an upsert's values are held to their columns' types before any is written
          values.put(f.getName(), delete && !key.contains(f.getName()) ? null : ClientValues.of(v, f));
        }
        List<Object> k = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(
            key.stream().map(values::get).toList()));
        for (String column : key) {
          if (values.get(column) == null) {
            throw new ClientValues.Refused(column, "is part of the key: takes no null");
          }
        }
        writes.remove(k); // the last operation on a key wins, in its place
        writes.put(k, delete ? null : values);
      }
      return writes;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("a row batch that is not JSON", e);
    }
  }

  static ChangeCounts counts(List<RowChanges.Change> changes) {
    long inserted = changes.stream().filter(c -> c.before() == null).count();
    long deleted = changes.stream().filter(c -> c.after() == null).count();
    return new ChangeCounts(inserted, changes.size() - inserted - deleted, deleted);
  }
}
