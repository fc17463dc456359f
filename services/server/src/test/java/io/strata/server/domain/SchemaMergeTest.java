package io.strata.server.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.events.TableShape;
import io.strata.server.domain.SchemaMerge.Kind;
import io.strata.server.domain.SchemaMerge.Side;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The truth table of docs/schema-versioning.md ("Three-way schema merge") for one column {@code c}, row
 * by row: its definition at the base, on ours and on theirs ("-": absent), what the merge makes of it,
 * and the conflict when the sides disagree — then each conflict settled by each strategy.
 */
class SchemaMergeTest {
  private static final TableShape.Column INT = column("integer", true, null);
  private static final TableShape.Column BIGINT = column("bigint", true, null);
  private static final TableShape.Column TEXT = column("text", true, null);
  private static final TableShape.Column INT_DEFAULT_0 = column("integer", true, "0");
  private static final TableShape.Column INT_DEFAULT_1 = column("integer", true, "1");
  private static final TableShape.Column INT_NOT_NULL = column("integer", false, null);
  private static final TableShape.Column ID = new TableShape.Column("id", "integer", false, null, null, null, null);

  private static TableShape.Column column(String type, boolean nullable, String defaultValue) {
    return new TableShape.Column("c", type, nullable, null, defaultValue, null, null);
  }

