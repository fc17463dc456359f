package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.commit;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import io.cloudevents.jackson.JsonFormat;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.events.EventCodec;
import io.strata.events.EventType;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.StoredEvent;
import io.strata.server.TestDatabaseResource;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The events the running server appends — one of every type — are valid CloudEvents whose envelope
 * and data validate against the published JSON Schemas.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ProducedEventsTest {
  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();

  @Inject EventLog log;
  @Inject io.vertx.mutiny.sqlclient.Pool pool;

  private static JsonSchema schema(String resource) {
    return FACTORY.getSchema(ProducedEventsTest.class.getClassLoader().getResourceAsStream(resource), CONFIG);
  }

  @Test
  void everyProducedEventMatchesItsSchema() throws Exception {
    String repo = createRepository(uniqueName("events"));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    given().contentType("application/json").body(Map.of("protected", true))
        .patch("/api/v1/repositories/{r}/branches/dev", repo).then().statusCode(200);
    given().contentType("application/json").body(Map.of("protected", false))
        .patch("/api/v1/repositories/{r}/branches/dev", repo).then().statusCode(200);
    commit(repo, "dev", "work");
    post("/api/v1/repositories/" + repo + "/tags", Map.of("name", "v1", "ref", "dev", "message", "m")).statusCode(201);
    given().delete("/api/v1/repositories/{r}/tags/v1", repo).then().statusCode(204);
    // a promotion policy that gates dev, and an admin's override of it
    given().contentType("application/json").body(Map.of("version", 1, "protected_branches", List.of("dev"),
        "paths", List.of(Map.of("source", "main", "target", "dev", "required_checks", List.of("ci/build"),
            "approvals", Map.of("required", 1, "roles", List.of("admin")),
            "verify", Map.of("checks", List.of("never"), "rollback", "revert"))),
        "checks", List.of(Map.of("name", "never", "sql", "select 1 as one", "expect", Map.of("max", 0)))))
        .queryParam("origin", "configmap:prod/pipelines").put("/api/v1/repositories/{r}/promotion-policy", repo)
        .then().statusCode(200);
    given().contentType("application/json").header("Strata-Gate-Override", "a test of the override")
        .body(Map.of("message", "overridden", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    // a promotion request of main into dev: opened, evaluated, checked, approved, merged, verified and rolled
    // back; another rejected
    commit(repo, "main", "for dev");
    String promotions = "/api/v1/repositories/" + repo + "/promotions";
    int number = given().contentType("application/json").body(Map.of("source", "main", "target", "dev"))
        .post(promotions).then().statusCode(201).extract().path("number");
    Map<String, Object> opened = given().get(promotions + "/" + number).then().statusCode(200).extract().path("");
    given().contentType("application/json").body(Map.of("name", "ci/build", "status", "passed",
            "source_commit", opened.get("source_commit"), "target_head", opened.get("target_head")))
        .post(promotions + "/" + number + "/check-runs").then().statusCode(200);
    given().contentType("application/json").header("X-User-Id", "ada").body(Map.of("comment", "fine",
            "source_commit", opened.get("source_commit"), "target_head", opened.get("target_head")))
        .post(promotions + "/" + number + "/approvals").then().statusCode(200);
    given().post(promotions + "/" + number + "/merge").then().statusCode(200);
    given().post(promotions + "/" + number + "/verify").then().statusCode(200);
    int rejected = given().contentType("application/json").body(Map.of("source", "main", "target", "dev"))
        .post(promotions).then().statusCode(201).extract().path("number");
    given().contentType("application/json").body(Map.of("reason", "not needed"))
        .post(promotions + "/" + rejected + "/reject").then().statusCode(200);
    given().contentType("application/json").body(Map.of("version", 1))
        .put("/api/v1/repositories/{r}/promotion-policy", repo).then().statusCode(200);
    // merges: a fast-forward, a merge stopped by a conflict, resolved, aborted, merged again and continued
    String local = "produced_l_" + repo.replace("-", "_");
    pool.query("create table public." + local + " (id int primary key, v text); insert into public." + local
        + " values (1, 'a')").execute().await().atMost(Duration.ofSeconds(5));
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "l", "location", "postgresql://local/public." + local))
        .statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "behind")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "side")).statusCode(201);
    given().contentType("application/json").body(Map.of("v", "b"))
        .put("/api/v1/repositories/{r}/branches/side/tables/l/rows/1", repo).then().statusCode(200);
    commit(repo, "side", "side");
    pool.query("update public." + local + " set v = 'c'").execute().await().atMost(Duration.ofSeconds(5));
    // DDL the guard follows: recorded (a schema change) before the commit that comes next
    pool.query("create index " + local + "_v on public." + local + " (v)").execute().await()
        .atMost(Duration.ofSeconds(5));
    post("/api/v1/repositories/" + repo + "/branches/main/commits", Map.of("message", "main", "all", true))
        .statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches/behind/merge", Map.of("source", "main")).statusCode(200);
    // a column added on a branch through Strata
    post("/api/v1/repositories/" + repo + "/branches/behind/tables/l/schema", Map.of("operations",
        java.util.List.of(Map.of("op", "add_column", "name", "region", "type", "text", "default", "eu")))).statusCode(200);
    post("/api/v1/repositories/" + repo + "/branches/main/merge", Map.of("source", "side")).statusCode(409);
    post("/api/v1/repositories/" + repo + "/branches/main/merge/resolutions", Map.of("take", "theirs")).statusCode(200);
    post("/api/v1/repositories/" + repo + "/branches/main/merge/abort", Map.of()).statusCode(204);
    post("/api/v1/repositories/" + repo + "/branches/main/merge", Map.of("source", "side")).statusCode(409);
    post("/api/v1/repositories/" + repo + "/branches/main/merge/resolutions", Map.of("take", "ours")).statusCode(200);
    post("/api/v1/repositories/" + repo + "/branches/main/merge/continue", Map.of()).statusCode(201);
    // a rebase stopped by a conflict, aborted; again, the step skipped, finished
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "rb")).statusCode(201);
    given().contentType("application/json").body(Map.of("v", "rb"))
        .put("/api/v1/repositories/{r}/branches/rb/tables/l/rows/1", repo).then().statusCode(200);
    commit(repo, "rb", "rb");
    given().contentType("application/json").body(Map.of("v", "main again"))
        .put("/api/v1/repositories/{r}/branches/main/tables/l/rows/1", repo).then().statusCode(200);
    commit(repo, "main", "main again");
    post("/api/v1/repositories/" + repo + "/branches/rb/rebase", Map.of("onto", "main")).statusCode(409);
    post("/api/v1/repositories/" + repo + "/branches/rb/rebase/abort", Map.of()).statusCode(204);
    post("/api/v1/repositories/" + repo + "/branches/rb/rebase", Map.of("onto", "main")).statusCode(409);
    post("/api/v1/repositories/" + repo + "/branches/rb/rebase/skip", Map.of()).statusCode(200);
    // a stash: saved, applied, dropped
    given().contentType("application/json").body(Map.of("v", "s"))
        .put("/api/v1/repositories/{r}/branches/main/tables/l/rows/5", repo).then().statusCode(200);
    post("/api/v1/repositories/" + repo + "/branches/main/stash", Map.of("message", "later")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches/main/stash/0/apply", Map.of()).statusCode(200);
    given().delete("/api/v1/repositories/{r}/branches/main/stash/0", repo).then().statusCode(204);
    given().delete("/api/v1/repositories/{r}/branches/main/working", repo).then().statusCode(204);
    java.net.URI db = java.net.URI.create(org.eclipse.microprofile.config.ConfigProvider.getConfig()
        .getValue("quarkus.datasource.reactive.url", String.class));
    var config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
    java.nio.file.Path password = java.nio.file.Files.createTempFile("pw", ".txt");
    password.toFile().deleteOnExit(); // read by the server while the storage is registered
    java.nio.file.Files.writeString(password, config.getOptionalValue("quarkus.datasource.password", String.class).orElse(""));
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "self", "host", db.getHost(), "port", db.getPort(),
        "database", db.getPath().substring(1), "username", config.getValue("quarkus.datasource.username", String.class),
        "password_file", password.toString())).statusCode(201);
    String table = "produced_" + repo.replace("-", "_");
    pool.query("create table public." + table + " (id int primary key, v text)").execute()
        .await().atMost(Duration.ofSeconds(5));
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://self/public." + table))
        .statusCode(201);
    pool.query("insert into public." + table + " values (1, 'x')").execute().await().atMost(Duration.ofSeconds(5));
    given().contentType("application/json").post("/api/v1/repositories/{r}/branches/main/stage", repo).then().statusCode(200);
    given().contentType("application/json").post("/api/v1/repositories/{r}/branches/main/unstage", repo).then().statusCode(200);
    // a REST row write stages its row: a ChangesStaged event with write: true
    given().contentType("application/json").body(Map.of("v", "z"))
        .put("/api/v1/repositories/{r}/branches/main/tables/t/rows/3", repo).then().statusCode(200);
    given().contentType("application/json").delete("/api/v1/repositories/{r}/branches/main/working", repo).then()
        .statusCode(204);
    // a commit that fails after capturing in the storage: its rollback is an event too
    pool.query("insert into public." + table + " values (2, 'y')").execute().await().atMost(Duration.ofSeconds(5));
    given().contentType("application/json").post("/api/v1/repositories/{r}/branches/main/stage", repo).then().statusCode(200);
    io.strata.server.runtime.Failpoints.arm("commit.storage-captured", "error");
    try {
      post("/api/v1/repositories/" + repo + "/branches/main/commits", Map.of("message", "fails")).statusCode(503);
    } finally {
      io.strata.server.runtime.Failpoints.disarm("commit.storage-captured");
    }
    // a merge that fails after writing in the storage: undone, and said so
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "tb")).statusCode(201);
    given().contentType("application/json").body(Map.of("v", "t"))
        .put("/api/v1/repositories/{r}/branches/tb/tables/t/rows/5", repo).then().statusCode(200);
    commit(repo, "tb", "tb");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "tc")).statusCode(201);
    io.strata.server.runtime.Failpoints.arm("merge.storage-applied", "error");
    try {
      post("/api/v1/repositories/" + repo + "/branches/tc/merge", Map.of("source", "tb")).statusCode(503);
    } finally {
      io.strata.server.runtime.Failpoints.disarm("merge.storage-applied");
    }
    given().delete("/api/v1/repositories/{r}/storage/self", repo).then().statusCode(409);
    given().delete("/api/v1/repositories/{r}/tables/t", repo).then().statusCode(204);
    given().delete("/api/v1/repositories/{r}/storage/self", repo).then().statusCode(204);
    // a table made on a branch, brought into another by a merge of its rows, then into the default branch
    String made = "produced_m_" + repo.replace("-", "_");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "maker")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "taker")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches/maker/tables", Map.of("name", "m",
        "location", "postgresql://local/public." + made, "columns", List.of(Map.of("name", "id", "type", "integer",
            "nullable", false)), "primary_key", List.of("id"))).statusCode(201);
    given().contentType("application/json").body(Map.of()).put("/api/v1/repositories/{r}/branches/maker/tables/m/rows/1",
        repo).then().statusCode(200);
    commit(repo, "maker", "made");
    given().contentType("application/json").body(Map.of("source", "maker", "fast_forward", "never"))
        .post("/api/v1/repositories/{r}/branches/taker/merge", repo).then().statusCode(200);
    given().contentType("application/json").body(Map.of("source", "maker"))
        .post("/api/v1/repositories/{r}/branches/main/merge", repo).then().statusCode(200);
    given().header("X-User-Id", "bot-7").delete("/api/v1/repositories/{r}/branches/dev?force=true", repo)
        .then().statusCode(204);
    // a webhook endpoint whose receiver answers 410 Gone: disabled, with a server event
    String hook;
    try (io.strata.server.reactors.webhooks.WebhookReceiver receiver =
        new io.strata.server.reactors.webhooks.WebhookReceiver()) {
      receiver.answer(410);
      hook = given().contentType("application/json").body(Map.of("url", receiver.url("/produced"),
              "filter", Map.of("repositories", List.of(repo))))
          .post("/api/v1/webhooks").then().statusCode(201).extract().path("id");
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "hooked")).statusCode(201);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> !given().get("/api/v1/webhooks/{id}", hook).jsonPath().getBoolean("enabled"));
    }
    given().delete("/api/v1/repositories/{r}?force=true", repo).then().statusCode(204);

    List<StoredEvent> events = log.readStream(repo, 0, 1000).await().atMost(Duration.ofSeconds(10));
    Set<EventType> types = events.stream().map(e -> EventType.ofType(e.type()).orElseThrow())
        .collect(Collectors.toSet());
    Set<EventType> repositoryTypes = EnumSet.allOf(EventType.class);
    repositoryTypes.removeIf(EventType::serverEvent);
    assertThat(types).containsExactlyInAnyOrderElementsOf(repositoryTypes);
    List<StoredEvent> serverEvents = log.readStream(io.strata.events.EventEnvelope.SERVER_STREAM, 0, 10_000)
        .await().atMost(Duration.ofSeconds(10));
    Set<EventType> serverTypes = serverEvents.stream().map(e -> EventType.ofType(e.type()).orElseThrow())
        .collect(Collectors.toSet());
    assertThat(serverTypes).containsExactlyInAnyOrderElementsOf(
        EnumSet.allOf(EventType.class).stream().filter(EventType::serverEvent).toList());
    assertThat(serverEvents).anyMatch(e -> e.subject().equals("webhooks/" + hook));

    JsonSchema envelope = schema("schemas/envelope.v1.json");
    JsonFormat format = new JsonFormat();
    for (StoredEvent e : events) {
      JsonNode cloudEvent = EventCodec.mapper().readTree(format.serialize(e.toEnvelope().toCloudEvent()));
      assertThat(envelope.validate(cloudEvent)).as("%s", cloudEvent).isEmpty();
      EventType type = EventType.ofType(e.type()).orElseThrow();
      assertThat(schema(type.schemaResource()).validate(e.data())).as("%s", e.data()).isEmpty();
      assertThat(cloudEvent.get("repository").asText()).isEqualTo(repo);
      assertThat(cloudEvent.get("correlationid")).isNotNull();
    }
    for (StoredEvent e : serverEvents) {
      JsonNode cloudEvent = EventCodec.mapper().readTree(format.serialize(e.toEnvelope().toCloudEvent()));
      assertThat(envelope.validate(cloudEvent)).as("%s", cloudEvent).isEmpty();
      EventType type = EventType.ofType(e.type()).orElseThrow();
      assertThat(type.serverEvent()).isTrue();
      assertThat(schema(type.schemaResource()).validate(e.data())).as("%s", e.data()).isEmpty();
      assertThat(cloudEvent.get("source").asText()).isEqualTo("/strata/server");
      assertThat(cloudEvent.has("repository")).isFalse();
      assertThat(cloudEvent.get("correlationid")).isNotNull();
    }
    StoredEvent branchDeleted = events.stream().filter(e -> e.type().equals(EventType.BRANCH_DELETED.type())
        && e.subject().equals("branches/dev")).findFirst().orElseThrow();
    assertThat(branchDeleted.actor()).isEqualTo("bot-7");
  }
}
