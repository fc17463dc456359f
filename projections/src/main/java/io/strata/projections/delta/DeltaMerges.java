package io.strata.projections.delta;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.delta.DeltaRefs.Span;
import io.strata.projections.delta.DeltaRefs.State;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.Merges.Conflict;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.projections.rowdata.Merges.TableMerge;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.merge.JsonValues;
import io.strata.projections.rowdata.merge.MergeColumns;
import io.strata.projections.rowdata.merge.MergeTally;
import io.strata.projections.rowdata.merge.Settlement;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Three-way merges of a Delta table into a branch (docs/delta.md, §4): each side's row changes since the base, from
 * the files that differ, decided key by key by the merge core PostgreSQL tables use ({@link Settlement}: the truth
 * table, field-level conflicts, strategies), written to the target's root as one copy-on-write commit. A merge in
 * progress keeps its unsettled conflicts and the rows it (and its resolutions) wrote in {@code strata_meta}, so an
 * abort puts back ours wherever nobody wrote since.
 */
final class DeltaMerges {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String IN_PROGRESS = "";

  /** What a plan decided, kept in its unit for {@link #apply} and what follows it. */
  private static final class Planned {
    Ref ref;
    State base;
    State theirs;
    /** Where ours ends, and the files of it that may hold a key theirs changed ({@link DeltaMerge#holders}). */
    State oursEnd;
    java.util.Set<String> holders;
    StructType schema;
    TreeMap<List<Object>, Settlement.KeyMerge> keys;
    TableMerge merge;
    long before = -1;
    long written = -1;
    Map<List<Object>, Map<String, Object>> writes = Map.of();
    final Map<List<Object>, ObjectNode> baseRows = new HashMap<>();
    final Map<List<Object>, Map<String, Object>> theirsRows = new HashMap<>();
  }

  public Uni<TableMerge> plan(UnitOfWork x, TrackedTable table, BranchRef target, List<String> ours,
      List<String> theirs, Strategy strategy) {
    return plan(x, table, target, List.of(), ours, List.of(), theirs, strategy);
  }

  public Uni<TableMerge> plan(UnitOfWork x, TrackedTable table, BranchRef target, List<String> oursUndo,
      List<String> ours, List<String> theirsUndo, List<String> theirs, Strategy strategy) {
    DeltaUnit unit = DeltaUnit.of(x);
    List<String> ids = new ArrayList<>(oursUndo);
    ids.addAll(ours);
    ids.addAll(theirsUndo);
    ids.addAll(theirs);
    return ref(unit, table, target).chain(ref -> DeltaRefs.spans(unit.metadata(), table.repository(), table.name(),
        ids).chain(spans -> unit.blocking(() -> {
          int a = oursUndo.size();
          int b = a + ours.size();
          int c = b + theirsUndo.size();
          List<Span> undoOurs = spans.subList(0, a);
          List<Span> redoOurs = spans.subList(a, b);
          List<Span> undoTheirs = spans.subList(b, c);
          List<Span> redoTheirs = spans.subList(c, spans.size());
          Planned p = new Planned();
          p.ref = ref;
          // each side goes from the base, back along its undo path (to the sides' merge base), then along its redo
          // path: the base is where the undo paths start (their last change set's end), else where either side starts
          p.base = !undoOurs.isEmpty() ? undoOurs.get(undoOurs.size() - 1).to()
              : !undoTheirs.isEmpty() ? undoTheirs.get(undoTheirs.size() - 1).to()
              : spans.isEmpty() ? ref.base() : spans.get(0).from();
          State oursEnd = end(undoOurs, redoOurs, p.base);
          p.theirs = end(undoTheirs, redoTheirs, p.base);
          // the rows are merged in the columns of the table the merge writes (the schema merge gave it those a side
          // added before the rows come: SchemaPromotions), each side's rows reading null in a column its state lacks
          p.schema = unit.at(ref.root()).latest().getSchema();
          for (State side : List.of(oursEnd, p.theirs)) {
            for (StructField f : unit.at(side.root()).at(side.version()).getSchema().fields()) {
              if (p.schema.fields().stream().noneMatch(g -> g.getName().equals(f.getName()))) {
                p.schema = p.schema.add(f); // only for a dry run: a merge refuses to write rows into it (apply)
              }
            }
          }
          Map<List<Object>, RowChanges.Change> mine = new HashMap<>();
          RowChanges.Diff oursDiff = DeltaStates.diff(unit, p.base, oursEnd, table.key());
          RowChanges.Diff theirsDiff = DeltaStates.diff(unit, p.base, p.theirs, table.key());
          oursDiff.changes().forEach(ch -> mine.put(ch.key(), ch));
          p.oursEnd = oursEnd;
          p.holders = DeltaMerge.holders(oursDiff.files(), theirsDiff.files());
          p.keys = new TreeMap<>(RowChanges::compareKeys);
          for (RowChanges.Change change : theirsDiff.changes()) {
            RowChanges.Change m = mine.get(change.key());
            ObjectNode baseRow = padded(DeltaMerge.json(change.before()), p.schema);
            ObjectNode oursRow = m == null ? baseRow : padded(DeltaMerge.json(m.after()), p.schema);
            p.baseRows.put(change.key(), baseRow);
            p.theirsRows.put(change.key(), change.after());
            p.keys.put(change.key(), Settlement.decide(baseRow, oursRow, padded(DeltaMerge.json(change.after()),
                p.schema), MergeColumns.PLAIN, strategy));
          }
          MergeTally tally = MergeTally.of(p.keys.values());
          p.merge = new TableMerge(table.name(), tally.changes(), tally.conflicts(), tally.unsettled(),
              DeltaConflicts.hash(p.keys));
          unit.planned().put(table.name(), p);
          return p.merge;
        })));
  }

