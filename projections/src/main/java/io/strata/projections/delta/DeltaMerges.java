package io.strata.projections.delta;

import io.smallrye.mutiny.Uni;
import io.strata.projections.delta.DeltaRefs.State;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Merges of Delta tables, as far as built: undoing what an attempt whose event was never appended wrote to a
 * branch's root (a move, a soft reset). The three-way merge itself is {@link DeltaMerge}; its conflicts kept and
 * resolved through this role are not built yet.
 */
final class DeltaMerges {

  /**
   * Puts back what {@code attempt} wrote to the branch's root: each key the attempt changed that nobody changed since
   * gets its row from before the attempt (one copy-on-write commit); a key changed since stays, a working change. The
   * branch's ref is the one before the attempt. Answers the rows put back.
   */
  public Uni<Long> undo(UnitOfWork x, TrackedTable table, BranchRef target, String attempt) {
    DeltaUnit unit = DeltaUnit.of(x);
    String name = DeltaRefs.nameOf(target);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), name)
        .chain(() -> DeltaRefs.takeUndo(unit.metadata(), attempt, table.repository(), table.name(), name))
        .chain(found -> found.isEmpty() ? Uni.createFrom().item(0L) : unit.blocking(() -> {
              DeltaRefs.Undo undo = found.get();
              State before = new State(undo.root(), undo.before());
              State written = new State(undo.root(), undo.written());
              State latest = DeltaStates.latest(unit, undo.root());
              Set<List<Object>> changedSince = new HashSet<>();
              DeltaStates.changes(unit, written, latest, table.key()).forEach(c -> changedSince.add(c.key()));
              Map<List<Object>, Map<String, Object>> back = new LinkedHashMap<>();
              for (RowChanges.Change c : DeltaStates.changes(unit, before, written, table.key())) {
                if (!changedSince.contains(c.key())) {
                  back.put(c.key(), c.before());
                }
              }
              if (!back.isEmpty()) {
                DeltaMerge.apply(new DeltaMerge.Plan(latest.version(), back, Map.of()), unit.at(undo.root()),
                    table.key(), UUID.randomUUID().toString(), System.currentTimeMillis());
              }
              return new Object[] {(long) back.size(), undo.ref()};
            })
            .call(r -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), name, (DeltaRefs.Ref) r[1]))
            .map(r -> (Long) r[0]));
  }
}
