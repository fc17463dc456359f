package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tables made on a branch other than the default one: the branch alone has them (and branches made from it, or
 * that merge it) until a merge brings them into the default branch, which makes them at their place.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchMadeTableTest {
  @Inject Pool pool;

  private static Map<String, Object> refunds(String place) {
    return Map.of("name", "refunds", "location", "postgresql://local/public." + place,
        "columns", List.of(Map.of("name", "id", "type", "bigint", "nullable", false),
            Map.of("name", "amount", "type", "numeric(10,2)", "nullable", false, "default", 0),
            Map.of("name", "note", "type", "text")),
        "primary_key", List.of("id"));
  }

  private static String rowsAt(String repo, String ref, boolean working) {
    return given().queryParam("ref", ref).queryParam("working", working)
        .get("/api/v1/repositories/{r}/tables/refunds/rows", repo).then().statusCode(200).extract().asString();
  }

  @Test
  void aBranchAloneHasTheTableItMadeUntilAMergeBringsIt() {
    String repo = createRepository(uniqueName("made"));
    String place = uniqueName("refunds").replace("-", "_");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "other")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "ff")).statusCode(201);

    post("/api/v1/repositories/" + repo + "/branches/dev/tables", refunds(place)).statusCode(201)
        .body("location", equalTo("postgresql://local/public." + place))
        .body("made.branch", equalTo("dev")).body("made.branches", equalTo(List.of("dev")));
    given().get("/api/v1/repositories/{r}/commits?ref=dev&limit=1", repo).then()
        .body("items[0].message", equalTo("Create table refunds")).body("items[0].branch", equalTo("dev"));
    // nothing at its place yet: the default branch does not have it
    assertThat(count(pool, "select count(*) from pg_class where relname = '" + place + "'")).isZero();

    json().body(Map.of("amount", 12.5)).put("/api/v1/repositories/{r}/branches/dev/tables/refunds/rows/1", repo)
        .then().statusCode(200).body("amount", equalTo(12.5f));
    assertThat(rowsAt(repo, "dev", true)).contains("\"id\":1");
    assertThat(rows(pool, "select amount::text from " + Api.view(repo, "dev", "refunds"))).containsExactly("12.50");

    // the default branch and a branch made before do not have it: reads and writes are 404
    json().body(Map.of("amount", 1)).put("/api/v1/repositories/{r}/branches/main/tables/refunds/rows/2", repo)
        .then().statusCode(404).body("error", equalTo("TableNotFound"))
        .body("message", containsString("made on branch 'dev'"));
    json().body(Map.of("amount", 1)).put("/api/v1/repositories/{r}/branches/other/tables/refunds/rows/2", repo)
        .then().statusCode(404);
    given().get("/api/v1/repositories/{r}/tables/refunds/rows", repo).then().statusCode(404);
    given().queryParam("ref", "other").queryParam("working", true)
        .get("/api/v1/repositories/{r}/tables/refunds/rows", repo).then().statusCode(404);
    json().body(List.of(Map.of("op", "add_column", "name", "x", "type", "text")))
        .body(Map.of("operations", List.of(Map.of("op", "add_column", "name", "x", "type", "text"))))
        .post("/api/v1/repositories/{r}/branches/other/tables/refunds/schema", repo).then().statusCode(404);

    // committed on dev; a branch made from dev has it, with its rows
    String commit = json().body(Map.of("message", "first refund", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    assertThat(rowsAt(repo, "dev", false)).contains("\"id\":1");
    assertThat(rowsAt(repo, commit, false)).contains("\"id\":1");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev2", "from", "dev")).statusCode(201);
    assertThat(rowsAt(repo, "dev2", true)).contains("\"id\":1");
    // so does a branch made from one of its commits, and one fast-forwarded to them
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "at-commit", "from", commit)).statusCode(201);
    assertThat(rowsAt(repo, "at-commit", true)).contains("\"id\":1");
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/ff/merge", repo).then()
        .statusCode(200).body("strategy", equalTo("fast_forward"));
    assertThat(rowsAt(repo, "ff", true)).contains("\"id\":1");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "reset-to")).statusCode(201);
    json().body(Map.of("to", commit, "mode", "hard")).post("/api/v1/repositories/{r}/branches/reset-to/reset", repo)
        .then().statusCode(200);
    assertThat(rowsAt(repo, "reset-to", true)).contains("\"id\":1");
    given().get("/api/v1/repositories/{r}/tables/refunds", repo).then()
        .body("made.branches", equalTo(List.of("at-commit", "dev", "dev2", "ff", "reset-to")));

    // the schema diff from the default branch: the table is added
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables[0].table", equalTo("refunds"))
        .body("tables[0].change_type", equalTo("added"))
        .body("tables[0].up[0]", equalTo("CREATE TABLE \"public\".\"" + place + "\" (\"id\" bigint NOT NULL,"
            + " \"amount\" numeric(10,2) DEFAULT '0'::numeric NOT NULL, \"note\" text)"))
        .body("tables[0].up[1]", equalTo("ALTER TABLE \"public\".\"" + place + "\" ADD CONSTRAINT \"" + place
            + "_pkey\" PRIMARY KEY (id)"))
        .body("tables[0].down", equalTo(List.of("DROP TABLE \"public\".\"" + place + "\"")));
    given().queryParam("from", "main").queryParam("to", "other").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables.size()", equalTo(0));

    // only a merge brings it into the default branch: not a cherry-pick of its rows, a reset or a rebase
    json().body(Map.of("commit", commit)).post("/api/v1/repositories/{r}/branches/main/cherry-pick", repo)
        .then().statusCode(422).body("message", containsString("made on branch 'dev'"));
    given().header("Accept", "application/x-ndjson").get("/api/v1/repositories/{r}/tables/refunds/rows", repo)
        .then().statusCode(404);
    json().body(Map.of("source", "dev", "fast_forward", "only"))
        .post("/api/v1/repositories/{r}/branches/main/merge", repo).then().statusCode(409)
        .body("error", equalTo("NotFastForward"));
    json().body(Map.of("to", commit, "mode", "hard")).post("/api/v1/repositories/{r}/branches/main/reset", repo)
        .then().statusCode(422);
    json().body(Map.of("onto", "dev")).post("/api/v1/repositories/{r}/branches/main/rebase", repo)
        .then().statusCode(422);
    assertThat(count(pool, "select count(*) from pg_class where relname = '" + place + "'")).isZero();

    // a dry run into the default branch makes nothing; the merge makes the table at its place, with dev's rows
    json().body(Map.of("source", "dev", "dry_run", true)).post("/api/v1/repositories/{r}/branches/main/merge", repo)
        .then().statusCode(200);
    assertThat(count(pool, "select count(*) from pg_class where relname = '" + place + "'")).isZero();
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo)
        .then().statusCode(200);
    assertThat(rows(pool, "select id || ' ' || amount from public." + place)).containsExactly("1 12.50");
    // its key's constraint is named as PostgreSQL names a table's key, not for Strata's place
    assertThat(rows(pool, "select conname from pg_constraint where contype = 'p' and conrelid = 'public." + place
        + "'::regclass")).containsExactly(place + "_pkey");
    given().get("/api/v1/repositories/{r}/tables/refunds", repo).then().statusCode(200)
        .body("location", equalTo("postgresql://local/public." + place)).body("made", equalTo(null));
    assertThat(rowsAt(repo, "main", false)).contains("\"id\":1");
    // the table is the application's now: its writes are captured as the default branch's
    Api.sql(pool, "insert into public." + place + " (id, amount) values (2, 3)");
    json().body(Map.of("message", "app refund", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201)
        .body("changes[0].table", equalTo("refunds"));
    // every branch has it from now on: dev writes through its view as before, a branch made before reads it
    Api.sql(pool, "insert into " + Api.view(repo, "dev", "refunds") + " (id, amount) values (3, 4)");
    assertThat(rowsAt(repo, "dev", true)).contains("\"id\":3").doesNotContain("\"id\":2");
    assertThat(rowsAt(repo, "other", true)).contains("\"items\":[]");
    // dev's commits after the merge have it, as every commit made since
    String after = json().body(Map.of("message", "third refund", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    assertThat(rowsAt(repo, after, false)).contains("\"id\":3");
    given().queryParam("from", "main").queryParam("to", after).get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables.size()", equalTo(0));
    given().queryParam("from", "main~2").queryParam("to", "main").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables[0].table", equalTo("refunds"))
        .body("tables[0].change_type", equalTo("added"));
    // the Flyway export makes it with the merge that brought it
    given().get("/api/v1/repositories/{r}/migrations", repo).then().statusCode(200)
        .body("migrations.size()", equalTo(1)).body("migrations[0].tables", equalTo(List.of("refunds")))
        .body("migrations[0].sql", containsString("CREATE TABLE \"public\".\"" + place + "\""))
        .body("migrations[0].sql", containsString("\"" + place + "_pkey\" PRIMARY KEY"))
        .body("migrations[0].sql", not(containsString("__n_pkey")));
    // the shape recorded since has the key's name too: nothing drifted
    given().get("/api/v1/repositories/{r}/tables/refunds/schema", repo).then().statusCode(200)
        .body(containsString(place + "_pkey")).body(not(containsString("__n_pkey")));
    given().get("/api/v1/repositories/{r}/drift", repo).then().statusCode(200).body("in_sync", equalTo(true));
  }

  @Test
  void aTableMadeOnABranchAndUntrackedCanBeMadeAgain() {
    String repo = createRepository(uniqueName("made-again"));
    String place = uniqueName("refunds").replace("-", "_");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches/dev/tables", refunds(place)).statusCode(201);
    json().body(Map.of("amount", 1)).put("/api/v1/repositories/{r}/branches/dev/tables/refunds/rows/1", repo)
        .then().statusCode(200);
    // an unrelated change on dev is cherry-picked into the default branch: the table does not come with it
    String t = Api.trackNew(pool, repo, "notes", "id int primary key, v text", "values (1, 'a')");
    json().body(Map.of("v", "b")).put("/api/v1/repositories/{r}/branches/dev/tables/notes/rows/1", repo)
        .then().statusCode(200);
    String fix = json().body(Map.of("message", "note", "tables", List.of("notes")))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    json().body(Map.of("commit", fix)).post("/api/v1/repositories/{r}/branches/main/cherry-pick", repo)
        .then().statusCode(201);
    assertThat(rows(pool, "select v from public." + t)).containsExactly("b");

    // dropped from dev while dev2 has it too: dev gives it up (its rows deleted in a commit), dev2 keeps it
    json().body(Map.of("message", "a refund", "tables", List.of("refunds")))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev2", "from", "dev")).statusCode(201);
    json().body(Map.of("amount", 2)).put("/api/v1/repositories/{r}/branches/dev/tables/refunds/rows/2", repo)
        .then().statusCode(200);
    given().delete("/api/v1/repositories/{r}/branches/main/tables/notes", repo).then().statusCode(422);
    String mainMeanwhile = Api.commit(repo, "main", "meanwhile");
    given().delete("/api/v1/repositories/{r}/branches/dev/tables/refunds", repo).then().statusCode(204);
    given().get("/api/v1/repositories/{r}/commits?ref=dev&limit=1", repo).then()
        .body("items[0].message", equalTo("Drop table refunds"))
        .body("items[0].stats.deleted", equalTo(1));
    given().queryParam("ref", "dev").queryParam("working", true)
        .get("/api/v1/repositories/{r}/tables/refunds/rows", repo).then().statusCode(404);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true));
    assertThat(rowsAt(repo, "dev~1", false)).contains("\"id\":1");
    assertThat(rowsAt(repo, "dev2", true)).contains("\"id\":1").doesNotContain("\"id\":2");
    given().get("/api/v1/repositories/{r}/tables/refunds", repo).then()
        .body("made.branches", equalTo(List.of("dev2")));
    // a merge gives it back, three ways: dev's deletion stands, dev2's new row comes
    json().body(Map.of("amount", 3)).put("/api/v1/repositories/{r}/branches/dev2/tables/refunds/rows/3", repo)
        .then().statusCode(200);
    json().body(Map.of("message", "another refund", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev2/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "dev2")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(200);
    assertThat(rowsAt(repo, "dev", true)).contains("\"id\":3").doesNotContain("\"id\":1");
    given().get("/api/v1/repositories/{r}/tables/refunds", repo).then()
        .body("made.branches", equalTo(List.of("dev", "dev2")));
    given().delete("/api/v1/repositories/{r}/branches/dev/tables/refunds", repo).then().statusCode(204);
    // the last branch that has it drops it: it goes from the repository
    given().delete("/api/v1/repositories/{r}/branches/dev2/tables/refunds", repo).then().statusCode(204);
    // the default branch's history never had it, before the drop or after
    given().queryParam("from", mainMeanwhile).queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables.findAll { it.table == 'refunds' }.size()", equalTo(0));
    given().queryParam("from", mainMeanwhile).queryParam("to", "dev~1")
        .get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables.findAll { it.table == 'refunds' }.size()", equalTo(0));
    given().get("/api/v1/repositories/{r}/tables/refunds", repo).then().statusCode(404);
    assertThat(count(pool, "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        + " where n.nspname = 'strata' and c.relname like '%\\_\\_n'")).isZero();
    post("/api/v1/repositories/" + repo + "/branches/dev/tables", refunds(place)).statusCode(201);
    given().delete("/api/v1/repositories/{r}/tables/refunds", repo).then().statusCode(204);
    assertThat(count(pool, "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        + " where n.nspname = 'strata' and c.relname like '%\\_\\_n'")).isZero();
    post("/api/v1/repositories/" + repo + "/branches/dev/tables", refunds(place)).statusCode(201)
        .body("made.branches", equalTo(List.of("dev")));
    assertThat(rowsAt(repo, "dev", true)).contains("\"items\":[]");
  }

  @Test
  void deletingTheOnlyBranchThatHasAMadeTableTakesItOutOfTheRepository() {
    String repo = createRepository(uniqueName("made-deleted"));
    String place = uniqueName("refunds").replace("-", "_");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "tmp")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "other")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches/tmp/tables", refunds(place)).statusCode(201);
    json().body(Map.of("amount", 1)).put("/api/v1/repositories/{r}/branches/tmp/tables/refunds/rows/1", repo)
        .then().statusCode(200);
    json().body(Map.of("message", "a refund", "all", true))
        .post("/api/v1/repositories/{r}/branches/tmp/commits", repo).then().statusCode(201);
    // a column of the table it made dropped there is a change of its shape, as of any table
    json().body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", "note"))))
        .post("/api/v1/repositories/{r}/branches/tmp/tables/refunds/schema", repo).then().statusCode(200);
    given().get("/api/v1/repositories/{r}/branches/tmp/status", repo).then().statusCode(200)
        .body("clean", equalTo(false)).body("tables.find { it.table == 'refunds' }.schema_changed", equalTo(true));
    json().body(Map.of("message", "no note", "all", true)).post("/api/v1/repositories/{r}/branches/tmp/commits", repo).then()
        .statusCode(201);
    given().get("/api/v1/repositories/{r}/branches/tmp/status", repo).then().body("clean", equalTo(true));
    String aside = rows(pool, "select schema_name || '.' || table_name from strata_meta.tables where repository = '"
        + repo + "' and name = 'refunds'").get(0);
    assertThat(rows(pool, "select (to_regclass('" + aside + "') is not null)::text")).containsExactly("true");

    given().queryParam("force", true).delete("/api/v1/repositories/{r}/branches/tmp", repo).then().statusCode(204);
    given().get("/api/v1/repositories/{r}/tables/refunds", repo).then().statusCode(404);
    assertThat(rows(pool, "select (to_regclass('" + aside + "') is null)::text")).containsExactly("true");
    assertThat(given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo).then().statusCode(200)
        .extract().jsonPath().getList("items.type", String.class).stream().filter(type -> type.contains("untracked")
            || type.contains("branch.deleted")).toList())
        .containsExactly("io.strata.table.untracked.v1", "io.strata.branch.deleted.v1");
    // its name and place are free again
    post("/api/v1/repositories/" + repo + "/branches/other/tables", refunds(place)).statusCode(201)
        .body("made.branches", equalTo(List.of("other")));
    assertThat(rowsAt(repo, "other", true)).contains("\"items\":[]");
    given().delete("/api/v1/repositories/{r}/branches/other/tables/refunds", repo).then().statusCode(204);
  }

  @Test
  void aFastForwardOrAMergeCommitGivesTheBranchTheMadeTablesOfTheSourceWithRowsOrNone() {
    String repo = createRepository(uniqueName("made-ff"));
    String place = uniqueName("refunds").replace("-", "_");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "ff")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "mc")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches/dev/tables", refunds(place)).statusCode(201);
    given().queryParam("ref", "ff").queryParam("working", true)
        .get("/api/v1/repositories/{r}/tables/refunds/rows", repo).then().statusCode(404);
    // dev's head has the table and no row of it: the fast-forward brings the table all the same
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/ff/merge", repo).then()
        .statusCode(200).body("strategy", equalTo("fast_forward"));
    assertThat(rowsAt(repo, "ff", true)).contains("\"items\":[]");
    given().get("/api/v1/repositories/{r}/tables/refunds", repo).then()
        .body("made.branches", equalTo(List.of("dev", "ff")));
    json().body(Map.of("amount", 3)).put("/api/v1/repositories/{r}/branches/ff/tables/refunds/rows/1", repo)
        .then().statusCode(200);
    // so does a merge commit
    json().body(Map.of("source", "dev", "fast_forward", "never"))
        .post("/api/v1/repositories/{r}/branches/mc/merge", repo).then().statusCode(200)
        .body("fast_forward", equalTo(false));
    assertThat(rowsAt(repo, "mc", true)).contains("\"items\":[]");
    given().get("/api/v1/repositories/{r}/tables/refunds", repo).then()
        .body("made.branches", equalTo(List.of("dev", "ff", "mc")));
  }

  @Test
  void aBranchGivingUpAMadeTableCommitsEveryOtherTableAsItHasIt() {
    String repo = createRepository(uniqueName("made-leave"));
    String place = uniqueName("refunds").replace("-", "_");
    String notes = Api.trackNew(pool, repo, "notes", "id int primary key, v text", "values (1, 'a'), (2, 'b')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "b")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches/b/tables", refunds(place)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "c", "from", "b")).statusCode(201);
    // the default branch's notes move on; c (at b's head, which its server never computed the contents of) keeps 2
    Api.sql(pool, "insert into public." + notes + " values (3, 'c'), (4, 'd'), (5, 'e')");
    json().body(Map.of("message", "more notes", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    json().body(Map.of("to", Api.head(repo, "b"), "mode", "hard"))
        .post("/api/v1/repositories/{r}/branches/c/reset", repo).then().statusCode(200);
    given().delete("/api/v1/repositories/{r}/branches/c/tables/refunds", repo).then().statusCode(204);
    json().body(Map.of("v", "z")).put("/api/v1/repositories/{r}/branches/c/tables/notes/rows/9", repo)
        .then().statusCode(200);
    json().body(Map.of("message", "a note on c", "all", true))
        .post("/api/v1/repositories/{r}/branches/c/commits", repo).then().statusCode(201)
        .body("changes[0].table", equalTo("notes")).body("changes[0].row_count", equalTo(3));
  }

  @Test
  void aMadeTableTakesTheBranchsSchemaOperationsAndTheMergeTakesThemToTheDefaultBranch() {
    String repo = createRepository(uniqueName("made-ops"));
    String place = uniqueName("refunds").replace("-", "_");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches/dev/tables", refunds(place)).statusCode(201);
    json().body(Map.of("amount", 5)).put("/api/v1/repositories/{r}/branches/dev/tables/refunds/rows/1", repo)
        .then().statusCode(200);
    // a column and a check of the branch's own on the table it made
    json().body(Map.of("operations", List.of(Map.of("op", "add_column", "name", "channel", "type", "text",
            "nullable", false, "default", "web"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/refunds/schema", repo).then().statusCode(200);
    json().body(Map.of("operations", List.of(Map.of("op", "add_constraint", "name", "amount_positive",
            "check", "amount > 0"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/refunds/schema", repo).then().statusCode(200);
    json().body(Map.of("amount", 7, "channel", "store"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/refunds/rows/2", repo).then().statusCode(200);
    json().body(Map.of("message", "refunds by channel", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    // merged: the table is made at its place, then given the column and the check, then the rows
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo)
        .then().statusCode(200);
    assertThat(rows(pool, "select id || ' ' || amount || ' ' || channel from public." + place + " order by id"))
        .containsExactly("1 5.00 web", "2 7.00 store");
    assertThat(count(pool, "select count(*) from pg_constraint where conname = 'amount_positive'"
        + " and conrelid = 'public." + place + "'::regclass")).isEqualTo(1);
    Api.sql(pool, "insert into " + Api.view(repo, "dev", "refunds") + " (id, amount) values (3, 1)");
    assertThat(rowsAt(repo, "dev", true)).contains("\"id\":3");
  }
}
