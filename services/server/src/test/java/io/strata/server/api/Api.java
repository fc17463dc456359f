package io.strata.server.api;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import java.util.Map;
import java.util.UUID;

/** Small helpers over RestAssured for the API tests. */
final class Api {
  private Api() {}

  /** Runs a statement on a database, straight (not through Strata). */
  static void sql(io.vertx.mutiny.sqlclient.Pool pool, String statement) {
    pool.query(statement).execute().await().atMost(java.time.Duration.ofSeconds(30));
  }

  /**
   * Runs DDL on a database past Strata's DDL guard, in one transaction: DDL the guard would refuse on a
   * tracked table, made anyway (drift), as a user who turns the check off may.
   */
  static void unguarded(io.vertx.mutiny.sqlclient.Pool pool, String ddl) {
    pool.withTransaction(c -> c.query("set local strata.ddl_check = 'off'; " + ddl).execute())
        .await().atMost(java.time.Duration.ofSeconds(30));
  }

  /** The first column of every row {@code query} returns, as text. */
  static java.util.List<String> rows(io.vertx.mutiny.sqlclient.Pool pool, String query) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (io.vertx.mutiny.sqlclient.Row r : pool.query(query).execute().await().atMost(java.time.Duration.ofSeconds(10))) {
      out.add(r.getString(0));
    }
    return out;
  }

  static long count(io.vertx.mutiny.sqlclient.Pool pool, String query) {
    return pool.query(query).execute().await().atMost(java.time.Duration.ofSeconds(30)).iterator().next().getLong(0);
  }

  static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static RequestSpecification json() {
    return given().contentType(ContentType.JSON).accept(ContentType.JSON);
  }

  static ValidatableResponse post(String path, Object body) {
    return json().body(body).post(path).then();
  }

  /**
   * Registers {@code db} as storage {@code name} of {@code repo}, its password in a file under the
   * temporary directory (the tests' STRATA_SECRETS_DIRS), read by the server while the storage is registered.
   */
  static void registerStorage(String repo, String name, io.strata.projections.testing.TestDatabase db)
      throws java.io.IOException {
    java.nio.file.Path secret = java.nio.file.Files.createTempFile(name, ".pw");
    secret.toFile().deleteOnExit();
    java.nio.file.Files.writeString(secret, db.password() == null ? "" : db.password());
    Map<String, Object> storage = new java.util.HashMap<>();
    storage.put("name", name);
    storage.put("host", db.host());
    storage.put("port", db.port());
    storage.put("database", db.database());
    storage.put("username", db.user());
    storage.put("password_file", secret.toString());
    post("/api/v1/repositories/" + repo + "/storage", storage).statusCode(201);
  }

  static String createRepository(String name) {
    post("/api/v1/repositories", Map.of("name", name)).statusCode(201);
    return name;
  }

  static String head(String repo, String branch) {
    return given().get("/api/v1/repositories/{r}/branches/{b}", repo, branch).then().statusCode(200)
        .extract().path("head");
  }

  static String commit(String repo, String branch, String message) {
    return json().body(Map.of("message", message, "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch)
        .then().statusCode(201).extract().path("id");
  }

  /** Row counts and hashes of every projection table: equal before and after = nothing changed. */
  static Map<String, String> digest() {
    return given().get("/api/v1/admin/projections/digest").then().statusCode(200).extract().as(Map.class);
  }

  /**
   * Creates a table {@code (columns)} in the server's database, fills it with {@code rows} (a query)
   * and tracks it in {@code repo} as {@code name}; answers the table's own (unique) name.
   */
  static String trackNew(io.vertx.mutiny.sqlclient.Pool pool, String repo, String name, String columns, String rows) {
    String table = uniqueName(name).replace("-", "_");
    sql(pool, "create table public." + table + " (" + columns + ")");
    sql(pool, "insert into public." + table + " " + rows);
    post("/api/v1/repositories/" + repo + "/tables", java.util.Map.of("name", name, "location",
        "postgresql://local/public." + table)).statusCode(201);
    return table;
  }

  /** Where SQL reads and writes a table on a branch (its view), as the branch's status says. */
  static String view(String repo, String branch, String table) {
    return given().urlEncodingEnabled(false)
        .get("/api/v1/repositories/" + repo + "/branches/" + branch.replace("/", "%2F") + "/status")
        .then().statusCode(200).extract().path("tables.find { it.table == '" + table + "' }.sql");
  }
}
