package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.events.StorageAdded;
import io.strata.projections.log.EventLog;
import io.strata.server.TestDatabaseResource;
import io.strata.server.runtime.StoragePools;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class StorageApiTest {
  private static final String SECRET = "s3cr3t-never-echoed";

  @Inject EventLog log;
  @Inject StoragePools pools;

  /** The test database itself, reached as a storage over TCP (trust auth ignores the password). */
  private static Map<String, Object> selfStorage(String name) {
    URI db = URI.create(ConfigProvider.getConfig().getValue("quarkus.datasource.reactive.url", String.class));
    Map<String, Object> body = new HashMap<>();
    body.put("name", name);
    body.put("type", "postgresql");
    body.put("host", db.getHost());
    body.put("port", db.getPort());
    body.put("database", db.getPath().substring(1));
    body.put("username", ConfigProvider.getConfig().getValue("quarkus.datasource.username", String.class));
    return body;
  }

  @Test
  void registerListUseAndRemoveAStorage() throws Exception {
    String repo = createRepository(uniqueName("storage"));
    Path secret = Files.createTempFile("password", ".txt");
    secret.toFile().deleteOnExit(); // read by the server while the storage is registered
    // trust auth (embedded) ignores it; with a container the real password is needed, and is secret too
    String real = ConfigProvider.getConfig().getOptionalValue("quarkus.datasource.password", String.class).orElse("");
    Files.writeString(secret, (real.isEmpty() ? SECRET : real) + "\n");
    Map<String, Object> body = selfStorage("warehouse");
    body.put("password_file", secret.toString());

    String created = Api.json().body(body).post("/api/v1/repositories/{r}/storage", repo).then().statusCode(201)
        .body("name", equalTo("warehouse")).body("password_file", equalTo(secret.toString()))
        .extract().asString();
    String listed = given().get("/api/v1/repositories/{r}/storage", repo).then().statusCode(200)
        .body("items[0].name", equalTo("local")).body("items[0].builtin", equalTo(true))
        .body("items[1].name", equalTo("warehouse")).extract().asString();
    String one = given().get("/api/v1/repositories/{r}/storage/warehouse", repo).then().statusCode(200).extract().asString();
    String events = log.readStream(repo, 0, 100).await().atMost(Duration.ofSeconds(5)).toString();
    assertThat(created + listed + one + events).doesNotContain(SECRET).doesNotContain(Files.readString(secret).strip());

    StorageAdded registered = new StorageAdded("warehouse", "postgresql", (String) body.get("host"),
        (Integer) body.get("port"), (String) body.get("database"), (String) body.get("username"), null, secret.toString());
    int one1 = pools.pool(repo, registered).chain(p -> p.query("select 1").execute())
        .await().atMost(Duration.ofSeconds(5)).iterator().next().getInteger(0);
    assertThat(one1).isEqualTo(1);

    post("/api/v1/repositories/" + repo + "/storage", body).statusCode(409).body("error", equalTo("StorageAlreadyExists"));
    post("/api/v1/repositories/" + repo + "/storage", selfStorage("local")).log().ifValidationFails().statusCode(409);
    given().delete("/api/v1/repositories/{r}/storage/warehouse", repo).then().statusCode(204);
    given().delete("/api/v1/repositories/{r}/storage/warehouse", repo).then().statusCode(404)
        .body("error", equalTo("StorageNotFound"));
    given().get("/api/v1/repositories/{r}/storage/warehouse", repo).then().statusCode(404);
    given().get("/api/v1/repositories/{r}/storage/local", repo).then().statusCode(200).body("builtin", equalTo(true));
  }

  @Test
  void badRegistrationsAreRefusedAndChangeNothing() {
    String repo = createRepository(uniqueName("badstorage"));
    Map<String, String> before = Api.digest();
    Map<String, Object> withUrlPassword = Map.of("name", "s1", "url", "postgresql://u:" + SECRET + "@localhost/db");
    post("/api/v1/repositories/" + repo + "/storage", withUrlPassword).statusCode(422)
        .body("message", startsWith("url: must not contain a password"));
    Map<String, Object> both = selfStorage("s2");
    both.put("password_env", "X");
    both.put("password_file", "/x");
    post("/api/v1/repositories/" + repo + "/storage", both).statusCode(422);
    Map<String, Object> unsetEnv = selfStorage("s3");
    unsetEnv.put("password_env", "STRATA_TEST_SURELY_UNSET_VARIABLE");
    post("/api/v1/repositories/" + repo + "/storage", unsetEnv).statusCode(422).body("details.field", equalTo("password_env"));
    Map<String, Object> closed = selfStorage("s4");
    closed.put("port", 1);
    long start = System.nanoTime();
    post("/api/v1/repositories/" + repo + "/storage", closed).statusCode(422).body("details.storage", equalTo("s4"));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    Map<String, Object> noDb = selfStorage("s5");
    noDb.put("database", "nope_" + uniqueName("db").replace("-", "_"));
    post("/api/v1/repositories/" + repo + "/storage", noDb).statusCode(422);
    for (String bad : new String[] {"Bad", "1x", "a;drop", "../x", "", "x".repeat(64)}) {
      post("/api/v1/repositories/" + repo + "/storage", selfStorage(bad)).statusCode(422);
    }
    Map<String, Object> hostile = selfStorage("s6");
    hostile.put("host", "localhost; rm -rf /");
    post("/api/v1/repositories/" + repo + "/storage", hostile).statusCode(422);
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "s7", "type", "mysql", "host", "h", "database", "d"))
        .statusCode(422);
    post("/api/v1/repositories/nope-" + repo + "/storage", selfStorage("s8")).statusCode(404);
    assertThat(Api.digest()).isEqualTo(before);
  }

  /**
   * The attack: name a server secret as the password and a host that accepts anything (here the test
   * database, whose trust auth ignores it). Only variables with the operator's prefix and files under
   * the operator's directories (the temporary directory in tests) are read; everything else is refused
   * before anything is read, with one message whether the variable or file exists or not.
   */
  @Test
  void passwordsByReferenceComeOnlyFromPlacesTheOperatorAllows() throws Exception {
    String repo = createRepository(uniqueName("secrets"));
    Map<String, String> before = Api.digest();
    Set<String> envAnswers = new HashSet<>();
    for (String variable : new String[] {"PATH", "HOME", "STRATA_DATABASE_URL", "STRATA_ADMIN_TOKEN",
        "NO_SUCH_VARIABLE_HERE", "STRATA_STORAGE_"}) {
      Map<String, Object> body = selfStorage("env");
      body.put("password_env", variable);
      envAnswers.add(post("/api/v1/repositories/" + repo + "/storage", body).statusCode(422)
          .body("details.field", equalTo("password_env")).extract().asString().replaceAll(",\"request_id\":\"[^\"]*\"", ""));
    }
    assertThat(envAnswers).as("one answer, whatever the variable").hasSize(1);

    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
    Set<String> fileAnswers = new HashSet<>();
    for (String file : new String[] {"/etc/passwd", "/etc/no-such-file-" + repo, tmp + "/../etc/passwd",
        tmp + "/./x", tmp.toString(), "pw.txt", "/proc/self/environ"}) {
      Map<String, Object> body = selfStorage("file");
      body.put("password_file", file);
      fileAnswers.add(post("/api/v1/repositories/" + repo + "/storage", body).statusCode(422)
          .body("details.field", equalTo("password_file")).extract().asString().replaceAll(",\"request_id\":\"[^\"]*\"", ""));
    }
    // a relative path is refused by the shape check first; every absolute one gets the same answer
    assertThat(fileAnswers).hasSizeLessThanOrEqualTo(2);

    // a link in an allowed directory that leads out of it is refused when read, not followed
    Path link = tmp.resolve("strata-link-" + repo);
    Files.createSymbolicLink(link, Path.of("/etc/passwd"));
    try {
      Map<String, Object> body = selfStorage("linked");
      body.put("password_file", link.toString());
      post("/api/v1/repositories/" + repo + "/storage", body).statusCode(422)
          .body("details.field", equalTo("password_file"));
    } finally {
      Files.delete(link);
    }

    // a variable with the prefix passes the rule (and is then looked up: unset here)
    Map<String, Object> prefixed = selfStorage("prefixed");
    prefixed.put("password_env", "STRATA_STORAGE_SURELY_UNSET_" + repo.replace("-", "_").toUpperCase());
    post("/api/v1/repositories/" + repo + "/storage", prefixed).statusCode(422)
        .body("message", containsString("is not set"));
    assertThat(Api.digest()).isEqualTo(before);
  }
}