  static Stream<Arguments> truthTable() {
    return Stream.of(
        // row, base, ours, theirs, merged, conflict
        Arguments.of("unchanged on both", INT, INT, INT, INT, null),
        Arguments.of("added by theirs only", null, null, INT, INT, null),
        Arguments.of("added by ours only", null, INT, null, INT, null),
        Arguments.of("added by both, the same", null, INT, INT, INT, null),
        Arguments.of("added by both, other types", null, INT, TEXT, null, Kind.TYPE_MISMATCH),
        Arguments.of("added by both, other defaults", null, INT_DEFAULT_0, INT_DEFAULT_1, null, Kind.SCHEMA_SCHEMA),
        Arguments.of("added by both, other nullability", null, INT, INT_NOT_NULL, null, Kind.SCHEMA_SCHEMA),
        Arguments.of("dropped by theirs, unchanged on ours", INT, INT, null, null, null),
        Arguments.of("dropped by ours, unchanged on theirs", INT, null, INT, null, null),
        Arguments.of("dropped by both", INT, null, null, null, null),
        Arguments.of("dropped by ours, modified by theirs", INT, null, BIGINT, null, Kind.DELETE_MODIFY),
        Arguments.of("modified by ours, dropped by theirs", INT, INT_DEFAULT_0, null, null, Kind.DELETE_MODIFY),
        Arguments.of("modified by theirs only", INT, INT, BIGINT, BIGINT, null),
        Arguments.of("modified by ours only", INT, INT_NOT_NULL, INT, INT_NOT_NULL, null),
        Arguments.of("modified by both, the same", INT, BIGINT, BIGINT, BIGINT, null),
        Arguments.of("modified by both, other types", INT, BIGINT, TEXT, null, Kind.TYPE_MISMATCH),
        Arguments.of("modified by both, other defaults", INT, INT_DEFAULT_0, INT_DEFAULT_1, null, Kind.SCHEMA_SCHEMA));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("truthTable")
  void aColumnMergesAsTheTruthTableSays(String row, TableShape.Column base, TableShape.Column ours,
      TableShape.Column theirs, TableShape.Column merged, Kind conflict) {
    SchemaMerge.Result open = SchemaMerge.columns("t", columns(base), columns(ours), columns(theirs), (Side) null);
    if (conflict == null) {
      assertThat(open.conflicts()).as(row).isEmpty();
      assertThat(open.columns()).as(row).isEqualTo(columns(merged));
      boolean changesOurs = !SchemaMerge.same(ours, merged);
      assertThat(open.changes()).as(row).hasSize(changesOurs ? 1 : 0);
      if (changesOurs) {
        SchemaMerge.Change change = open.changes().get(0);
        assertThat(change.ours()).isEqualTo(ours);
        assertThat(change.merged()).isEqualTo(merged);
        assertThat(change.settled()).isNull();
      }
      return;
    }
    assertThat(open.conflicts()).as(row).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(conflict);
      assertThat(c.column()).isEqualTo("c");
      assertThat(c.base()).isEqualTo(base);
      assertThat(c.ours()).isEqualTo(ours);
      assertThat(c.theirs()).isEqualTo(theirs);
    });
    // ours keeps the target's definition and changes nothing on it
    SchemaMerge.Result keptOurs = SchemaMerge.columns("t", columns(base), columns(ours), columns(theirs), Side.OURS);
    assertThat(keptOurs.conflicts()).isEmpty();
    assertThat(keptOurs.columns()).isEqualTo(columns(ours));
    assertThat(keptOurs.changes()).isEmpty();
    // theirs takes the source's: one change on the target, naming the conflict it settles
    SchemaMerge.Result tookTheirs = SchemaMerge.columns("t", columns(base), columns(ours), columns(theirs), Side.THEIRS);
    assertThat(tookTheirs.conflicts()).isEmpty();
    assertThat(tookTheirs.columns()).isEqualTo(columns(theirs));
    assertThat(tookTheirs.changes()).singleElement().satisfies(c -> {
      assertThat(c.ours()).isEqualTo(ours);
      assertThat(c.merged()).isEqualTo(theirs);
      assertThat(c.settled().kind()).isEqualTo(conflict);
    });
    // a resolution settles it alone: to the definition it gives (over the strategy), or to its side
    TableShape.Column given = new TableShape.Column("c", "numeric", true, null, null, null, null);
    SchemaChoices choices = SchemaChoices.of(Side.OURS, List.of(new SchemaChoices.Resolution("t", "c", null, null, given)));
    SchemaMerge.Result defined = SchemaMerge.columns("t", columns(base), columns(ours), columns(theirs), choices);
    assertThat(defined.conflicts()).isEmpty();
    assertThat(defined.columns()).isEqualTo(columns(given));
    assertThat(defined.changes()).singleElement().satisfies(c -> assertThat(c.settled().kind()).isEqualTo(conflict));
    choices.requireAllUsed("s", "t");
    SchemaChoices elsewhere = SchemaChoices.of(null, List.of(new SchemaChoices.Resolution("t", "x", null, Side.THEIRS,
        null)));
    assertThat(SchemaMerge.columns("t", columns(base), columns(ours), columns(theirs), elsewhere).conflicts()).hasSize(1);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> elsewhere.requireAllUsed("s", "t"))
        .hasMessageContaining("has no schema conflict");
  }

  @Test
  void columnsKeepTheTargetsOrderWithTheSourcesNewOnesAfterAndEveryConflictIsListed() {
    TableShape.Column a = new TableShape.Column("a", "text", true, null, null, null, null);
    TableShape.Column b = new TableShape.Column("b", "integer", true, null, null, null, null);
    TableShape.Column bText = new TableShape.Column("b", "text", true, null, null, null, null);
    TableShape.Column d = new TableShape.Column("d", "date", true, null, null, null, null);
    TableShape.Column e = new TableShape.Column("e", "integer", true, null, "7", null, null);
    TableShape.Column e8 = new TableShape.Column("e", "integer", true, null, "8", null, null);
    SchemaMerge.Result r = SchemaMerge.columns("t", List.of(ID), List.of(ID, a, b, e), List.of(ID, d, bText, e8, a),
        (Side) null);
    assertThat(r.conflicts()).extracting(SchemaMerge.Conflict::column, SchemaMerge.Conflict::kind)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("b", Kind.TYPE_MISMATCH),
            org.assertj.core.groups.Tuple.tuple("e", Kind.SCHEMA_SCHEMA));
    assertThat(r.columns()).extracting(TableShape.Column::name).containsExactly("id", "a", "b", "e", "d");
    assertThat(r.changes()).extracting(SchemaMerge.Change::column).containsExactly("d");
  }

  private static List<TableShape.Column> columns(TableShape.Column c) {
    return c == null ? List.of(ID) : List.of(ID, c);
  }
}