  /** {@code row} with null in each column of {@code schema} it lacks (its state's schema had not added them). */
  private static ObjectNode padded(ObjectNode row, StructType schema) {
    if (row != null) {
      for (StructField f : schema.fields()) {
        if (!row.has(f.getName())) {
          row.putNull(f.getName());
        }
      }
    }
    return row;
  }

  /** Where a side's paths lead from the base: its redo path's end, else its undo path's start, else the base. */
  private static State end(List<Span> undo, List<Span> redo, State base) {
    return !redo.isEmpty() ? redo.get(redo.size() - 1).to() : !undo.isEmpty() ? undo.get(0).from() : base;
  }

  public Uni<List<Conflict>> plannedConflicts(UnitOfWork x, TrackedTable table, int limit) {
    Planned p = planned(x, table);
    List<Conflict> conflicts = new ArrayList<>();
    for (var k : p.keys.entrySet()) {
      if (k.getValue().outcome().conflicts() && conflicts.size() < limit) {
        conflicts.add(DeltaConflicts.of(table, k.getKey(), k.getValue(), baseOf(p, k.getKey()),
            DeltaMerge.json(theirsOf(p, k.getKey()))));
      }
    }
    return Uni.createFrom().item(conflicts);
  }

  /** A Delta table has no constraints to refuse merged rows: a dry run writes no version to find them. */
  public boolean mayRefuseRows() {
    return false;
  }

