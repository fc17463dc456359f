package io.strata.projections.delta;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.delta.DeltaRefs.Span;
import io.strata.projections.delta.DeltaRefs.State;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A Delta table's commits: a change set is the pair of states a commit led between (docs/delta.md, §3), and its
 * rows are read from the files those states differ in, O(changes) whatever the table's size. A commit captures the
 * branch's staged versions: its last commit becomes the state at the last staged version of its root.
 */
final class DeltaChangeSets {

  public Uni<Optional<ChangeSets.Captured>> capture(UnitOfWork x, TrackedTable table, BranchRef branch,
      boolean stageAll, String attempt) {
    DeltaUnit unit = DeltaUnit.of(x);
    String name = DeltaRefs.nameOf(branch);
    return DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), name).chain(ref -> unit.blocking(() -> {
      State to = stageAll ? DeltaStates.latest(unit, ref.root())
          : ref.staged() == null ? ref.base() : new State(ref.root(), ref.staged());
      return new Object[] {to, DeltaStates.changes(unit, ref.base(), to, table.key())};
    }).chain(r -> {
      State to = (State) r[0];
      @SuppressWarnings("unchecked")
      List<RowChanges.Change> changes = (List<RowChanges.Change>) r[1];
      if (changes.isEmpty()) {
        return Uni.createFrom().item(Optional.<ChangeSets.Captured>empty());
      }
      Long staged = ref.staged() != null && ref.staged() > to.version() ? ref.staged() : null;
      Uni<Void> kept = attempt == null ? Uni.createFrom().voidItem()
          : DeltaRefs.keep(unit.metadata(), attempt, table.repository(), table.name(), name, ref);
      return kept.chain(() -> DeltaRefs.record(unit.metadata(), table.repository(), table.name(), ref.base(), to))
          .call(() -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), name,
              new Ref(ref.root(), to, staged)))
          .map(id -> {
            ChangeCounts counts = DeltaWorkingState.counts(changes);
            return Optional.of(new ChangeSets.Captured(table.name(), id, counts.inserted(), counts.updated(),
                counts.deleted(), sumDelta(changes).toString()));
          });
    }));
  }

  public Uni<Long> restore(UnitOfWork x, TrackedTable table, BranchRef branch, String attempt) {
    DeltaUnit unit = DeltaUnit.of(x);
    String name = DeltaRefs.nameOf(branch);
    return DeltaRefs.kept(unit.metadata(), attempt, table.repository(), table.name(), name)
        .chain(kept -> kept.isEmpty() ? Uni.createFrom().item(0L)
            : DeltaRefs.exists(unit.metadata(), table.repository(), table.name(), name).chain(exists -> !exists
                ? Uni.createFrom().item(0L)
                : DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), name).chain(ref ->
                    // a branch made anew under the name since the attempt captured (another root) is not its
                    kept.get().root() != null && !kept.get().root().equals(ref.root()) ? Uni.createFrom().item(0L)
                    : unit
                    .blocking(() -> (long) DeltaStates.changes(unit, kept.get().base(), ref.base(), table.key()).size())
                    // the last commit goes back to what it was; what was captured is a working change again, staged
                    .call(() -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), name,
                        new Ref(ref.root(), kept.get().base(), ref.base().root().equals(ref.root())
                            ? Math.max(ref.base().version(), ref.staged() == null ? 0 : ref.staged()) : null))))));
  }

  public Uni<List<String>> keptAttempts(UnitOfWork x, List<TrackedTable> tables) {
    return DeltaRefs.keptAttempts(DeltaUnit.of(x).metadata(),
        tables.stream().map(t -> new String[] {t.repository(), t.name()}).toList());
  }

  public Uni<Void> forgetAttempt(UnitOfWork x, String attempt) {
    return DeltaRefs.forgetAttempt(DeltaUnit.of(x).metadata(), attempt);
  }

  public Uni<Boolean> exists(UnitOfWork x, TrackedTable table, String changeSet) {
    return DeltaRefs.changeSetExists(DeltaUnit.of(x).metadata(), table.repository(), table.name(), changeSet);
  }

  public Uni<ChangeCounts> diffCounts(UnitOfWork x, TrackedTable table, List<String> fromPath, List<String> toPath) {
    return changes(x, table, fromPath, toPath).map(DeltaWorkingState::counts);
  }

  public Multi<ChangeSets.RowChange> diff(UnitOfWork x, TrackedTable table, List<String> fromPath,
      List<String> toPath, int fetch) {
    return changes(x, table, fromPath, toPath).onItem().transformToMulti(changes -> Multi.createFrom()
        .iterable(changes).map(c -> new ChangeSets.RowChange(DeltaStates.keyArray(c.key()),
            c.kind(), DeltaStates.rowJson(c.before()), DeltaStates.rowJson(c.after()), c.changedFields())));
  }

  public Uni<Set<String>> changedColumns(UnitOfWork x, TrackedTable table, List<String> fromPath,
      List<String> toPath, List<String> columns) {
    return changes(x, table, fromPath, toPath).map(changes -> {
      Set<String> changed = new HashSet<>();
      changes.stream().filter(c -> c.before() != null && c.after() != null)
          .forEach(c -> c.changedFields().stream().filter(columns::contains).forEach(changed::add));
      return changed;
    });
  }

  public Uni<ChangeSets.ContentDelta> contentDelta(UnitOfWork x, TrackedTable table, List<String> fromPath,
      List<String> toPath) {
    return changes(x, table, fromPath, toPath).map(changes -> {
      long rows = changes.stream().filter(c -> c.before() == null).count()
          - changes.stream().filter(c -> c.after() == null).count();
      return new ChangeSets.ContentDelta(rows, sumDelta(changes).toString());
    });
  }

  public Uni<ChangeSets.ContentDelta> contentDelta(UnitOfWork x, TrackedTable table, BranchRef branch,
      List<String> fromPath, List<String> toPath) {
    return contentDelta(x, table, fromPath, toPath);
  }

  /**
   * The net changes from the end of {@code fromPath} to the end of {@code toPath}, both change sets from one merge
   * base: the first change set of either starts there.
   */
  private static Uni<List<RowChanges.Change>> changes(UnitOfWork x, TrackedTable table, List<String> fromPath,
      List<String> toPath) {
    DeltaUnit unit = DeltaUnit.of(x);
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    List<String> ids = new ArrayList<>(fromPath);
    ids.addAll(toPath);
    return DeltaRefs.spans(unit.metadata(), table.repository(), table.name(), ids).chain(spans -> {
      List<Span> from = spans.subList(0, fromPath.size());
      List<Span> to = spans.subList(fromPath.size(), spans.size());
      State base = (from.isEmpty() ? to : from).get(0).from();
      State a = from.isEmpty() ? base : from.get(from.size() - 1).to();
      State b = to.isEmpty() ? base : to.get(to.size() - 1).to();
      return unit.blocking(() -> DeltaStates.changes(unit, a, b, table.key()));
    });
  }

  /** How the sum of the rows' hashes moves with {@code changes}. */
  static BigInteger sumDelta(List<RowChanges.Change> changes) {
    BigInteger sum = BigInteger.ZERO;
    for (RowChanges.Change c : changes) {
      if (c.after() != null) {
        sum = sum.add(DeltaStates.rowHash(c.after()));
      }
      if (c.before() != null) {
        sum = sum.subtract(DeltaStates.rowHash(c.before()));
      }
    }
    return sum;
  }
}
