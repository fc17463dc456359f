package io.strata.server.contract;

import static io.restassured.RestAssured.given;

import io.vertx.mutiny.sqlclient.Pool;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A repository with a tracked table {@code inv (id int primary key, qty int, name text)} of three rows, a
 * branch {@code dev} and a tag {@code t1}: something for every path parameter of the API to name.
 */
final class Fixture {
  final String repo;
  final String table;
  final String head;
  private final Pool pool;

  Fixture(Pool pool, String prefix) {
    this.pool = pool;
    this.repo = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    this.table = "inv_" + repo.replace("-", "_");
    json().body(Map.of("name", repo)).post("/api/v1/repositories").then().statusCode(201);
    sql("create table public." + table + " (id int primary key, qty int, name text)");
    sql("insert into public." + table + " select g, g, 'n' || g from generate_series(1, 3) g");
    json().body(Map.of("name", "inv", "location", "postgresql://local/public." + table))
        .post("/api/v1/repositories/{r}/tables", repo).then().statusCode(201);
    json().body(Map.of("name", "dev")).post("/api/v1/repositories/{r}/branches", repo).then().statusCode(201);
    json().body(Map.of("name", "t1", "ref", "main")).post("/api/v1/repositories/{r}/tags", repo).then().statusCode(201);
    head = given().get("/api/v1/repositories/{r}/branches/main", repo).then().statusCode(200).extract().path("head");
  }

  static io.restassured.specification.RequestSpecification json() {
    return given().contentType("application/json").accept("application/json");
  }

  /** A valid value for each path parameter the API has. */
  Map<String, String> pathValues() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("repo", repo);
    values.put("branch", "dev");
    values.put("table", "inv");
    values.put("key", "1");
    values.put("tag", "t1");
    values.put("n", "0");
    values.put("number", "1");
    values.put("id", head);
    values.put("name", "local");
    values.put("delivery", "1");
    return values;
  }

  /** The table's rows on main and on dev, as text: equal before and after = no row changed. */
  String contents() {
    String view = given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .extract().path("tables.find { it.table == 'inv' }.sql");
    return text("select coalesce(string_agg(row_to_json(x)::text, ',' order by id), '') from public." + table + " x")
        + " | " + text("select coalesce(string_agg(row_to_json(x)::text, ',' order by id), '') from " + view + " x");
  }

  private void sql(String statement) {
    pool.query(statement).execute().await().atMost(Duration.ofSeconds(30));
  }

  private String text(String query) {
    return pool.query(query).execute().await().atMost(Duration.ofSeconds(30)).iterator().next().getString(0);
  }
}
