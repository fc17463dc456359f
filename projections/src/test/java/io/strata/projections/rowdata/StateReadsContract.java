package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.rowdata.RowDataBackend.Subject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of {@link StateReads}, for every backend (a subclass names it): a branch reads its
 * working state, its last commit and older commits, by pages in key order with filters, and as a stream.
 */
public abstract class StateReadsContract<X> {
  private static final Map<Integer, String> ROWS = Map.of(1, "a", 2, "b", 3, "c");

  protected abstract RowDataBackend<X> backend();

  private Subject subject(boolean onBranch) {
    return backend().subject(onBranch, ROWS);
  }

  private List<String> rows(Subject s, StatePath path, Map<String, String> filters, String after, int limit) {
    return backend().inUnitOfWork(s.table(),
        x -> backend().stateReads().page(x, s.table(), s.branch(), path, filters, after, limit)).rows();
  }

  private static List<String> values(List<String> rows) {
    return rows.stream().map(r -> r.replaceAll(".*\"v\":\\s*(null|\"([^\"]*)\").*", "$2")).toList();
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void aBranchReadsItsWorkingStateItsLastCommitAndOlderOnes(boolean onBranch) {
    Subject s = subject(onBranch);
    String b = s.branch().name();
    backend().upsert(s.table(), b, 1, "A");
    backend().delete(s.table(), b, 2);
    String c1 = backend().inUnitOfWork(s.table(),
        x -> backend().changeSets().capture(x, s.table(), s.branch(), true, null)).orElseThrow().changeSet();
    backend().upsert(s.table(), b, 3, "C"); // a working change after the commit
    backend().upsert(s.table(), b, 4, "d");
    assertThat(values(rows(s, StatePath.WORKING, Map.of(), null, 10))).containsExactly("A", "C", "d");
    StatePath lastCommit = new StatePath(List.of(), List.of(), true);
    assertThat(values(rows(s, lastCommit, Map.of(), null, 10))).containsExactly("A", "c");
    StatePath before = new StatePath(List.of(c1), List.of(), true);
    assertThat(values(rows(s, before, Map.of(), null, 10))).containsExactly("a", "b", "c");
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void pagesFollowTheKeyAfterTheCursorAndFiltersHold(boolean onBranch) {
    Subject s = subject(onBranch);
    backend().upsert(s.table(), s.branch().name(), 5, "c");
    StateReads.Page first = backend().inUnitOfWork(s.table(),
        x -> backend().stateReads().page(x, s.table(), s.branch(), StatePath.WORKING, Map.of(), null, 2));
    assertThat(values(first.rows())).containsExactly("a", "b");
    assertThat(first.lastKey()).contains("2");
    assertThat(values(rows(s, StatePath.WORKING, Map.of(), first.lastKey(), 2))).containsExactly("c", "c");
    assertThat(rows(s, StatePath.WORKING, Map.of("v", "c"), null, 10)).hasSize(2);
    List<String> streamed = backend().inUnitOfWork(s.table(), x -> backend().stateReads()
        .stream(x, s.table(), s.branch(), StatePath.WORKING, Map.of(), first.lastKey(), 1).collect().asList());
    assertThat(values(streamed)).containsExactly("c", "c");
  }
}
