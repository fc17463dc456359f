package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.strata.server.TestDatabaseResource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The promotion policy over HTTP: set as YAML or JSON, answered normalised, recorded as one event with its actor
 * and origin (and not again when it is the one in force), its history newest first, a validation that changes
 * nothing and lists every error with its path, and hostile documents refused with a 4xx that changes nothing.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class PromotionPolicyApiTest {
  private static final String YAML = """
      # the pipelines of the shop's data
      version: 1
      protected_branches: [production, "release/*"]
      paths:
        - source: development
          target: staging
          auto_merge: true
          required_checks: [orders_present]
        - source: staging
          target: production
          required_checks: [orders_present, ci/build]
          approvals: {required: 1, roles: [admin]}
          tag: "prod-{date}-{seq}"
          verify: {checks: [orders_present]}
      checks:
        - name: orders_present
          sql: select count(*) from orders
          expect: {min: 1}
      """;

  /** A request whose body is YAML text. */
  private static io.restassured.specification.RequestSpecification yaml() {
    return given().config(io.restassured.RestAssured.config().encoderConfig(io.restassured.config.EncoderConfig
        .encoderConfig().encodeContentTypeAs("application/yaml", ContentType.TEXT))).contentType("application/yaml");
  }

  private static String policyPath(String repo) {
    return "/api/v1/repositories/" + repo + "/promotion-policy";
  }

  @Test
  void aYamlPolicyIsSetOnceAnsweredNormalisedAndKeptInItsHistory() {
    String repo = createRepository(uniqueName("policy"));
    given().get(policyPath(repo)).then().statusCode(404).body("error", equalTo("NotFound"));

    var set = yaml().header("X-User-Id", "alice").queryParam("origin",
            "git:https://example.com/pipelines.git@1234abc").body(YAML).put(policyPath(repo)).then().statusCode(200)
        .body("policy.paths[0].conflict_strategy", equalTo("fail"))
        .body("policy.paths[1].verify.rollback", equalTo("revert"))
        .body("policy.checks[0].expect.kind", equalTo("bounds"))
        .body("policy.direct_changes", equalTo("refuse"))
        .body("origin", equalTo("git:https://example.com/pipelines.git@1234abc"))
        .body("set_by", equalTo("alice")).extract();
    String digest = set.path("digest");
    long position = ((Number) set.path("position")).longValue();
    given().get(policyPath(repo)).then().statusCode(200).body("digest", equalTo(digest))
        .body("set_by", equalTo("alice")).body("policy.protected_branches", equalTo(List.of("production", "release/*")));

    // the same policy again, as JSON this time (its answer's normalised form): nothing recorded, the one in force
    Map<String, Object> normalised = set.path("policy");
    Api.json().header("X-User-Id", "bob").body(normalised).put(policyPath(repo)).then().statusCode(200)
        .body("digest", equalTo(digest)).body("set_by", equalTo("alice"))
        .body("position", equalTo((int) position));
    List<String> types = given().get("/api/v1/repositories/{r}/events", repo).then().extract().path("items.type");
    assertThat(types.stream().filter(t -> t.startsWith("io.strata.promotion.policy_set")).count()).isEqualTo(1);

    // another: recorded, and the history lists both, newest first
    Api.json().header("X-User-Id", "bob").body(Map.of("version", 1, "direct_changes", "allow")).put(policyPath(repo))
        .then().statusCode(200).body("set_by", equalTo("bob")).body("origin", equalTo(null));
    given().get(policyPath(repo) + "/history").then().statusCode(200).body("total", equalTo(2))
        .body("items.set_by", equalTo(List.of("bob", "alice")))
        .body("items[1].digest", equalTo(digest));
    given().get("/api/v1/repositories/{r}/events", repo).then()
        .body("items.type", hasItem("io.strata.promotion.policy_set.v1"));
    List<Map<String, Object>> events = given().queryParam("types", "io.strata.promotion.policy_set")
        .get("/api/v1/repositories/{r}/events", repo).then().extract().path("items");
    assertThat(events).hasSize(2);
    assertThat(events.get(0).get("actor")).isEqualTo("alice");
  }

  @Test
  void aValidationListsEveryErrorAndChangesNothing() {
    String repo = createRepository(uniqueName("policy-v"));
    // an unknown field is the body's shape (400, as for every request); every error is listed all the same
    yaml().body("""
        version: 1
        colour: blue
        paths:
          - {source: dev, target: dev}
          - {source: dev, target: prod, required_checks: [missing]}
        """).post(policyPath(repo) + "/validate").then().statusCode(400).body("error", equalTo("BadRequest"))
        .body("details.errors.path", equalTo(List.of("$.colour", "$.paths[0].target", "$.paths[1].required_checks[0]")))
        .body("message", startsWith("unknown field 'colour' at $.colour"));
    yaml().body(YAML).post(policyPath(repo) + "/validate").then().statusCode(200)
        .body("digest", org.hamcrest.Matchers.matchesPattern("[0-9a-f]{64}"))
        .body("policy.paths[0].approvals.required", equalTo(0));
    // the same invalid document validated and set: 422 with every error, nothing recorded
    Map<String, Object> invalid = Map.of("version", 1, "protected_branches", List.of("a..b"), "direct_changes",
        "sometimes");
    Api.json().body(invalid).post(policyPath(repo) + "/validate").then().statusCode(422)
        .body("details.errors.path", equalTo(List.of("$.protected_branches[0]", "$.direct_changes")));
    Api.json().body(invalid).put(policyPath(repo)).then()
        .statusCode(422).body("error", equalTo("ValidationError"))
        .body("details.errors.path", equalTo(List.of("$.protected_branches[0]", "$.direct_changes")))
        .body("message", startsWith("the promotion policy has 2 errors"));
    given().get(policyPath(repo)).then().statusCode(404);
  }

  @Test
  void hostileDocumentsAreRefusedAndChangeNothing() {
    String repo = createRepository(uniqueName("policy-h"));
    // a key twice, in YAML and JSON
    yaml().body("version: 1\nversion: 1\n").put(policyPath(repo)).then()
        .statusCode(400).body("error", equalTo("BadRequest"));
    given().contentType(ContentType.JSON).body("{\"version\": 1, \"version\": 1}").put(policyPath(repo)).then()
        .statusCode(400).body("message", startsWith("the promotion policy is not valid JSON"));
    // an alias bomb
    StringBuilder bomb = new StringBuilder("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      char p = (char) (c - 1);
      bomb.append(c).append(": &").append(c).append(" [*").append(p).append(",*").append(p).append(",*").append(p)
          .append(",*").append(p).append(",*").append(p).append(",*").append(p).append(",*").append(p).append(",*")
          .append(p).append(",*").append(p).append("]\n");
    }
    // (the reader never expands aliases: the document is its ten unknown keys, not 9^10 strings)
    long started = System.nanoTime();
    yaml().body(bomb.toString()).put(policyPath(repo)).then().statusCode(400).body("details.errors[0].path",
        equalTo("$.a"));
    assertThat(System.nanoTime() - started).isLessThan(5_000_000_000L);
    // NUL, too large, not a mapping, an unknown media type, an empty body
    given().contentType(ContentType.JSON).body("{\"version\": 1, \"checks\": [{\"name\": \"c\", \"sql\":"
        + " \"select '\\u0000'\", \"expect\": \"no_rows\"}]}").put(policyPath(repo)).then().statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("NUL"));
    given().contentType(ContentType.JSON).body("{\"version\": 1}\u0000").put(policyPath(repo)).then().statusCode(400);
    yaml().body("version: 1\n#" + "x".repeat(300_000)).put(policyPath(repo)).then()
        .statusCode(413);
    yaml().body("- 1\n- 2\n").put(policyPath(repo)).then().statusCode(422)
        .body("details.errors[0].path", equalTo("$"));
    given().contentType(ContentType.TEXT).body("version: 1").put(policyPath(repo)).then().statusCode(415);
    given().contentType(ContentType.JSON).put(policyPath(repo)).then().statusCode(400);
    // no such repository
    yaml().body(YAML).put(policyPath("no-such-repo-" + uniqueName("x")))
        .then().statusCode(404).body("error", equalTo("RepositoryNotFound"));
    given().get(policyPath(repo)).then().statusCode(404);
    given().get(policyPath(repo) + "/history").then().statusCode(200).body("total", equalTo(0));
  }
}
