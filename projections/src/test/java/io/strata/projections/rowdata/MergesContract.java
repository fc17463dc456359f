package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.Merges.Conflict;
import io.strata.projections.rowdata.Merges.FieldConflict;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.projections.rowdata.Merges.TableMerge;
import io.strata.projections.rowdata.RowDataBackend.Subject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of {@link Merges}, for every backend (a subclass names it), merging into the default
 * branch and into another: a plan that writes nothing, a merge applied and committed at once, recorded
 * as working changes, or kept in progress with its conflicts until they are resolved, aborted or set
 * aside; rows the table refuses; recovery of attempts never appended; the change set from the source; and a revert's plan,
 * whose base is no ancestor of the sides. What the merge rules decide per key is the merge-rules
 * contract's ({@link MergeRulesContract}).
 */
public abstract class MergesContract<X> {
  private static final Map<Integer, String> ROWS = Map.of(1, "a", 2, "b", 3, "c");

  protected abstract RowDataBackend<X> backend();

  private Merges<X> merges() {
    return backend().merges();
  }

  /**
   * A merge of theirs into ours from their fork: ours changed 1 to A and 2 to ours; theirs changed 2 to
   * theirs, deleted 3 and inserted 4, each side one commit.
   */
  private record Sides(TrackedTable table, BranchRef target, BranchRef source, List<String> ours,
      List<String> theirs) {}

  private Sides sides(boolean intoBranch) {
    Subject s = backend().subject(false, ROWS);
    TrackedTable t = s.table();
    backend().inUnitOfWork(t, x -> backend().branchObjects().create(x, t, "dev", StatePath.WORKING));
    BranchRef main = s.branch();
    BranchRef dev = new BranchRef("dev", false);
    BranchRef target = intoBranch ? dev : main;
    BranchRef source = intoBranch ? main : dev;
    backend().upsert(t, target.name(), 1, "A");
    backend().upsert(t, target.name(), 2, "ours");
    String ours = commit(t, target);
    backend().upsert(t, source.name(), 2, "theirs");
    backend().delete(t, source.name(), 3);
    backend().upsert(t, source.name(), 4, "d");
    String theirs = commit(t, source);
    return new Sides(t, target, source, List.of(ours), List.of(theirs));
  }

  private String commit(TrackedTable t, BranchRef branch) {
    return backend().inUnitOfWork(t, x -> backend().changeSets().capture(x, t, branch, true, null))
        .orElseThrow().changeSet();
  }

  private <T> T work(Sides m, Function<X, Uni<T>> work) {
    return backend().inUnitOfWork(m.table(), work);
  }

  private Uni<TableMerge> plan(X x, Sides m, Strategy strategy) {
    return merges().plan(x, m.table(), m.target(), m.ours(), m.theirs(), strategy);
  }

  private Map<Integer, String> read(Sides m) {
    return backend().read(m.table(), m.target().name());
  }

  private WorkingStatus status(Sides m) {
    return backend().inUnitOfWork(m.table(), x -> backend().workingState().status(x, m.table(), m.target()));
  }

  private long remaining(Sides m) {
    return work(m, x -> merges().remaining(x, m.table(), m.target()));
  }

  private long resolve(Sides m, String key, String field, String take, String value) {
    return work(m, x -> merges().resolve(x, m.table(), m.target(), key, field, take, value));
  }

  private long abort(Sides m) {
    return work(m, x -> merges().abort(x, m.table(), m.target()));
  }

  private List<Conflict> kept(Sides m, int fetch) {
    return work(m, x -> merges().conflicts(x, m.table(), m.target(), fetch).collect().asList());
  }

  private static final Map<Integer, String> OURS = Map.of(1, "A", 2, "ours", 3, "c");

  /** The merge keeping ours in the conflict (2): 4 inserted, 3 deleted. */
  private static final Map<Integer, String> MERGED = Map.of(1, "A", 2, "ours", 4, "d");

  private static final FieldConflict ON_V = new FieldConflict("v", "\"b\"", "\"ours\"", "\"theirs\"");

