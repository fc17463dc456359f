package io.strata.projections.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.mutiny.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Images recorded before their table gained a column (a branch that kept its columns, a change set from
 * before the column) do not name it: a merge leaves such a column to the other side ({@code
 * strata.merge_images}) and a row inserted from such an image takes the column's default ({@code
 * strata.column_defaults}, evaluated only for the columns the image lacks).
 */
class PgImagesOfOtherColumnsTest {
  private static PlanTestDatabase db;

  @BeforeAll
  static void start() {
    db = new PlanTestDatabase();
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  private static Row one(String query) {
    return db.pool.query(query).execute().await().atMost(PlanTestDatabase.WAIT).iterator().next();
  }

  private static Row merge(String base, String ours, String theirs) {
    return one("select merged::text, kind, fields from strata.merge_images('" + base + "', '" + ours + "', '"
        + theirs + "', array[]::text[], array[]::text[])");
  }

  @Test
  void aColumnOneSidesImageLacksIsThatSidesUnchangedColumn() {
    // base and ours name region (main, after the column); theirs was recorded before it (dev)
    Row r = merge("{\"id\": 1, \"s\": \"new\", \"region\": \"eu\"}", "{\"id\": 1, \"s\": \"new\", \"region\": \"us\"}",
        "{\"id\": 1, \"s\": \"sql\"}");
    assertThat(r.getString(0)).isEqualTo("{\"s\": \"sql\", \"id\": 1, \"region\": \"us\"}");
    assertThat(r.getString(1)).as("no conflict").isNull();
    // ours lacks it (an older image), theirs changed it: theirs'
    r = merge("{\"id\": 1, \"s\": \"new\"}", "{\"id\": 1, \"s\": \"ours\"}", "{\"id\": 1, \"s\": \"new\", \"region\": \"us\"}");
    assertThat(r.getString(0)).isEqualTo("{\"s\": \"ours\", \"id\": 1, \"region\": \"us\"}");
    assertThat(r.getString(1)).isNull();
    // a column both name and changed differently is still a conflict
    r = merge("{\"id\": 1, \"s\": \"new\", \"region\": \"eu\"}", "{\"id\": 1, \"s\": \"a\", \"region\": \"us\"}",
        "{\"id\": 1, \"s\": \"b\"}");
    assertThat(r.getString(1)).isEqualTo("modify_modify");
    assertThat(r.getArrayOfStrings(2)).containsExactly("s");
  }

  @Test
  void aRowInsertedOnBothSidesOneImageLackingAColumnIsNoConflictOverIt() {
    // ours inserted it after the table gained c2 (its default 2), theirs' image was recorded before
    Row r = one("select merged::text, kind, fields from strata.merge_images(null, '{\"id\": 21, \"v\": 50, \"c2\": 2}',"
        + " '{\"id\": 21, \"v\": 50}', array[]::text[], array[]::text[])");
    assertThat(r.getString(1)).as("no conflict").isNull();
    assertThat(r.getString(0)).isEqualTo("{\"v\": 50, \"c2\": 2, \"id\": 21}");
    // theirs names a column ours lacks: theirs'
    r = one("select merged::text, kind from strata.merge_images(null, '{\"id\": 21, \"v\": 50}',"
        + " '{\"id\": 21, \"v\": 50, \"c2\": 3}', array[]::text[], array[]::text[])");
    assertThat(r.getString(1)).isNull();
    assertThat(r.getString(0)).contains("\"c2\": 3");
    // a column both name and differ in is still add_add, ours kept
    r = one("select merged::text, kind, fields from strata.merge_images(null, '{\"id\": 21, \"v\": 50, \"c2\": 2}',"
        + " '{\"id\": 21, \"v\": 51}', array[]::text[], array[]::text[])");
    assertThat(r.getString(1)).isEqualTo("add_add");
    assertThat(r.getArrayOfStrings(2)).containsExactly("v");
    assertThat(r.getString(0)).isEqualTo("{\"v\": 50, \"c2\": 2, \"id\": 21}");
  }

  @Test
  void aRowInsertedFromAnImageLackingColumnsTakesTheirDefaultsAndOnlyThose() {
    db.pool.query("create table public.defaults_t (id serial primary key, s text, region text not null default 'eu',"
        + " at_count int default 7, doubled int generated always as (id * 2) stored)").execute()
        .await().atMost(PlanTestDatabase.WAIT);
    Row r = one("select strata.column_defaults('public.defaults_t'::regclass, '{\"id\": 5, \"s\": \"x\"}')::text");
    assertThat(r.getString(0)).isEqualTo("{\"region\": \"eu\", \"at_count\": 7}");
    assertThat(one("select last_value from public.defaults_t_id_seq").getLong(0))
        .as("the key's (volatile) default is not evaluated: the image names it").isEqualTo(1);
    assertThat(one("select strata.column_defaults('public.defaults_t'::regclass,"
        + " '{\"id\": 5, \"s\": \"x\", \"region\": \"us\", \"at_count\": 1}')::text").getString(0)).isEqualTo("{}");
  }
}
