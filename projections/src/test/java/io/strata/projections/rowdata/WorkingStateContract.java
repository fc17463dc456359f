package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.rowdata.RowDataBackend.Subject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of {@link WorkingState}, for every backend (a subclass names it), on the default
 * branch and on another: net working changes, staging, an exact discard, and batches applied as
 * staged changes that a discard takes back.
 */
public abstract class WorkingStateContract<X> {
  private static final Map<Integer, String> ROWS = Map.of(1, "a", 2, "b", 3, "c");

  protected abstract RowDataBackend<X> backend();

  /** A new table, seen from the default branch or from a new branch of it. */
  private Subject subject(boolean onBranch) {
    return backend().subject(onBranch, ROWS);
  }

  private WorkingStatus status(Subject s) {
    return backend().inUnitOfWork(s.table(), x -> backend().workingState().status(x, s.table(), s.branch()));
  }

  private ChangeCounts stage(Subject s, boolean staged) {
    return backend().inUnitOfWork(s.table(), x -> backend().workingState().stage(x, s.table(), s.branch(), staged));
  }

  private ChangeCounts discard(Subject s) {
    return backend().inUnitOfWork(s.table(), x -> backend().workingState().discard(x, s.table(), s.branch()));
  }

  private ChangeCounts apply(Subject s, String rows, String marks, long count) {
    return backend().inUnitOfWork(s.table(),
        x -> backend().workingState().apply(x, s.table(), s.branch(), new RowBatch(rows, marks, count)));
  }

  private Map<Integer, String> read(Subject s) {
    return backend().read(s.table(), s.branch().name());
  }

  /** Client writes: 1 updated, 2 deleted, 4 inserted, 3 changed and changed back. */
  private void change(Subject s) {
    String b = s.branch().name();
    backend().upsert(s.table(), b, 1, "A");
    backend().delete(s.table(), b, 2);
    backend().upsert(s.table(), b, 4, "d");
    backend().upsert(s.table(), b, 3, "x");
    backend().upsert(s.table(), b, 3, "c");
  }

  private static final ChangeCounts ONE_EACH = new ChangeCounts(1, 1, 1);

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void statusCountsNetChangesAndStagingMovesThem(boolean onBranch) {
    Subject s = subject(onBranch);
    assertThat(status(s)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, ChangeCounts.NONE));
    change(s);
    assertThat(status(s)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, ONE_EACH));
    assertThat(stage(s, true)).isEqualTo(ONE_EACH);
    assertThat(status(s)).isEqualTo(new WorkingStatus(ONE_EACH, ChangeCounts.NONE));
    assertThat(stage(s, true)).isEqualTo(ChangeCounts.NONE);
    assertThat(stage(s, false)).isEqualTo(ONE_EACH);
    assertThat(status(s)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, ONE_EACH));
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void discardPutsTheLastCommitBackExactly(boolean onBranch) {
    Subject s = subject(onBranch);
    change(s);
    stage(s, true);
    backend().upsert(s.table(), s.branch().name(), 5, "e"); // unstaged, besides the staged ones
    assertThat(discard(s)).isEqualTo(new ChangeCounts(2, 1, 1));
    assertThat(read(s)).isEqualTo(ROWS);
    assertThat(status(s)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, ChangeCounts.NONE));
    assertThat(discard(s)).isEqualTo(ChangeCounts.NONE);
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aBatchIsAppliedLastOperationWinningAndRecordedStaged(boolean onBranch) {
    Subject s = subject(onBranch);
    ChangeCounts did = apply(s, """
        [{"id": 1, "v": "A"}, {"id": 2}, {"id": 9, "v": "first"}, {"id": 9, "v": "last"}, {"id": 7}]""",
        "u11" + "d11" + "u11" + "u11" + "d11", 5);
    assertThat(did).isEqualTo(ONE_EACH); // 7 had no row: nothing deleted
    Map<Integer, String> expected = new TreeMap<>(Map.of(1, "A", 3, "c", 9, "last"));
    assertThat(read(s)).isEqualTo(expected);
    assertThat(status(s)).isEqualTo(new WorkingStatus(ONE_EACH, ChangeCounts.NONE));
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void whatABatchOverwroteIsRecordedSoADiscardTakesItBack(boolean onBranch) {
    Subject s = subject(onBranch);
    backend().upsert(s.table(), s.branch().name(), 1, "client"); // an unstaged change first
    apply(s, """
        [{"id": 1, "v": "rest"}, {"id": 3}, {"id": 8, "v": "new"}]""", "u11" + "d11" + "u11", 3);
    assertThat(status(s).staged()).isEqualTo(ONE_EACH);
    discard(s);
    assertThat(read(s)).isEqualTo(ROWS);
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aRowIsReadAsTheBranchHasItBeforeAWrite(boolean onBranch) {
    Subject s = subject(onBranch);
    backend().upsert(s.table(), s.branch().name(), 2, "B");
    Optional<String> row = backend().inUnitOfWork(s.table(),
        x -> backend().workingState().row(x, s.table(), s.branch(), "{\"id\": 2}", true));
    assertThat(row).hasValueSatisfying(json -> assertThat(json).contains("\"v\": \"B\""));
    Optional<String> none = backend().inUnitOfWork(s.table(),
        x -> backend().workingState().row(x, s.table(), s.branch(), "{\"id\": 42}", false));
    assertThat(none).isEmpty();
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void changeSetsApplyForwardAndBackwardRecordingWhatTheyOverwrote(boolean onBranch) {
    Subject s = subject(onBranch);
    apply(s, """
        [{"id": 1, "v": "A"}, {"id": 2}, {"id": 4, "v": "d"}]""", "u11" + "d11" + "u11", 3);
    String c1 = backend().inUnitOfWork(s.table(), x -> backend().changeSets()
        .capture(x, s.table(), s.branch(), false, null)).orElseThrow().changeSet();
    backend().upsert(s.table(), s.branch().name(), 4, "D");
    backend().upsert(s.table(), s.branch().name(), 5, "e");
    String c2 = backend().inUnitOfWork(s.table(), x -> backend().changeSets()
        .capture(x, s.table(), s.branch(), true, null)).orElseThrow().changeSet();
    Map<Integer, String> after = Map.of(1, "A", 3, "c", 4, "D", 5, "e");
    assertThat(read(s)).isEqualTo(after);

    // undo both (a revert of the two commits): the rows before the oldest
    ChangeCounts undone = backend().inUnitOfWork(s.table(), x -> backend().workingState()
        .applyChangeSets(x, s.table(), s.branch(), List.of(c1, c2), false));
    assertThat(undone).isEqualTo(new ChangeCounts(1, 1, 2)); // 2 back; 1 restored; 4 and 5 gone
    assertThat(read(s)).isEqualTo(ROWS);
    assertThat(status(s)).isEqualTo(new WorkingStatus(new ChangeCounts(1, 1, 2), ChangeCounts.NONE));

    // redo them (a cherry-pick of both): the rows after the newest
    backend().inUnitOfWork(s.table(), x -> backend().workingState()
        .applyChangeSets(x, s.table(), s.branch(), List.of(c1, c2), true));
    assertThat(read(s)).isEqualTo(after);
    assertThat(status(s)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, ChangeCounts.NONE));

    // only the newer one undone; then a discard takes that back: what it overwrote was recorded
    backend().inUnitOfWork(s.table(), x -> backend().workingState()
        .applyChangeSets(x, s.table(), s.branch(), List.of(c2), false));
    assertThat(read(s)).isEqualTo(Map.of(1, "A", 3, "c", 4, "d"));
    discard(s);
    assertThat(read(s)).isEqualTo(after);
  }
}