  public Uni<TableMerge> apply(UnitOfWork x, TrackedTable table, BranchRef target) {
    DeltaUnit unit = DeltaUnit.of(x);
    Planned p = planned(x, table);
    return unit.blocking(() -> {
      DeltaTable root = unit.at(p.ref.root());
      var latest = root.latest();
      long before = latest.getVersion();
      List<String> lacking = p.schema.fieldNames().stream()
          .filter(c -> !latest.getSchema().fieldNames().contains(c)).toList();
      if (!lacking.isEmpty()) {
        throw new DeltaUnsupported("merging rows of columns " + lacking + " into a table that lacks them");
      }
      Map<List<Object>, Map<String, Object>> writes = new LinkedHashMap<>();
      for (var k : p.keys.entrySet()) {
        Settlement.KeyMerge km = k.getValue();
        // a key left in conflict gets its merged row too (ours in the conflicting fields, what only theirs changed
        // in the others), as the merge rules write it on every backend: the resolution then decides those fields
        if (!JsonValues.same(km.ours(), km.merged())) {
          writes.put(k.getKey(), km.merged() == null ? null : DeltaMerge.values(km.merged(), p.schema));
        }
      }
      p.before = before;
      p.writes = writes;
      // the holders the plan found hold for the version ours ended at; the target's working changes since, if any,
      // may have moved a key: then its files' statistics tell
      boolean atOursEnd = DeltaFile.uri(p.oursEnd.root()).equals(DeltaFile.uri(p.ref.root()))
          && p.oursEnd.version() == before;
      // the merge found the target clean (no working changes) and decided every key from ours' rows: another engine
      // that changed rows since (Strata's locks do not hold it off) would have its rows overwritten or folded into
      // the merge's commit; refused instead (409, retry: the retry sees them as working changes). Versions without
      // row changes (a column Strata added for the merge, another engine's compaction) let it go on
      // from the state the target was found clean at (its last commit's, after what the merge wrote first: columns a
      // branch takes with their values move it without a change set of ours)
      DeltaStates.requireNoRowChanges(unit, p.ref.base(), new State(p.ref.root(), before), table.key());
      p.written = writes.isEmpty() ? before : DeltaMerge.apply(new DeltaMerge.Plan(before, writes, Map.of(),
          atOursEnd ? p.holders : null), root,
          table.key(), unit.writing(p.ref.root(), before, table.key()), System.currentTimeMillis());
      unit.wrote(p.ref.root(), before, p.written, table.key());
      return p.merge;
    });
  }

  public Uni<TableMerge> markViolations(UnitOfWork x, TrackedTable table, BranchRef target,
      List<Merges.HeldCheck> checks, boolean pendingOnly, TableMerge applied) {
    return checks.isEmpty() ? Uni.createFrom().item(applied)
        : Uni.createFrom().failure(new DeltaUnsupported("CHECK and unique rules on Delta tables"));
  }

  public Uni<Long> settleViolations(UnitOfWork x, TrackedTable table, BranchRef target,
      List<Merges.HeldCheck> uniques) {
    return Uni.createFrom().item(0L); // a Delta merge keeps no violation conflicts: it carries no rules
  }

  public Uni<Void> recheckWritten(UnitOfWork x, TrackedTable table, BranchRef target, List<Merges.HeldCheck> uniques) {
    return uniques.isEmpty() ? Uni.createFrom().voidItem()
        : Uni.createFrom().failure(new DeltaUnsupported("unique rules on Delta tables"));
  }