  @ParameterizedTest(name = "into a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aPlanWritesNothingAndListsItsConflicts(boolean intoBranch) {
    Sides m = sides(intoBranch);
    record Planned(TableMerge merge, List<Conflict> conflicts) {}
    Planned p = work(m, x -> plan(x, m, Strategy.THREE_WAY)
        .chain(merge -> merges().plannedConflicts(x, m.table(), 10).map(c -> new Planned(merge, c))));
    assertThat(p.merge().changes()).isEqualTo(new ChangeCounts(1, 0, 1));
    assertThat(p.merge().conflicts()).isEqualTo(1);
    assertThat(p.merge().unsettled()).isEqualTo(1);
    assertThat(p.merge().conflictsHash()).matches("[0-9a-f]{64}");
    assertThat(p.conflicts()).hasSize(1);
    Conflict c = p.conflicts().get(0);
    assertThat(c.key()).isEqualTo("[2]");
    assertThat(c.type()).isEqualTo("modify_modify");
    assertThat(c.fields()).containsExactly(ON_V);
    assertThat(read(m)).isEqualTo(OURS);
    assertThat(remaining(m)).isZero();

    // a strategy settles the conflict: counted, not left to the client, the row to its side
    TableMerge theirs = work(m, x -> plan(x, m, Strategy.THEIRS));
    assertThat(theirs.changes()).isEqualTo(new ChangeCounts(1, 1, 1));
    assertThat(theirs.conflicts()).isEqualTo(1);
    assertThat(theirs.unsettled()).isZero();
    assertThat(theirs.conflictsHash()).isEqualTo(p.merge().conflictsHash());
    TableMerge ours = work(m, x -> plan(x, m, Strategy.OURS));
    assertThat(ours.changes()).isEqualTo(new ChangeCounts(1, 0, 1));
    assertThat(ours.unsettled()).isZero();
  }

  @ParameterizedTest(name = "into a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aMergeCommittedAtOnceCapturesWhatItWroteAndItsChangeSetFromTheSource(boolean intoBranch) {
    Sides m = sides(intoBranch);
    record Committed(TableMerge applied, Optional<ChangeSets.Captured> captured, String fromPlan) {}
    Committed done = work(m, x -> plan(x, m, Strategy.THEIRS)
        .chain(() -> merges().apply(x, m.table(), m.target()))
        .chain(applied -> merges().captureApplied(x, m.table(), m.target())
            .chain(captured -> merges().fromSourceOfPlan(x, m.table(), m.ours())
                .map(fromPlan -> new Committed(applied, captured, fromPlan)))));
    assertThat(done.applied().changes()).isEqualTo(new ChangeCounts(1, 1, 1));
    ChangeSets.Captured captured = done.captured().orElseThrow();
    assertThat(List.of(captured.inserted(), captured.updated(), captured.deleted())).containsExactly(1L, 1L, 1L);
    Map<Integer, String> merged = Map.of(1, "A", 2, "theirs", 4, "d");
    assertThat(read(m)).isEqualTo(merged);
    // committed at once: nothing is left as a working change
    assertThat(status(m)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, ChangeCounts.NONE));

