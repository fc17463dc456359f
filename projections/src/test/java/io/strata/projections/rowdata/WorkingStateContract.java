package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.RowDataBackend.Subject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of {@link WorkingState}, for every backend (a subclass names it), on the default
 * branch and on another: net working changes, staging, an exact discard, and batches applied as
 * staged changes that a discard takes back; moves along committed change sets (a fast-forward, a hard
 * and a soft reset, and their undoing); writers held off.
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

  /** Two commits on the subject's branch: 1 updated, 2 deleted, 4 inserted; then 4 updated, 5 inserted. */
  private record Commits(String c1, String c2) {}

  private static final Map<Integer, String> AFTER_C1 = Map.of(1, "A", 3, "c", 4, "d");
  private static final Map<Integer, String> AFTER_C2 = Map.of(1, "A", 3, "c", 4, "D", 5, "e");

  private Commits commits(Subject s) {
    apply(s, """
        [{"id": 1, "v": "A"}, {"id": 2}, {"id": 4, "v": "d"}]""", "u11" + "d11" + "u11", 3);
    String c1 = backend().inUnitOfWork(s.table(), x -> backend().changeSets()
        .capture(x, s.table(), s.branch(), false, null)).orElseThrow().changeSet();
    backend().upsert(s.table(), s.branch().name(), 4, "D");
    backend().upsert(s.table(), s.branch().name(), 5, "e");
    String c2 = backend().inUnitOfWork(s.table(), x -> backend().changeSets()
        .capture(x, s.table(), s.branch(), true, null)).orElseThrow().changeSet();
    assertThat(read(s)).isEqualTo(AFTER_C2);
    return new Commits(c1, c2);
  }

  private void move(Subject s, List<String> undo, List<String> redo, String attempt) {
    backend().inUnitOfWork(s.table(), x -> attempt == null
        ? backend().workingState().move(x, s.table(), s.branch(), undo, redo)
        : backend().workingState().move(x, s.table(), s.branch(), undo, redo, attempt));
  }

  private static final WorkingStatus CLEAN = new WorkingStatus(ChangeCounts.NONE, ChangeCounts.NONE);

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aMoveTakesAnotherCommitsRowsAlongTheChangeSetsRecordingNothing(boolean onBranch) {
    Subject s = subject(onBranch);
    Commits c = commits(s);
    // back to the fork (a hard reset to it): the rows before the oldest
    move(s, List.of(c.c1(), c.c2()), List.of(), null);
    assertThat(read(s)).isEqualTo(ROWS);
    assertThat(status(s)).isEqualTo(CLEAN);
    // and forward again: the rows after the newest
    move(s, List.of(), List.of(c.c1(), c.c2()), null);
    assertThat(read(s)).isEqualTo(AFTER_C2);
    assertThat(status(s)).isEqualTo(CLEAN);
    // only the newer one undone
    move(s, List.of(c.c2()), List.of(), null);
    assertThat(read(s)).isEqualTo(AFTER_C1);
    assertThat(status(s)).isEqualTo(CLEAN);
    // along both sides of a merge base: c1 undone, c1 and c2 redone
    move(s, List.of(c.c1()), List.of(c.c1(), c.c2()), null);
    assertThat(read(s)).isEqualTo(AFTER_C2);
    move(s, List.of(), List.of(), null);
    assertThat(read(s)).isEqualTo(AFTER_C2);
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aMoveNeverAppendedIsUndoneKeepingLaterWrites(boolean onBranch) {
    Subject s = subject(onBranch);
    Commits c = commits(s);
    String attempt = UUID.randomUUID().toString();
    move(s, List.of(c.c1(), c.c2()), List.of(), attempt);
    assertThat(read(s)).isEqualTo(ROWS);
    backend().upsert(s.table(), s.branch().name(), 2, "later"); // changed since: stays, a working change
    long putBack = backend().inUnitOfWork(s.table(),
        x -> backend().merges().undo(x, s.table(), s.branch(), attempt));
    assertThat(putBack).isEqualTo(3); // 1, 4 and 5; not 2
    Map<Integer, String> expected = new TreeMap<>(AFTER_C2);
    expected.put(2, "later");
    assertThat(read(s)).isEqualTo(expected);
    assertThat(status(s)).isEqualTo(new WorkingStatus(ChangeCounts.NONE, new ChangeCounts(1, 0, 0)));
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void anAdvanceMovesACleanBranchAlongChangeSetsRecordingNothing(boolean onBranch) {
    Subject s = subject(onBranch);
    Commits c = commits(s);
    move(s, List.of(c.c1(), c.c2()), List.of(), null);
    backend().inUnitOfWork(s.table(), x -> backend().workingState().advance(x, s.table(), s.branch(), List.of(c.c1())));
    assertThat(read(s)).isEqualTo(AFTER_C1);
    backend().inUnitOfWork(s.table(), x -> backend().workingState().advance(x, s.table(), s.branch(), List.of(c.c2())));
    assertThat(read(s)).isEqualTo(AFTER_C2);
    backend().inUnitOfWork(s.table(), x -> backend().workingState().advance(x, s.table(), s.branch(), List.of()));
    assertThat(read(s)).isEqualTo(AFTER_C2);
    assertThat(status(s)).isEqualTo(CLEAN);
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void stagingAgainstAnotherCommitKeepsTheRowsAsStagedChangesFromIt(boolean onBranch) {
    Subject s = subject(onBranch);
    Commits c = commits(s);
    // a soft reset to the fork: the rows stay, the difference is staged
    backend().inUnitOfWork(s.table(), x -> backend().workingState()
        .stageAgainst(x, s.table(), s.branch(), List.of(c.c1(), c.c2()), List.of()));
    assertThat(read(s)).isEqualTo(AFTER_C2);
    assertThat(status(s)).isEqualTo(new WorkingStatus(new ChangeCounts(2, 1, 1), ChangeCounts.NONE));
    assertThat(discard(s)).isEqualTo(new ChangeCounts(2, 1, 1));
    assertThat(read(s)).isEqualTo(ROWS);
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void stagingAgainstNeverAppendedIsUndone(boolean onBranch) {
    Subject s = subject(onBranch);
    Commits c = commits(s);
    String attempt = UUID.randomUUID().toString();
    backend().inUnitOfWork(s.table(), x -> backend().workingState()
        .stageAgainst(x, s.table(), s.branch(), List.of(c.c2()), List.of(), attempt));
    assertThat(status(s)).isEqualTo(new WorkingStatus(new ChangeCounts(1, 1, 0), ChangeCounts.NONE));
    backend().inUnitOfWork(s.table(), x -> backend().merges().undo(x, s.table(), s.branch(), attempt));
    assertThat(read(s)).isEqualTo(AFTER_C2);
    assertThat(status(s)).isEqualTo(CLEAN);
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void writesReachOtherRowsOnlyOnTheDefaultBranchOfATableOthersDependOn(boolean onBranch) {
    Subject s = subject(onBranch);
    assertThat(reachesOtherRows(s)).isFalse();
    backend().makeWritesReachOtherRows(s.table());
    assertThat(reachesOtherRows(s)).isEqualTo(!onBranch);
  }

  private boolean reachesOtherRows(Subject s) {
    return backend().inUnitOfWork(s.table(),
        x -> backend().workingState().writesMayReachOtherRows(x, s.table(), s.branch()));
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void writersAreHeldOffUntilTheUnitOfWorkEndsAndReadersGoOn(boolean onBranch) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(backend().clientWritersCanBeHeldOff());
    Subject s = subject(onBranch);
    String b = s.branch().name();
    CompletableFuture<Void> write = new CompletableFuture<>();
    Map<Integer, String> readMeanwhile = backend().inUnitOfWork(s.table(), x -> backend().workingState()
        .holdWriters(x, s.table(), s.branch())
        .chain(() -> Uni.createFrom().item(() -> {
          CompletableFuture.runAsync(() -> backend().upsert(s.table(), b, 1, "waited"))
              .whenComplete((done, failed) -> write.complete(null));
          return CompletableFuture.supplyAsync(() -> read(s));
        }))
        .chain(reading -> Uni.createFrom().completionStage(reading))
        .onItem().delayIt().by(Duration.ofMillis(500))
        .invoke(() -> assertThat(write).as("a write while writers are held off").isNotDone()));
    assertThat(readMeanwhile).isEqualTo(ROWS);
    write.get(30, TimeUnit.SECONDS);
    assertThat(read(s)).containsEntry(1, "waited");
  }
}