  public Uni<Optional<ChangeSets.Captured>> captureApplied(UnitOfWork x, TrackedTable table, BranchRef target) {
    DeltaUnit unit = DeltaUnit.of(x);
    Planned p = planned(x, table);
    if (p.written == p.before) {
      return Uni.createFrom().item(Optional.empty());
    }
    State to = new State(p.ref.root(), p.written);
    return unit.blocking(() -> DeltaStates.changes(unit, p.ref.base(), to, table.key()))
        .chain(changes -> DeltaRefs.record(unit.metadata(), table.repository(), table.name(), p.ref.base(), to)
            .call(() -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), DeltaRefs.nameOf(target),
                new Ref(p.ref.root(), to, null)))
            .map(id -> {
              ChangeCounts counts = DeltaWorkingState.counts(changes);
              return Optional.of(new ChangeSets.Captured(table.name(), id, counts.inserted(), counts.updated(),
                  counts.deleted(), DeltaChangeSets.sumDelta(changes).toString()));
            }));
  }

  public Uni<Void> recordApplied(UnitOfWork x, TrackedTable table, BranchRef target, boolean staged) {
    DeltaUnit unit = DeltaUnit.of(x);
    Planned p = planned(x, table);
    return !staged || p.written == p.before ? Uni.createFrom().voidItem()
        : DeltaRefs.put(unit.metadata(), table.repository(), table.name(), DeltaRefs.nameOf(target),
            new Ref(p.ref.root(), p.ref.base(), p.written));
  }

  public Uni<Void> keep(UnitOfWork x, TrackedTable table, BranchRef target) {
    DeltaUnit unit = DeltaUnit.of(x);
    Planned p = planned(x, table);
    String branch = DeltaRefs.nameOf(target);
    Uni<Void> done = p.written == p.before ? Uni.createFrom().voidItem()
        : DeltaRefs.put(unit.metadata(), table.repository(), table.name(), branch,
            new Ref(p.ref.root(), p.ref.base(), p.written));
    long ordinal = 0;
    for (var k : p.keys.entrySet()) {
      Settlement.KeyMerge km = k.getValue();
      if (km.unsettled()) {
        ObjectNode theirs = DeltaMerge.json(theirsOf(p, k.getKey()));
        Conflict c = DeltaConflicts.of(table, k.getKey(), km, baseOf(p, k.getKey()), theirs);
        long at = ordinal++;
        done = done.chain(() -> DeltaConflicts.storeConflict(
            unit.metadata(), table, branch, at, c, baseOf(p, k.getKey()), km.ours(),
            theirs));
      }
      if (p.writes.containsKey(k.getKey())) {
        String ours = DeltaConflicts.text(km.ours());
        String written = DeltaConflicts.text(km.merged());
        done = done.chain(() -> DeltaConflicts.storeWritten(unit.metadata(), table, branch, IN_PROGRESS,
            DeltaStates.keyArray(k.getKey()), ours, written));
      }
    }
    return done;
  }

  public Uni<Long> abort(UnitOfWork x, TrackedTable table, BranchRef target) {
    return DeltaMergeResolutions.abort(DeltaUnit.of(x), table, target);
  }

  public Multi<Conflict> conflicts(UnitOfWork x, TrackedTable table, BranchRef target, int fetch) {
    DeltaUnit unit = DeltaUnit.of(x);
    return unit.metadata().preparedQuery("select key, type, fields from strata_meta.delta_conflicts where repository"
            + " = $1 and table_name = $2 and branch = $3 and attempt = '' order by ordinal")
        .execute(Tuple.of(table.repository(), table.name(), DeltaRefs.nameOf(target)))
        .onItem().transformToMulti(rows -> Multi.createFrom().iterable(rows))
        .map(r -> new Conflict(table.name(), r.getString(0), r.getString(1), DeltaConflicts.fields(
            r.getString(2)), null));
  }

  public Uni<Long> remaining(UnitOfWork x, TrackedTable table, BranchRef target) {
    DeltaUnit unit = DeltaUnit.of(x);
    return unit.metadata().preparedQuery("select count(*) from strata_meta.delta_conflicts where repository = $1"
            + " and table_name = $2 and branch = $3 and attempt = ''")
        .execute(Tuple.of(table.repository(), table.name(), DeltaRefs.nameOf(target)))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  public Uni<Long> resolve(UnitOfWork x, TrackedTable table, BranchRef target, String key, String field, String take,
      String value) {
    return DeltaMergeResolutions.resolve(DeltaUnit.of(x), table, target, key, field, take, value);
  }

  public Uni<Void> end(UnitOfWork x, TrackedTable table, BranchRef target) {
    return DeltaConflicts.forget(DeltaUnit.of(x).metadata(), table, DeltaRefs.nameOf(target), IN_PROGRESS);
  }

  public Uni<Void> saveUndo(UnitOfWork x, TrackedTable table, BranchRef target, String attempt) {
    DeltaUnit unit = DeltaUnit.of(x);
    Planned p = planned(x, table);
    long before = p.before < 0 ? p.written : p.before;
    return DeltaRefs.keepUndo(unit.metadata(), attempt, table.repository(), table.name(), DeltaRefs.nameOf(target),
        new DeltaRefs.Undo(p.ref.root(), before, p.written, p.ref));
  }

  public Uni<Long> undo(UnitOfWork x, TrackedTable table, BranchRef target, String attempt) {
    DeltaUnit unit = DeltaUnit.of(x);
    String name = DeltaRefs.nameOf(target);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), name)
        .chain(() -> DeltaRefs.takeUndo(unit.metadata(), attempt, table.repository(), table.name(), name))
        .chain(found -> found.isEmpty() ? Uni.createFrom().item(0L) : unit.blocking(() -> {
              DeltaRefs.Undo undo = found.get();
              long back = DeltaStates.undoKeys(unit, undo.root(), undo.before(), undo.written(), table.key());
              return new Object[] {back, undo.ref()};
            })
            // what it kept of a merge in progress goes too
            .call(r -> DeltaConflicts.forget(unit.metadata(), table, name, IN_PROGRESS))
            // onto the ref it was taken from only: a branch made anew under the name since keeps its own
            .call(r -> DeltaRefs.putBack(unit.metadata(), table.repository(), table.name(), name, (Ref) r[1]))
            .map(r -> (Long) r[0]));
  }

  public Uni<Void> setAside(UnitOfWork x, TrackedTable table, BranchRef target, String attempt) {
    return DeltaConflicts.move(DeltaUnit.of(x).metadata(), table, DeltaRefs.nameOf(target), IN_PROGRESS, attempt);
  }

  public Uni<Void> restoreSetAside(UnitOfWork x, TrackedTable table, BranchRef target, String attempt) {
    return DeltaConflicts.move(DeltaUnit.of(x).metadata(), table, DeltaRefs.nameOf(target), attempt, IN_PROGRESS);
  }

  public Uni<String> fromSource(UnitOfWork x, TrackedTable table, List<String> ours, List<String> theirs,
      String merged) {
    DeltaUnit unit = DeltaUnit.of(x);
    if (ours.isEmpty() && theirs.isEmpty() && merged == null) {
      return Uni.createFrom().nullItem();
    }
    List<String> ids = new ArrayList<>(ours);
    ids.addAll(theirs);
    if (merged != null) {
      ids.add(merged);
    }
    return DeltaRefs.spans(unit.metadata(), table.repository(), table.name(), ids).chain(spans -> {
      List<Span> o = spans.subList(0, ours.size());
      List<Span> t = spans.subList(ours.size(), ours.size() + theirs.size());
      State base = spans.get(0).from();
      State theirsEnd = t.isEmpty() ? base : t.get(t.size() - 1).to();
      State mergedState = merged != null ? spans.get(spans.size() - 1).to()
          : o.isEmpty() ? base : o.get(o.size() - 1).to();
      return theirsEnd.equals(mergedState) ? Uni.createFrom().nullItem()
          : DeltaRefs.record(unit.metadata(), table.repository(), table.name(), theirsEnd, mergedState);
    });
  }

  public Uni<String> fromSourceOfPlan(UnitOfWork x, TrackedTable table, List<String> ours) {
    DeltaUnit unit = DeltaUnit.of(x);
    Planned p = planned(x, table);
    State merged = new State(p.ref.root(), p.written);
    return p.theirs.equals(merged) ? Uni.createFrom().nullItem()
        : DeltaRefs.record(unit.metadata(), table.repository(), table.name(), p.theirs, merged);
  }

  // ---- helpers ----

  private static Planned planned(UnitOfWork x, TrackedTable table) {
    Object p = DeltaUnit.of(x).planned().get(table.name());
    if (p == null) {
      throw new IllegalStateException("no merge of Delta table '" + table.name() + "' was planned in this unit");
    }
    return (Planned) p;
  }

  static Uni<Ref> ref(DeltaUnit unit, TrackedTable table, BranchRef branch) {
    return DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), DeltaRefs.nameOf(branch));
  }

  /** The base's row of a key theirs changed (the row its change started from). */
  private static ObjectNode baseOf(Planned p, List<Object> key) {
    return p.baseRows.get(key);
  }

  private static Map<String, Object> theirsOf(Planned p, List<Object> key) {
    return p.theirsRows.get(key);
  }
}
