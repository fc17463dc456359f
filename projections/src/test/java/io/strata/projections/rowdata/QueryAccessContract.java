package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.projections.rowdata.RowDataBackend.Subject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of {@link QueryAccess}, for every backend (a subclass names it): a repository's query
 * role reads its tables at every state a branch names, and nothing else — not the tables themselves,
 * not another repository's tables — until it is revoked.
 */
public abstract class QueryAccessContract<X> {
  private static final Map<Integer, String> ROWS = Map.of(1, "a", 2, "b", 3, "c");
  private static final String PASSWORD = "0123456789abcdef0123456789abcdef";

  protected abstract RowDataBackend<X> backend();

  private QueryAccess<X> access() {
    return backend().queryAccess();
  }

  private void grant(TrackedTable t) {
    backend().inUnitOfWork(t, x -> access().grant(x, t.repository(), List.of(t), PASSWORD,
        new QueryAccess.Limits("8MB", "-1")));
  }

  private Map<Integer, String> readAs(TrackedTable t, String relation) {
    return backend().readAs(access().role(t.repository()), PASSWORD, relation);
  }

  @ParameterizedTest(name = "on a branch: {0}")
  @ValueSource(booleans = {false, true})
  void theRoleReadsItsTablesAtEveryStateAndNothingElse(boolean onBranch) {
    Subject s = backend().subject(onBranch, ROWS);
    TrackedTable t = s.table();
    String b = s.branch().name();
    backend().upsert(t, b, 1, "A");
    String c1 = backend().inUnitOfWork(t, x -> backend().changeSets().capture(x, t, s.branch(), true, null))
        .orElseThrow().changeSet();
    backend().upsert(t, b, 2, "B"); // a working change after the commit
    grant(t);

    assertThat(readAs(t, access().relationAt(t, s.branch(), StatePath.WORKING)))
        .isEqualTo(Map.of(1, "A", 2, "B", 3, "c"));
    assertThat(readAs(t, access().relationAt(t, s.branch(), new StatePath(List.of(), List.of(), true))))
        .isEqualTo(Map.of(1, "A", 2, "b", 3, "c"));
    assertThat(readAs(t, access().relationAt(t, s.branch(), new StatePath(List.of(c1), List.of(), true))))
        .isEqualTo(ROWS);

    String table = t.schema() + "." + t.table();
    assertThatThrownBy(() -> readAs(t, table)).as("the table itself").isNotNull();
    Subject other = backend().subject(false, Map.of(9, "z"));
    grant(other.table());
    String theirs = access().relationAt(other.table(), other.branch(), StatePath.WORKING);
    assertThatThrownBy(() -> readAs(t, theirs)).as("another repository's table").isNotNull();
    assertThat(readAs(other.table(), theirs)).isEqualTo(Map.of(9, "z"));

    backend().inUnitOfWork(t, x -> access().revoke(x, t.repository()));
    assertThatThrownBy(() -> readAs(t, access().relationAt(t, s.branch(), StatePath.WORKING)))
        .as("a revoked role").isNotNull();
  }
}
