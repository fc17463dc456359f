package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.events.CommitIds;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tracking tables in place in the server's own database (storage 'local'). */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class TableApiTest {
  @Inject Pool pool;

  private static String table(String prefix) {
    return uniqueName(prefix).replace("-", "_");
  }

  @Test
  void trackingRecordsShapeKeyCountAndHashAndCommits() {
    String repo = createRepository(uniqueName("track"));
    String t = table("users");
    sql(pool, "create table public." + t + " (tenant int not null, id bigint not null, name varchar(200), tags text[],"
        + " primary key (tenant, id))");
    sql(pool, "insert into public." + t + " values (1, 1, 'ada', '{a}'), (1, 2, 'grace', null), (2, 1, null, '{}')");
    String root = Api.head(repo, "main");

    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "users", "location", "postgresql://local/public." + t))
        .statusCode(201)
        .body("name", equalTo("users")).body("location", equalTo("postgresql://local/public." + t))
        .body("primary_key", equalTo(List.of("tenant", "id")))
        .body("columns.name", equalTo(List.of("tenant", "id", "name", "tags")))
        .body("columns[2].type", equalTo("character varying(200)")).body("columns[2].nullable", equalTo(true))
        .body("columns[0].nullable", equalTo(false)).body("row_count", equalTo(3));

    // a commit on the default branch records the registration, with a tree that now names the table
    given().get("/api/v1/repositories/{r}/commits?limit=1", repo).then()
        .body("items[0].message", equalTo("Track table users")).body("items[0].parents", equalTo(List.of(root)))
        .body("items[0].stats.tables", equalTo(1));
    given().get("/api/v1/repositories/{r}/tables", repo).then().body("items.name", equalTo(List.of("users")));
    given().get("/api/v1/repositories/{r}/tables/users", repo).then().statusCode(200).body("row_count", equalTo(3));

    // the same table twice, under another name, or a name twice: refused
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "again", "location", "postgresql://local/public." + t))
        .statusCode(409).body("error", equalTo("TableAlreadyExists"));
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "users", "location", "postgresql://local/" + t))
        .statusCode(409);
    // commits may name tracked tables only
    Api.json().body(Map.of("message", "m", "allow_empty", true, "tables", List.of("users")))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    Api.json().body(Map.of("message", "m", "allow_empty", true, "tables", List.of("nope")))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(404)
        .body("error", equalTo("TableNotFound"));

    // untracking keeps the data
    given().delete("/api/v1/repositories/{r}/tables/users", repo).then().statusCode(204);
    given().get("/api/v1/repositories/{r}/tables/users", repo).then().statusCode(404).body("error", equalTo("TableNotFound"));
    given().get("/api/v1/repositories/{r}/commits?limit=1", repo).then()
        .body("items[0].message", equalTo("Untrack table users"));
    long rows = pool.query("select count(*) from public." + t).execute().await().atMost(Duration.ofSeconds(5))
        .iterator().next().getLong(0);
    assertThat(rows).isEqualTo(3);
    given().delete("/api/v1/repositories/{r}/tables/users", repo).then().statusCode(404);
  }

  @Test
  void contentHashIgnoresRowOrderButNotContent() {
    String a = table("ha");
    String b = table("hb");
    String c = table("hc");
    for (String t : List.of(a, b, c)) {
      sql(pool, "create table public." + t + " (id int primary key, v text)");
    }
    sql(pool, "insert into public." + a + " values (1, 'x'), (2, 'y'), (3, null)");
    sql(pool, "insert into public." + b + " values (3, null), (2, 'y'), (1, 'x')");
    sql(pool, "insert into public." + c + " values (1, 'x'), (2, 'Y'), (3, null)");
    String hashA = trackIn(createRepository(uniqueName("ha")), a);
    String hashB = trackIn(createRepository(uniqueName("hb")), b);
    String hashC = trackIn(createRepository(uniqueName("hc")), c);
    assertThat(hashA).isEqualTo(hashB).isNotEqualTo(hashC).matches("[0-9a-f]{64}");
  }

  private static String trackIn(String repo, String t) {
    return post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public." + t))
        .statusCode(201).extract().path("content_hash");
  }

  @Test
  void keysAreTheCatalogsOrOnesThatAreReallyUnique() {
    String repo = createRepository(uniqueName("keys"));
    String nokey = table("nokey");
    sql(pool, "create table public." + nokey + " (code text not null, region text not null, note text, other text not null)");
    sql(pool, "create unique index on public." + nokey + " (region, code)");
    String base = "/api/v1/repositories/" + repo + "/tables";
    post(base, Map.of("name", "a", "location", "postgresql://local/public." + nokey)).statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("no primary key"));
    post(base, Map.of("name", "a", "location", "postgresql://local/public." + nokey, "primary_key", List.of("note")))
        .statusCode(422).body("message", org.hamcrest.Matchers.containsString("allows NULL"));
    post(base, Map.of("name", "a", "location", "postgresql://local/public." + nokey, "primary_key", List.of("other")))
        .statusCode(422).body("message", org.hamcrest.Matchers.containsString("no unique index"));
    post(base, Map.of("name", "a", "location", "postgresql://local/public." + nokey, "primary_key", List.of("nope")))
        .statusCode(422);
    post(base, Map.of("name", "a", "location", "postgresql://local/public." + nokey, "primary_key", List.of("code", "region")))
        .statusCode(201).body("primary_key", equalTo(List.of("code", "region")));
    String reserved = table("reserved");
    sql(pool, "create table public." + reserved + " (id int primary key, __present boolean)");
    post(base, Map.of("name", "r", "location", "postgresql://local/public." + reserved)).statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("reserved"));
    String odd = table("odd");
    sql(pool, "create table public." + odd + " (id int primary key, \"we\"\"ird col\" text)");
    post(base, Map.of("name", "o", "location", "postgresql://local/public." + odd)).statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("rename it"));
  }

  @Test
  void badTrackingRequestsChangeNothing() {
    String repo = createRepository(uniqueName("badtrack"));
    String t = table("ok");
    sql(pool, "create table public." + t + " (id int primary key)");
    String base = "/api/v1/repositories/" + repo + "/tables";
    Map<String, String> before = Api.digest();
    post(base, Map.of("name", "x", "location", "postgresql://local/public.no_such_table_" + t)).statusCode(404)
        .body("error", equalTo("TableNotFound"));
    post(base, Map.of("name", "x", "location", "postgresql://nowhere/public." + t)).statusCode(404)
        .body("error", equalTo("StorageNotFound"));
    for (String location : List.of("postgresql://local/public.x; drop table y", "postgresql://local/\"x\"",
        "postgresql://local/a.b.c", "mysql://local/public.x", "postgresql://local/public.x--", "", "local/x")) {
      post(base, Map.of("name", "x", "location", location)).statusCode(422).body("error", equalTo("ValidationError"));
    }
    for (String name : List.of("Users", "1x", "a-b", "x;drop", "", "a".repeat(64))) {
      post(base, Map.of("name", name, "location", "postgresql://local/public." + t)).statusCode(422);
    }
    post(base, Map.of("name", "x", "location", "postgresql://local/public." + t, "primary_key", List.of("id; drop")))
        .statusCode(422);
    post(base, Map.of("name", "x", "location", "postgresql://local/public." + t, "primary_key", "id")).statusCode(400);
    assertThat(Api.digest()).isEqualTo(before);
    given().get("/api/v1/repositories/{r}/commits", repo).then().body("total", equalTo(1));
  }

  @Test
  void aStorageHoldingATrackedTableCannotBeRemoved() throws Exception {
    String repo = createRepository(uniqueName("inuse"));
    String t = table("held");
    sql(pool, "create table public." + t + " (id int primary key)");
    java.net.URI db = java.net.URI.create(org.eclipse.microprofile.config.ConfigProvider.getConfig()
        .getValue("quarkus.datasource.reactive.url", String.class));
    var config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
    java.nio.file.Path password = java.nio.file.Files.createTempFile("pw", ".txt");
    password.toFile().deleteOnExit(); // read by the server while the storage is registered
    java.nio.file.Files.writeString(password, config.getOptionalValue("quarkus.datasource.password", String.class).orElse(""));
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "main-db", "host", db.getHost(), "port", db.getPort(),
        "database", db.getPath().substring(1), "username", config.getValue("quarkus.datasource.username", String.class),
        "password_file", password.toString())).statusCode(201);
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "held", "location", "postgresql://main-db/public." + t))
        .statusCode(201).body("storage", equalTo("main-db")).body("content_hash", not(equalTo(CommitIds.EMPTY_TREE)));
    given().delete("/api/v1/repositories/{r}/storage/main-db", repo).then().statusCode(409)
        .body("error", equalTo("StorageInUse")).body("details.table", equalTo("held"));
    given().delete("/api/v1/repositories/{r}/tables/held", repo).then().statusCode(204);
    given().delete("/api/v1/repositories/{r}/storage/main-db", repo).then().statusCode(204);
  }

  /**
   * The attack: track Strata's own tables (or PostgreSQL's) and rewrite them through REST row writes,
   * in the server's database or through a storage registered to reach it. Every one is refused (422)
   * and nothing is recorded; a plain public table is still tracked.
   */
  @Test
  void strataAndPostgresqlSchemasCannotBeTracked() throws Exception {
    String repo = createRepository(uniqueName("own"));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String t = table("mine");
    sql(pool, "create table public." + t + " (id int primary key)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "mine", "location", "postgresql://local/public." + t))
        .statusCode(201);
    String devView = Api.view(repo, "dev", "mine"); // strata_<branch>.<table>
    java.net.URI db = java.net.URI.create(org.eclipse.microprofile.config.ConfigProvider.getConfig()
        .getValue("quarkus.datasource.reactive.url", String.class));
    var config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
    java.nio.file.Path password = java.nio.file.Files.createTempFile("pw", ".txt");
    password.toFile().deleteOnExit();
    java.nio.file.Files.writeString(password, config.getOptionalValue("quarkus.datasource.password", String.class).orElse(""));
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "same-db", "host", db.getHost(), "port", db.getPort(),
        "database", db.getPath().substring(1), "username", config.getValue("quarkus.datasource.username", String.class),
        "password_file", password.toString())).statusCode(201);
    Map<String, String> before = Api.digest();
    long events = count(pool, "select count(*) from strata_meta.events");
    for (String storage : new String[] {"local", "same-db"}) {
      for (String target : new String[] {"strata_meta.events", "strata_meta.idempotency_keys",
          "strata_meta.flyway_schema_history", "strata_meta.api_tokens", "strata.tables", devView.replace("\"", ""),
          "pg_catalog.pg_class", "pg_catalog.pg_authid", "information_schema.tables", "pg_toast.pg_toast_1262",
          "STRATA_META.events", "Pg_Catalog.pg_class"}) {
        post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "stolen",
            "location", "postgresql://" + storage + "/" + target))
            .statusCode(422).body("error", equalTo("ValidationError")).body("details.field", equalTo("location"));
      }
    }
    assertThat(Api.digest()).isEqualTo(before);
    assertThat(count(pool, "select count(*) from strata_meta.events")).isEqualTo(events);
    given().get("/api/v1/repositories/{r}/tables/stolen", repo).then().statusCode(404);
  }

  /** A table another repository tracks is refused without naming that repository (a token may not see it). */
  @Test
  void aTableTrackedElsewhereIsRefusedWithoutNamingTheOtherRepository() {
    String owner = createRepository(uniqueName("owner"));
    String other = createRepository(uniqueName("other"));
    String t = table("owned");
    sql(pool, "create table public." + t + " (id int primary key)");
    post("/api/v1/repositories/" + owner + "/tables", Map.of("name", "owned", "location", "postgresql://local/public." + t))
        .statusCode(201);
    String answer = post("/api/v1/repositories/" + other + "/tables", Map.of("name", "owned",
        "location", "postgresql://local/public." + t)).statusCode(409).body("error", equalTo("TableAlreadyExists"))
        .extract().asString();
    assertThat(answer).contains("another repository").doesNotContain(owner);
  }
}
