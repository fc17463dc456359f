package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The structured difference of two shapes, without a database. */
class ShapeDiffTest {
  @Test
  void aPartialShapeIsComparedByWhatItKnowsOnly() {
    TableShape recorded = TableShape.ofColumns(List.of(new TableColumn("id", "integer", false),
        new TableColumn("v", "integer", true)), List.of("id"));
    TableShape live = new TableShape(List.of(new TableShape.Column("id", "integer", false, null, null, null, "always"),
        new TableShape.Column("v", "bigint", true, null, "0", null, null)), List.of("id"),
        List.of(new TableShape.Constraint("t_pkey", TableShape.PRIMARY_KEY, "PRIMARY KEY (id)")),
        List.of(new TableShape.Index("t_v", false, "btree (v)")));
    List<ShapeChange> changes = ShapeDiff.between(recorded, live);
    assertThat(changes).singleElement().satisfies(c -> {
      assertThat(c.object()).isEqualTo("v");
      assertThat(c.before()).isEqualTo(new TableShape.Column("v", "integer", true, null, null, null, null));
      assertThat(c.after()).as("the default the recorded shape cannot confirm is left out")
          .isEqualTo(new TableShape.Column("v", "bigint", true, null, null, null, null));
    });
    assertThat(ShapeDiff.between(live, recorded)).singleElement()
        .satisfies(c -> assertThat(c.destructive()).as("bigint -> integer").isTrue());

    // a v1 shape printed its types with the session's search_path, the live one schema-qualified
    TableShape oldTypes = TableShape.ofColumns(List.of(new TableColumn("id", "integer", false),
        new TableColumn("v", "citext", true), new TableColumn("w", "character varying(5)[]", true)), List.of("id"));
    TableShape newTypes = new TableShape(List.of(new TableShape.Column("id", "integer", false, null, null, null, null),
        new TableShape.Column("v", "public.citext", true, null, null, null, null),
        new TableShape.Column("w", "character varying(5)[]", true, null, null, null, null)), List.of("id"), List.of(),
        List.of());
    assertThat(ShapeDiff.between(oldTypes, newTypes)).isEmpty();
  }

  @Test
  void typeChangesThatKeepEveryValueAreNotDestructive() {
    TableShape.Column id = new TableShape.Column("id", "integer", false, null, null, null, null);
    for (String[] pair : List.of(new String[] {"integer", "bigint"}, new String[] {"character varying(10)", "text"},
        new String[] {"character varying(10)", "character varying(20)"}, new String[] {"numeric(8,2)", "numeric(10,2)"},
        new String[] {"real", "double precision"}, new String[] {"smallint", "numeric"},
        new String[] {"integer", "numeric(10,0)"}, new String[] {"bigint", "numeric(21,2)"},
        new String[] {"numeric(10,-2)", "numeric(12,0)"})) {
      assertThat(destructive(id, pair[0], pair[1])).as("%s -> %s", pair[0], pair[1]).isFalse();
    }
    for (String[] pair : List.of(new String[] {"bigint", "integer"}, new String[] {"text", "character varying(10)"},
        new String[] {"character varying(20)", "character varying(10)"}, new String[] {"numeric(10,2)", "numeric(10,3)"},
        new String[] {"text", "integer"}, new String[] {"numeric", "numeric(10,2)"},
        new String[] {"bigint", "numeric(20,-2)"}, new String[] {"integer", "numeric(9,0)"},
        new String[] {"numeric(10,2)", "numeric(12,-1)"})) {
      assertThat(destructive(id, pair[0], pair[1])).as("%s -> %s", pair[0], pair[1]).isTrue();
    }
  }

  private static boolean destructive(TableShape.Column id, String from, String to) {
    TableShape a = new TableShape(List.of(id, new TableShape.Column("v", from, true, null, null, null, null)), List.of("id"),
        List.of(), List.of());
    TableShape b = new TableShape(List.of(id, new TableShape.Column("v", to, true, null, null, null, null)), List.of("id"),
        List.of(), List.of());
    return ShapeDiff.between(a, b).get(0).destructive();
  }
}
