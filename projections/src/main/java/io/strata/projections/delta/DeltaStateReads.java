package io.strata.projections.delta;

import io.delta.kernel.Snapshot;
import io.delta.kernel.types.StructType;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.StateReads;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Reads a Delta table at any state a branch names: its working state, or a commit's — a Kernel snapshot of the
 * state's root at its version (time travel). Rows come in key order. A read scans the state's files (Kernel has no
 * index to seek a key): a page costs the table, not the page; streams read it once.
 */
final class DeltaStateReads {

  public Uni<StateReads.Page> page(UnitOfWork x, TrackedTable table, BranchRef branch, StatePath path,
      Map<String, String> filters, String after, int limit) {
    return rows(x, table, branch, path, filters, after).map(rows -> {
      List<Map.Entry<List<Object>, Map<String, Object>>> page = rows.subList(0, Math.min(limit, rows.size()));
      List<String> json = page.stream().map(e -> DeltaStates.rowJson(e.getValue())).toList();
      String last = page.isEmpty() ? null : DeltaStates.keyObject(table.key(), page.get(page.size() - 1).getKey());
      return new StateReads.Page(json, last);
    });
  }

  public Multi<String> stream(UnitOfWork x, TrackedTable table, BranchRef branch, StatePath path,
      Map<String, String> filters, String after, int fetch) {
    return rows(x, table, branch, path, filters, after).onItem()
        .transformToMulti(rows -> Multi.createFrom().iterable(rows).map(e -> DeltaStates.rowJson(e.getValue())));
  }

  private static Uni<List<Map.Entry<List<Object>, Map<String, Object>>>> rows(UnitOfWork x, TrackedTable table,
      BranchRef branch, StatePath path, Map<String, String> filters, String after) {
    DeltaUnit unit = DeltaUnit.of(x);
    return DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), DeltaRefs.nameOf(branch))
        .chain(ref -> DeltaRefs.spans(unit.metadata(), table.repository(), table.name(), path.undo())
            .chain(undo -> DeltaRefs.spans(unit.metadata(), table.repository(), table.name(), path.redo())
                .chain(redo -> unit.blocking(() -> {
                  var state = DeltaStates.resolve(unit, ref, path, undo, redo);
                  DeltaTable t = unit.at(state.root());
                  Snapshot snapshot = t.at(state.version());
                  StructType schema = snapshot.getSchema();
                  List<Object> from = after == null ? null : DeltaStates.keyOf(after, table.key(), schema);
                  Map<String, Object> wanted = new java.util.HashMap<>();
                  filters.forEach((column, value) -> {
                    if (schema.indexOf(column) < 0) {
                      throw new IllegalArgumentException("the table has no column " + column);
                    }
                    wanted.put(column, DeltaStates.valueOf(value, schema.get(column)));
                  });
                  List<Map.Entry<List<Object>, Map<String, Object>>> rows = new ArrayList<>();
                  for (var e : t.rows(snapshot, table.key()).entrySet()) {
                    if ((from == null || RowChanges.compareKeys(e.getKey(), from) > 0)
                        && wanted.entrySet().stream().allMatch(w -> java.util.Objects.equals(
                            String.valueOf(e.getValue().get(w.getKey())), String.valueOf(w.getValue())))) {
                      rows.add(e);
                    }
                  }
                  rows.sort(Comparator.comparing(Map.Entry::getKey, RowChanges::compareKeys));
                  return rows;
                }))));
  }
}
