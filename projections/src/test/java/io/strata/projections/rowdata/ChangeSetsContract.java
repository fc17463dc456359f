package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.ChangeSets.Captured;
import io.strata.projections.rowdata.ChangeSets.RowChange;
import io.strata.projections.rowdata.RowDataBackend.Subject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of {@link ChangeSets}, for every backend (a subclass names it): a commit's capture
 * takes exactly the staged working changes, diffs between commits read the change sets in either
 * direction, and what an abandoned commit attempt captured is put back.
 */
public abstract class ChangeSetsContract<X> {
  private static final Map<Integer, String> ROWS = Map.of(1, "a", 2, "b", 3, "c");
  private static final ChangeCounts ONE_EACH = new ChangeCounts(1, 1, 1);

  protected abstract RowDataBackend<X> backend();

  private Subject subject(boolean onBranch) {
    return backend().subject(onBranch, ROWS);
  }

  private ChangeSets<X> changeSets() {
    return backend().changeSets();
  }

  private Optional<Captured> capture(Subject s, boolean all, String attempt) {
    return backend().inUnitOfWork(s.table(), x -> changeSets().capture(x, s.table(), s.branch(), all, attempt));
  }

  private WorkingStatus status(Subject s) {
    return backend().inUnitOfWork(s.table(), x -> backend().workingState().status(x, s.table(), s.branch()));
  }