    // from the source to the merge commit: only ours' change of 1 (theirs won 2)
    assertThat(done.fromPlan()).isNotNull();
    String fromSource = work(m, x -> merges().fromSource(x, m.table(), m.ours(), m.theirs(), captured.changeSet()));
    assertThat(fromSource).isEqualTo(done.fromPlan());
    ChangeCounts sourceToMerge = work(m, x -> backend().changeSets()
        .diffCounts(x, m.table(), List.of(), List.of(fromSource)));
    assertThat(sourceToMerge).isEqualTo(new ChangeCounts(0, 1, 0));
    // two equal states: no change set
    String none = work(m, x -> merges().fromSource(x, m.table(), List.of(), List.of(), null));
    assertThat(none).isNull();
  }

  @ParameterizedTest(name = "into a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aMergeRecordedAppliedIsTheBranchsWorkingChanges(boolean intoBranch) {
    Sides m = sides(intoBranch);
    work(m, x -> plan(x, m, Strategy.OURS)
        .chain(() -> merges().apply(x, m.table(), m.target()))
        .chain(() -> merges().recordApplied(x, m.table(), m.target(), false)));
    assertThat(read(m)).isEqualTo(MERGED);
    assertThat(status(m)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, new ChangeCounts(1, 0, 1)));
    backend().inUnitOfWork(m.table(), x -> backend().workingState().discard(x, m.table(), m.target()));
    assertThat(read(m)).isEqualTo(OURS);
  }

  /** Applies a three-way merge and keeps it in progress. */
  private void keep(Sides m) {
    work(m, x -> plan(x, m, Strategy.THREE_WAY)
        .chain(() -> merges().apply(x, m.table(), m.target()))
        .chain(() -> merges().keep(x, m.table(), m.target())));
  }

  @Test
  void aRowTheTableRefusesIsAnUnsettledConflictKeepingOursWhateverTheStrategy() {
    Sides m = sides(false);
    backend().refuse(m.table(), "d", "no_d");
    TableMerge applied = work(m, x -> plan(x, m, Strategy.THEIRS)
        .chain(() -> merges().apply(x, m.table(), m.target()))
        .call(() -> merges().keep(x, m.table(), m.target())));
    assertThat(applied.changes()).isEqualTo(new ChangeCounts(0, 1, 1)); // 4 refused
    assertThat(applied.conflicts()).isEqualTo(2);
    assertThat(applied.unsettled()).isEqualTo(1);
    assertThat(read(m)).isEqualTo(Map.of(1, "A", 2, "theirs"));
    List<Conflict> kept = kept(m, 10);
    assertThat(kept).hasSize(1);
    assertThat(kept.get(0).key()).isEqualTo("[4]");
    assertThat(kept.get(0).type()).isEqualTo("constraint");
    assertThat(kept.get(0).refusedBy()).startsWith("no_d: ");
    assertThat(kept.get(0).fields()).extracting(FieldConflict::name).containsExactly("v");
  }

  @ParameterizedTest(name = "into a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aMergeInProgressKeepsItsConflictsUntilTheyAreResolved(boolean intoBranch) {
    Sides m = sides(intoBranch);
    keep(m);
    assertThat(read(m)).isEqualTo(MERGED);
    assertThat(status(m)).isEqualTo(new WorkingStatus(new ChangeCounts(1, 0, 1), ChangeCounts.NONE));
    assertThat(remaining(m)).isEqualTo(1);
    List<Conflict> kept = kept(m, 1);
    assertThat(kept).extracting(Conflict::key, Conflict::type).containsExactly(
        tuple("[2]", "modify_modify"));
    assertThat(kept.get(0).fields()).containsExactly(ON_V);

    // a key that is no conflict resolves nothing; a value is written as given
    assertThat(resolve(m, "[1]", null, "theirs", null)).isZero();
    assertThat(resolve(m, "[2]", "v", "value", "\"mine\"")).isEqualTo(1);
    assertThat(read(m)).containsEntry(2, "mine");
    assertThat(remaining(m)).isZero();
    assertThat(status(m).staged()).isEqualTo(new ChangeCounts(1, 1, 1));
    work(m, x -> merges().end(x, m.table(), m.target()));
    assertThat(kept(m, 10)).isEmpty();
  }

  @ParameterizedTest(name = "into a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aRowLevelConflictIsResolvedWholeTakingOneSidesRow(boolean intoBranch) {
    Sides m = sides(intoBranch);
    // theirs deleted 3; ours now changes it too: delete_modify
    backend().upsert(m.table(), m.target().name(), 3, "C");
    Sides changed = new Sides(m.table(), m.target(), m.source(), List.of(m.ours().get(0), commit(m.table(), m.target())),
        m.theirs());
    keep(changed);
    assertThat(remaining(changed)).isEqualTo(2);
    // fetched one at a time, in key order
    assertThat(kept(changed, 1)).extracting(Conflict::key, Conflict::type).containsExactly(
        tuple("[2]", "modify_modify"), tuple("[3]", "delete_modify"));
    assertThatThrownBy(() -> resolve(changed, "[3]", "v",
        "theirs", null)).isInstanceOf(IllegalArgumentException.class);
    assertThat(resolve(changed, "[3]", null, "theirs", null))
        .isEqualTo(1);
    assertThat(read(changed)).doesNotContainKey(3);
    // every conflict left, to ours
    assertThat(resolve(changed, null, null, "ours", null))
        .isEqualTo(1);
    assertThat(read(changed)).isEqualTo(MERGED);
    assertThat(remaining(changed)).isZero();
  }

  @ParameterizedTest(name = "into a branch: {0}")
  @ValueSource(booleans = {false, true})
  void anAbortPutsOursBackAndKeepsWhatWasChangedSince(boolean intoBranch) {
    Sides m = sides(intoBranch);
    keep(m);
    backend().upsert(m.table(), m.target().name(), 4, "later"); // someone's write after the merge's
    long stayed = abort(m);
    assertThat(stayed).isEqualTo(1);
    Map<Integer, String> expected = new TreeMap<>(OURS);
    expected.put(4, "later");
    assertThat(read(m)).isEqualTo(expected);
    assertThat(remaining(m)).isZero();
    assertThat(status(m)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, new ChangeCounts(1, 0, 0)));
  }

  @ParameterizedTest(name = "into a branch: {0}")
  @ValueSource(booleans = {false, true})
  void anAttemptNeverAppendedIsUndone(boolean intoBranch) {
    Sides m = sides(intoBranch);
    String attempt = UUID.randomUUID().toString();
    work(m, x -> plan(x, m, Strategy.THEIRS)
        .chain(() -> merges().apply(x, m.table(), m.target()))
        .chain(() -> merges().captureApplied(x, m.table(), m.target()))
        .chain(() -> merges().saveUndo(x, m.table(), m.target(), attempt)));
    assertThat(read(m)).isEqualTo(Map.of(1, "A", 2, "theirs", 4, "d"));
    backend().upsert(m.table(), m.target().name(), 4, "later"); // changed since: stays, a working change
    long putBack = work(m, x -> merges().undo(x, m.table(), m.target(), attempt));
    assertThat(putBack).isEqualTo(2);
    Map<Integer, String> expected = new TreeMap<>(OURS);
    expected.put(4, "later");
    assertThat(read(m)).isEqualTo(expected);
    assertThat(status(m)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, new ChangeCounts(1, 0, 0)));
  }

  @ParameterizedTest(name = "into a branch: {0}")
  @ValueSource(booleans = {false, true})
  void whatAMergeInProgressWroteIsSetAsideAndRestored(boolean intoBranch) {
    Sides m = sides(intoBranch);
    keep(m);
    String attempt = UUID.randomUUID().toString();
    work(m, x -> merges().setAside(x, m.table(), m.target(), attempt));
    assertThat(remaining(m)).isZero(); // the merge ended on the table
    work(m, x -> merges().restoreSetAside(x, m.table(), m.target(), attempt));
    // in progress again as far as the rows go: an abort puts ours back
    assertThat(abort(m)).isZero();
    assertThat(read(m)).isEqualTo(OURS);
    // nothing set aside under another attempt: nothing restored
    work(m, x -> merges().restoreSetAside(x, m.table(), m.target(), UUID.randomUUID().toString()));
    assertThat(abort(m)).isZero();
    assertThat(read(m)).isEqualTo(OURS);
  }

  @ParameterizedTest(name = "into a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aRevertsPlanGoesThroughTheMergeBaseOfItsSides(boolean intoBranch) {
    Subject s = backend().subject(intoBranch, ROWS);
    TrackedTable t = s.table();
    backend().upsert(t, s.branch().name(), 1, "A");
    String c1 = commit(t, s.branch());
    backend().upsert(t, s.branch().name(), 2, "B");
    backend().upsert(t, s.branch().name(), 1, "AA");
    String c2 = commit(t, s.branch());
    backend().upsert(t, s.branch().name(), 3, "C");
    String c3 = commit(t, s.branch());
    // reverting c2 on c3: the base is c2, theirs its parent c1; their merge base c1
    TableMerge revert = backend().inUnitOfWork(t, x -> merges().plan(x, t, s.branch(), List.of(c2), List.of(c2, c3),
            List.of(c2), List.of(), Strategy.THREE_WAY)
        .call(() -> merges().apply(x, t, s.branch())));
    assertThat(revert.changes()).isEqualTo(new ChangeCounts(0, 2, 0));
    assertThat(revert.conflicts()).isZero();
    assertThat(backend().read(t, s.branch().name())).isEqualTo(Map.of(1, "A", 2, "b", 3, "C"));
  }
}
