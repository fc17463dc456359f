package io.strata.server.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.events.Author;
import io.strata.events.StrataEvent;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The state a merge, revert or cherry-pick is rehearsed against before it gives its target columns: the
 * columns as the promotion will leave them, the state it was computed from untouched.
 */
class ColumnsGivenTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final Author ADA = new Author("Ada", "ada@example.com");
  private static final TableShape.Column ID = new TableShape.Column("id", "integer", false, null, null, null, null);
  private static final TableShape.Column V = new TableShape.Column("v", "integer", true, null, null, null, null);
  private static final TableShape.Column X = new TableShape.Column("x", "text", true, null, "'n'::text", null, null);

  private RepositoryState state;
  private long version;

  @BeforeEach
  void aTrackedTableAndTwoBranches() {
    state = new RepositoryState("repo", 0);
    decide(new Commands.CreateRepository("repo", null, "main", ADA));
    TableShape shape = new TableShape(List.of(ID, V), List.of("id"), List.of(), List.of());
    decide(new TableCommand.TrackTable("t", Storages.LOCAL, "public", "t", List.of("id"), shape.tableColumns(), shape, 0,
        "0", ADA));
    decide(new Commands.CreateBranch("dev", "main", null, null, false));
    decide(new Commands.CreateBranch("other", "main", null, null, false));
  }

  @Test
  void theDefaultBranchsTableGainsTheColumnsAtItsEndAndOtherBranchesKeepTheirs() {
    RepositoryState after = ColumnsGiven.stateAfter(state, "main", Map.of("t", List.of(X)), Map.of(), Map.of());

    assertThat(names(after.columnsOn("t", "main"))).containsExactly("id", "v", "x");
    assertThat(after.tables().get("t").knownShape().columns()).containsExactly(ID, V, X);
    // a branch that read the table keeps the columns it had, as when an application's DDL adds one
    assertThat(names(after.columnsOn("t", "dev"))).containsExactly("id", "v");
    assertThat(after.hasOwnColumns("t", "dev")).isTrue();
    assertThat(names(state.columnsOn("t", "main"))).as("the state it came from").containsExactly("id", "v");
    assertThat(state.hasOwnColumns("t", "dev")).isFalse();
  }

  @Test
  void anotherBranchAddsThemAsTheSourceDid() {
    RepositoryState after = ColumnsGiven.stateAfter(state, "dev", Map.of("t", List.of(X)), Map.of(), Map.of());

    assertThat(names(after.columnsOn("t", "dev"))).containsExactly("id", "v", "x");
    assertThat(after.addedOn("t", "dev")).containsExactly(X);
    assertThat(names(after.columnsOn("t", "main"))).containsExactly("id", "v");
    assertThat(after.addedOn("t", "other")).isEmpty();
    assertThat(state.addedOn("t", "dev")).as("the state it came from").isEmpty();
  }

  @Test
  void anotherBranchDropsTheColumnsItAddedThatTheSourceDropped() {
    decide(new BranchSchemaCommand.AddBranchColumns("t", "dev", List.of(X), false));
    RepositoryState after = ColumnsGiven.stateAfter(state, "dev", Map.of(), Map.of("t", List.of("x")), Map.of());

    assertThat(names(after.columnsOn("t", "dev"))).containsExactly("id", "v");
    assertThat(after.addedOn("t", "dev")).isEmpty();
    assertThat(state.addedOn("t", "dev")).as("the state it came from").containsExactly(X);
  }

  @Test
  void anotherBranchRedefinesTheColumnsItAddedAsTheSourceDid() {
    decide(new BranchSchemaCommand.AddBranchColumns("t", "dev", List.of(X), false));
    TableShape.Column wide = new TableShape.Column("x", "character varying(9)", false, null,
        "'n'::character varying", null, null);
    RepositoryState after = ColumnsGiven.stateAfter(state, "dev", Map.of(), Map.of(),
        Map.of("t", List.of(new SchemaMerge.Change("t", "x", X, wide, null))));

    assertThat(after.columnsOn("t", "dev")).last().isEqualTo(new TableColumn("x", "character varying(9)", false));
    assertThat(after.addedOn("t", "dev")).containsExactly(wide);
    assertThat(state.addedOn("t", "dev")).as("the state it came from").containsExactly(X);
    // not from a definition the branch no longer has
    assertThatThrownBy(() -> ColumnsGiven.stateAfter(after, "dev", Map.of(), Map.of(),
        Map.of("t", List.of(new SchemaMerge.Change("t", "x", X, wide, null)))))
        .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SchemaMoved));
  }

  @Test
  void aColumnTheBranchCannotTakeRefusesAsTheOperationWould() {
    TableShape.Column v = new TableShape.Column("v", "text", true, null, null, null, null);
    assertThatThrownBy(() -> ColumnsGiven.stateAfter(state, "dev", Map.of("t", List.of(v)), Map.of(), Map.of()))
        .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ValidationError));
  }

  @Test
  void aTableNoLongerTrackedTakesNothing() {
    RepositoryState after = ColumnsGiven.stateAfter(state, "main", Map.of("gone", List.of(X)), Map.of(), Map.of());
    assertThat(after.tables().keySet()).containsExactly("t");
  }

  private static List<String> names(List<TableColumn> columns) {
    return columns.stream().map(TableColumn::name).toList();
  }

  private void decide(Commands.Command c) {
    for (StrataEvent e : RepositoryDecider.decide(state, c, NOW)) {
      version++;
      state.evolve(e, version, version, NOW);
    }
  }
}