  /** REST-style writes, staged: 1 updated, 2 deleted, 4 inserted. */
  private void stagedChanges(Subject s) {
    backend().inUnitOfWork(s.table(), x -> backend().workingState().apply(x, s.table(), s.branch(), new RowBatch(
        "[{\"id\": 1, \"v\": \"A\"}, {\"id\": 2}, {\"id\": 4, \"v\": \"d\"}]", "u11" + "d11" + "u11", 3)));
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aCaptureTakesTheStagedChangesAndLeavesTheRest(boolean onBranch) {
    Subject s = subject(onBranch);
    stagedChanges(s);
    backend().upsert(s.table(), s.branch().name(), 3, "unstaged");
    Captured captured = capture(s, false, null).orElseThrow();
    assertThat(new ChangeCounts(captured.inserted(), captured.updated(), captured.deleted())).isEqualTo(ONE_EACH);
    assertThat(captured.changeSet()).isNotBlank();
    assertThat(status(s)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, new ChangeCounts(0, 1, 0)));
    assertThat(capture(s, false, null)).isEmpty();
    Captured rest = capture(s, true, null).orElseThrow();
    assertThat(rest.updated()).isEqualTo(1);
    assertThat(rest.changeSet()).isNotEqualTo(captured.changeSet());
    assertThat(status(s)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, ChangeCounts.NONE));
    assertThat(backend().read(s.table(), s.branch().name())).isEqualTo(Map.of(1, "A", 3, "unstaged", 4, "d"));
  }

  @Test
  void aChangeSetIsContentAddressed() {
    org.junit.jupiter.api.Assumptions.assumeTrue(backend().changeSetsAreContentAddressed());
    Subject first = subject(false);
    Subject second = subject(false);
    for (Subject s : List.of(first, second)) {
      stagedChanges(s);
    }
    // the same changes of the same rows: the same change set, in two tables
    assertThat(capture(first, false, null).orElseThrow().changeSet())
        .isEqualTo(capture(second, false, null).orElseThrow().changeSet());
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aChangeSetExistsBesideItsTableUntilTheTableIsUntrackedAndTrackedAgain(boolean onBranch) {
    Subject s = subject(onBranch);
    stagedChanges(s);
    String c1 = capture(s, false, null).orElseThrow().changeSet();
    TrackedTable t = s.table();
    assertThat(exists(t, c1)).isTrue();
    assertThat(exists(t, "0".repeat(c1.length()))).isFalse();
    // the same change set is another table's only once captured there
    assertThat(exists(subject(false).table(), c1)).isFalse();
    backend().inUnitOfWork(t, x -> backend().tracking().untrack(x, t)
        .chain(() -> backend().tracking().track(x, t, List.of(), (r, n) -> Uni.createFrom().item(false))));
    assertThat(exists(t, c1)).isFalse(); // its history went with the first tracking
  }

  private boolean exists(TrackedTable t, String changeSet) {
    return backend().inUnitOfWork(t, x -> changeSets().exists(x, t, changeSet));
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void diffsReadTheChangeSetsBetweenTwoCommitsEitherWay(boolean onBranch) {
    Subject s = subject(onBranch);
    stagedChanges(s);
    String c1 = capture(s, false, null).orElseThrow().changeSet();
    backend().upsert(s.table(), s.branch().name(), 4, "D");
    backend().upsert(s.table(), s.branch().name(), 5, "e");
    String c2 = capture(s, true, null).orElseThrow().changeSet();
    TrackedTable t = s.table();
    ChangeCounts forward = backend().inUnitOfWork(t, x -> changeSets().diffCounts(x, t, List.of(), List.of(c1, c2)));
    assertThat(forward).isEqualTo(new ChangeCounts(2, 1, 1)); // 4 and 5 inserted, 1 updated, 2 deleted
    ChangeCounts back = backend().inUnitOfWork(t, x -> changeSets().diffCounts(x, t, List.of(c1, c2), List.of()));
    assertThat(back).isEqualTo(new ChangeCounts(1, 1, 2));
    List<RowChange> rows = backend().inUnitOfWork(t,
        x -> changeSets().diff(x, t, List.of(c1), List.of(c1, c2), 1).collect().asList());
    assertThat(rows).extracting(RowChange::op).containsExactly("update", "insert");
    assertThat(rows.get(0).fields()).containsExactly("v");
    assertThat(rows.get(0).before()).contains("\"d\"");
    assertThat(rows.get(0).after()).contains("\"D\"");
    // the columns the net changes change, of those asked about: none on a path back to itself
    java.util.Set<String> changed = backend().inUnitOfWork(t, x -> changeSets().changedColumns(x, t, List.of(),
        List.of(c1, c2), List.of("v", "absent")));
    assertThat(changed).containsExactly("v");
    java.util.Set<String> none = backend().inUnitOfWork(t, x -> changeSets().changedColumns(x, t, List.of(c1),
        List.of(c1), List.of("v")));
    assertThat(none).isEmpty();
    ChangeSets.ContentDelta delta = backend().inUnitOfWork(t,
        x -> changeSets().contentDelta(x, t, List.of(), List.of(c1, c2)));
    assertThat(delta.rows()).isEqualTo(1);
    ChangeSets.ContentDelta nothing = backend().inUnitOfWork(t, x -> changeSets().contentDelta(x, t, List.of(),
        List.of()));
    assertThat(nothing).isEqualTo(new ChangeSets.ContentDelta(0, "0"));
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void whatAnAbandonedAttemptCapturedIsPutBackStaged(boolean onBranch) {
    Subject s = subject(onBranch);
    stagedChanges(s);
    String attempt = UUID.randomUUID().toString();
    assertThat(capture(s, false, attempt)).isPresent();
    assertThat(status(s)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, ChangeCounts.NONE));
    TrackedTable t = s.table();
    List<String> kept = backend().inUnitOfWork(t, x -> changeSets().keptAttempts(x, List.of(t)));
    assertThat(kept).containsExactly(attempt);
    long restored = backend().inUnitOfWork(t, x -> changeSets().restore(x, t, s.branch(), attempt));
    assertThat(restored).isEqualTo(3);
    backend().inUnitOfWork(t, x -> changeSets().forgetAttempt(x, attempt));
    List<String> left = backend().inUnitOfWork(t, x -> changeSets().keptAttempts(x, List.of(t)));
    assertThat(left).isEmpty();
    assertThat(status(s)).isEqualTo(new WorkingStatus(ONE_EACH, ChangeCounts.NONE));
    backend().inUnitOfWork(t, x -> backend().workingState().discard(x, t, s.branch()));
    assertThat(backend().read(t, s.branch().name())).isEqualTo(ROWS);
  }
}
