package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.delta.kernel.types.FieldMetadata;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.delta.DeltaCommit;
import io.strata.projections.delta.DeltaTable;
import io.strata.server.TestDatabaseResource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Delta table that maps its columns by name (as Spark makes tables whose columns are renamed or dropped): columns
 * added and widened on branches, each added column under a physical name of its own, merged into the table
 * (fast-forward and three-way) and back, every side reading the values the other wrote.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DeltaColumnMappingApiTest {
  private static final String PHYSICAL_NAME = "delta.columnMapping.physicalName";

  /** The orders columns, mapped: ids 1..3, physical names of their own. */
  private static StructType mapped() {
    List<StructField> fields = new ArrayList<>();
    int id = 0;
    for (StructField f : DeltaTablesApiTest.SCHEMA.fields()) {
      id++;
      fields.add(f.withNewMetadata(FieldMetadata.builder().putLong("delta.columnMapping.id", id)
          .putString(PHYSICAL_NAME, "col-" + id + "-" + f.getName()).build()));
    }
    return new StructType(fields);
  }

  private static DeltaTable root(String base, String branch) {
    String location = given().get(base + "/branches/" + branch + "/status").then().statusCode(200).extract()
        .path("tables[0].location");
    return DeltaTable.local(Path.of(java.net.URI.create(location)), DeltaTable.defaultEngine());
  }

  private static String physical(DeltaTable table, String column) {
    return table.latest().getSchema().get(column).getMetadata().getString(PHYSICAL_NAME);
  }

  @Test
  void columnsAddedAndWidenedOnBranchesOfAMappedTableAreMergedBothWays() throws Exception {
    DeltaTablesApiTest.Lake l = DeltaTablesApiTest.engineLake("lakemapped", DeltaCommit.of("engine-1",
        "CREATE TABLE", 1L).protocol(2, 5, java.util.Set.of(), java.util.Set.of()).metadata("orders-id",
        mapped().toJson(), List.of(), Map.of("delta.columnMapping.mode", "name", "delta.columnMapping.maxColumnId",
            "3", "delta.enableTypeWidening", "true"), 1L), id -> "c" + (id % 2));
    String base = l.base();
    DeltaTable orders = l.orders();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    post(base + "/branches", Map.of("name", "old")).statusCode(201);

    // dev: two columns added (ids 4 and 5, physical names of their own), one widened, rows written in them
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations", List.of(
        Map.of("op", "add_column", "name", "region", "type", "text"),
        Map.of("op", "add_column", "name", "qty", "type", "integer")))).statusCode(200);
    DeltaTable dev = root(base, "dev");
    var devSchema = dev.latest().getSchema();
    assertThat(devSchema.get("region").getMetadata().getLong("delta.columnMapping.id")).isEqualTo(4L);
    assertThat(devSchema.get("qty").getMetadata().getLong("delta.columnMapping.id")).isEqualTo(5L);
    assertThat(physical(dev, "region")).startsWith("col-").isNotEqualTo("region");
    assertThat(dev.latest().getTableProperties()).containsEntry("delta.columnMapping.maxColumnId", "5");
    Api.json().body(Map.of("customer", "c1", "amount", 1.5, "region", "eu", "qty", 7))
        .put(base + "/branches/dev/tables/orders/rows/1").then().statusCode(200);
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "alter_column", "name", "qty", "type", "bigint")))).statusCode(200);
    Api.json().body(Map.of("customer", "c0", "amount", 3.0, "qty", 5_000_000_000L))
        .put(base + "/branches/dev/tables/orders/rows/2").then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "regions and quantities", "all", true)).statusCode(201);
    given().get(base + "/diff?from=main&to=dev&rows=true").then().statusCode(200)
        .body("tables[0].updated", equalTo(2));

    // the table gains the columns (under names of its own: a merge commit, its rows written in them)
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200);
    assertThat(orders.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region", "qty");
    given().get(base + "/tables/orders/rows/1?ref=main").then().statusCode(200).body("region", equalTo("eu"))
        .body("qty", equalTo(7));
    given().get(base + "/tables/orders/rows/2?ref=main").then().statusCode(200)
        .body("qty", equalTo(5_000_000_000L));
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));

    // a branch made before takes them from main
    post(base + "/branches/old/merge", Map.of("source", "main")).statusCode(200);
    given().get(base + "/tables/orders/rows/1?ref=old").then().statusCode(200).body("region", equalTo("eu"));

    // a three-way merge: main writes the column a branch added under a name of its own; the branch, moved to
    // main's files, reads them under main's
    post(base + "/branches", Map.of("name", "notes")).statusCode(201);
    post(base + "/branches/notes/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "add_column", "name", "note", "type", "text")))).statusCode(200);
    Api.json().body(Map.of("customer", "c1", "amount", 4.5, "note", "checked"))
        .put(base + "/branches/notes/tables/orders/rows/3").then().statusCode(200);
    post(base + "/branches/notes/commits", Map.of("message", "a note", "all", true)).statusCode(201);
    Api.json().body(Map.of("customer", "c0", "amount", 40.0)).put(base + "/branches/main/tables/orders/rows/4")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main changes 4", "all", true)).statusCode(201);
    post(base + "/branches/main/merge", Map.of("source", "notes")).statusCode(200)
        .body("fast_forward", equalTo(false));
    given().get(base + "/tables/orders/rows/3?ref=main").then().statusCode(200).body("note", equalTo("checked"));
    DeltaTable notes = root(base, "notes");
    post(base + "/branches/notes/merge", Map.of("source", "main")).statusCode(200)
        .body("fast_forward", equalTo(true));
    assertThat(physical(notes, "note")).isEqualTo(physical(orders, "note"));
    given().get(base + "/tables/orders/rows/3?ref=notes").then().statusCode(200).body("note", equalTo("checked"));
    given().get(base + "/tables/orders/rows/4?ref=notes").then().statusCode(200).body("amount", equalTo(40.0f));
    given().get(base + "/diff?from=main&to=notes&rows=true").then().statusCode(200)
        .body("tables[0].updated", equalTo(0)).body("tables[0].inserted", equalTo(0));
  }

  /**
   * A branch drops a column it added, on a mapped table: its rows stop reading it and no row reads as changed; added
   * again under its name, the column reads null (a new physical name), never the values the branch's files still hold;
   * a hard reset across the drop gives it back with them (a move of the table to the commit's column names, with no
   * row change on its path, stands with the reset). A column of the table itself is refused by name.
   */
  @Test
  void aBranchDropsAColumnItAddedAndNoValueComesBackUnderItsName() throws Exception {
    DeltaTablesApiTest.Lake l = DeltaTablesApiTest.engineLake("lakedrop", DeltaCommit.of("engine-1",
        "CREATE TABLE", 1L).protocol(2, 5, java.util.Set.of(), java.util.Set.of()).metadata("orders-id",
        mapped().toJson(), List.of(), Map.of("delta.columnMapping.mode", "name", "delta.columnMapping.maxColumnId",
            "3"), 1L), id -> "c" + (id % 2));
    String base = l.base();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations", List.of(
        Map.of("op", "add_column", "name", "region", "type", "text")))).statusCode(200);
    Api.json().body(Map.of("customer", "c1", "amount", 1.5, "region", "eu"))
        .put(base + "/branches/dev/tables/orders/rows/1").then().statusCode(200);
    String withRegion = post(base + "/branches/dev/commits", Map.of("message", "a region", "all", true))
        .statusCode(201).extract().path("id");
    DeltaTable dev = root(base, "dev");
    String regionAt = physical(dev, "region");

    post(base + "/branches/dev/tables/orders/schema", Map.of("operations", List.of(
        Map.of("op", "drop_column", "name", "customer")))).statusCode(422);
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations", List.of(
        Map.of("op", "drop_column", "name", "region")))).statusCode(200);
    assertThat(dev.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount");
    given().get(base + "/tables/orders/rows/1?ref=dev&working=true").then().statusCode(200)
        .body("$", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("region"))).body("amount", equalTo(1.5f));
    given().get(base + "/diff?from=" + withRegion + "&to=dev&working=true&rows=true").then().statusCode(200)
        .body("tables[0].updated", equalTo(0));
    post(base + "/branches/dev/commits", Map.of("message", "no region", "all", true, "allow_empty", true))
        .statusCode(201);

    post(base + "/branches/dev/tables/orders/schema", Map.of("operations", List.of(
        Map.of("op", "add_column", "name", "region", "type", "text")))).statusCode(200);
    assertThat(physical(dev, "region")).as("a new physical name").isNotEqualTo(regionAt);
    given().get(base + "/tables/orders/rows/1?ref=dev&working=true").then().statusCode(200)
        .body("region", equalTo(null));

    post(base + "/branches/dev/reset", Map.of("to", withRegion, "mode", "hard", "force", true)).statusCode(200);
    assertThat(physical(dev, "region")).isEqualTo(regionAt);
    given().get(base + "/tables/orders/rows/1?ref=dev&working=true").then().statusCode(200)
        .body("region", equalTo("eu"));
    given().get(base + "/branches/dev/status").then().statusCode(200).body("clean", equalTo(true));
  }
}
