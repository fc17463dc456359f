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

  /** from type, to type, whether the change is destructive. */
  private static final String[][] TYPE_CHANGES = {
      {"integer", "bigint", "no"}, {"character varying(10)", "text", "no"},
      {"character varying(10)", "character varying(20)", "no"}, {"numeric(8,2)", "numeric(10,2)", "no"},
      {"real", "double precision", "no"}, {"smallint", "numeric", "no"}, {"integer", "numeric(10,0)", "no"},
      {"bigint", "numeric(21,2)", "no"}, {"numeric(10,-2)", "numeric(12,0)", "no"},
      {"bigint", "integer", "yes"}, {"text", "character varying(10)", "yes"},
      {"character varying(20)", "character varying(10)", "yes"}, {"numeric(10,2)", "numeric(10,3)", "yes"},
      {"text", "integer", "yes"}, {"numeric", "numeric(10,2)", "yes"}, {"bigint", "numeric(20,-2)", "yes"},
      {"integer", "numeric(9,0)", "yes"}, {"numeric(10,2)", "numeric(12,-1)", "yes"}};

  @Test
  void typeChangesThatKeepEveryValueAreNotDestructive() {
    for (String[] change : TYPE_CHANGES) {
      assertThat(ShapeDiff.between(withV(change[0]), withV(change[1])).get(0).destructive())
          .as("%s -> %s", change[0], change[1]).isEqualTo(change[2].equals("yes"));
    }
  }

  private static TableShape withV(String type) {
    return new TableShape(List.of(new TableShape.Column("id", "integer", false, null, null, null, null),
        new TableShape.Column("v", type, true, null, null, null, null)), List.of("id"), List.of(), List.of());
  }
}
