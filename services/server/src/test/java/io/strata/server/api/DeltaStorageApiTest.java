package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.log.EventLog;
import io.strata.server.TestDatabaseResource;
import io.strata.server.TestS3;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Delta Lake storages in the registry: a local directory under the operator's roots and an S3 prefix on an allowed
 * endpoint (the tests' in-process S3 server) are registered, listed and removed; the server reads nothing and
 * reaches nothing a repository admin names outside what the operator allows; secrets are only ever named.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DeltaStorageApiTest {
  @Inject EventLog log;

  private static String storages(String repo) {
    return "/api/v1/repositories/" + repo + "/storage";
  }

  private static Map<String, Object> s3(String name, String bucket) {
    Map<String, Object> body = new HashMap<>();
    body.put("name", name);
    body.put("type", "delta");
    body.put("url", "s3://" + bucket + "/lake/");
    body.put("endpoint", TestS3.shared().endpoint() + "/");
    body.put("path_style", true);
    body.put("access_key_env", "STRATA_STORAGE_TEST_S3_ACCESS");
    return body;
  }

  @Test
  void aLocalDirectoryAndAnS3PrefixAreRegisteredListedAndRemoved() throws Exception {
    String repo = createRepository(uniqueName("deltastore"));
    Path lake = Files.createTempDirectory("lake");
    post(storages(repo), Map.of("name", "lake", "type", "delta", "url", lake.toUri().toString()))
        .statusCode(201).body("type", equalTo("delta")).body("url", equalTo("file://" + lake))
        .body("host", nullValue()).body("builtin", equalTo(false));

    String bucket = "b" + uniqueName("x").replace("_", "-").toLowerCase();
    try (var client = TestS3.shared().client()) {
      client.createBucket(b -> b.bucket(bucket)).join();
    }
    Path secret = Files.createTempFile("s3-secret", ".txt");
    secret.toFile().deleteOnExit(); // read by the server whenever it opens the storage
    Files.writeString(secret, TestS3.SECRET_KEY + "\n");
    Map<String, Object> body = s3("bucket", bucket);
    body.put("secret_key_file", secret.toString());
    String created = post(storages(repo), body).statusCode(201)
        .body("url", equalTo("s3://" + bucket + "/lake")).body("endpoint", equalTo(TestS3.shared().endpoint()))
        .body("path_style", equalTo(true)).body("access_key_env", equalTo("STRATA_STORAGE_TEST_S3_ACCESS"))
        .body("secret_key_file", equalTo(secret.toString())).extract().asString();
    String listed = given().get(storages(repo)).then().statusCode(200)
        .body("items.name", org.hamcrest.Matchers.contains("local", "bucket", "lake")).extract().asString();
    String events = log.readStream(repo, 0, 100).await().atMost(Duration.ofSeconds(5)).toString();
    assertThat(created + listed + events).doesNotContain(TestS3.SECRET_KEY).doesNotContain(TestS3.ACCESS_KEY);

    given().delete(storages(repo) + "/lake").then().statusCode(204);
    given().delete(storages(repo) + "/bucket").then().statusCode(204);
    given().get(storages(repo) + "/bucket").then().statusCode(404);
  }

  @Test
  void wrongCredentialsAMissingBucketOrDirectoryAreRefusedSaying() throws Exception {
    String repo = createRepository(uniqueName("deltabad"));
    Map<String, String> before = Api.digest();
    Path wrong = Files.createTempFile("s3-wrong", ".txt");
    Files.writeString(wrong, "not-the-secret");
    Map<String, Object> body = s3("wrongkey", "whatever-bucket");
    body.put("secret_key_file", wrong.toString());
    post(storages(repo), body).statusCode(422).body("details.storage", equalTo("wrongkey"));
    post(storages(repo), Map.of("name", "gone", "type", "delta", "url",
        Path.of(System.getProperty("java.io.tmpdir"), "no-such-lake-" + uniqueName("d")).toUri().toString()))
        .statusCode(422).body("details.storage", equalTo("gone"));
    assertThat(Api.digest()).isEqualTo(before);
  }

  /**
   * The attacks of a repository admin: make the server write its own files (a directory outside the operator's
   * roots, one that leads out of them by a link, a path with . or ..), reach an address it chooses (an endpoint the
   * operator did not allow), or read a server secret as an S3 key. All refused before anything is read or reached.
   */
  @Test
  void onlyPlacesTheOperatorAllowsAreUsed() throws Exception {
    String repo = createRepository(uniqueName("deltahostile"));
    Map<String, String> before = Api.digest();
    for (String url : new String[] {"file:///etc", "file:///", "file:///tmp/../etc", "file:///tmp/./x",
        "file://host/tmp/x", "file:/tmp/x", "/tmp/x", "s3://", "s3://UPPER/x", "s3://b/../x", "s3://bb/x y",
        "http://example.com/x", "s3://bucket/a//b"}) {
      post(storages(repo), Map.of("name", "x", "type", "delta", "url", url)).statusCode(422)
          .body("details.field", equalTo("url"));
    }
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Path link = tmp.resolve("lake-link-" + uniqueName("l"));
    Files.createSymbolicLink(link, Path.of("/etc"));
    try {
      post(storages(repo), Map.of("name", "link", "type", "delta", "url", link.toUri().toString())).statusCode(422)
          .body("details.field", equalTo("url"));
    } finally {
      Files.delete(link);
    }
    for (String endpoint : new String[] {"http://169.254.169.254", "http://127.0.0.1:1", "https://evil.example",
        "http://user@127.0.0.1", "ftp://x", TestS3.shared().endpoint() + "/path"}) {
      Map<String, Object> body = s3("ep", "bucket");
      body.put("secret_key_env", "STRATA_STORAGE_TEST_S3_ACCESS");
      body.put("endpoint", endpoint);
      post(storages(repo), body).statusCode(422).body("details.field", equalTo("endpoint"));
    }
    for (String variable : new String[] {"PATH", "STRATA_DATABASE_URL", "STRATA_ADMIN_TOKEN"}) {
      Map<String, Object> body = s3("env", "bucket");
      body.put("secret_key_env", variable);
      post(storages(repo), body).statusCode(422).body("details.field", equalTo("secret_key_env"));
    }
    Map<String, Object> shadow = s3("file", "bucket");
    shadow.put("secret_key_file", "/etc/shadow");
    post(storages(repo), shadow).statusCode(422).body("details.field", equalTo("secret_key_file"));
    Map<String, Object> halfKeys = s3("half", "bucket");
    post(storages(repo), halfKeys).statusCode(422).body("details.field", equalTo("secret_key_env"));
    Map<String, Object> mixed = new HashMap<>(Map.of("name", "mixed", "type", "delta", "url", "s3://bucket/x"));
    mixed.put("host", "db.example");
    post(storages(repo), mixed).statusCode(422).body("details.field", equalTo("host"));
    post(storages(repo), Map.of("name", "s3opts", "type", "delta", "url", tmp.toUri().toString(), "region", "eu-west-1"))
        .statusCode(422).body("details.field", equalTo("region"));
    post(storages(repo), Map.of("name", "pg", "host", "localhost", "database", "x", "endpoint", "http://x"))
        .statusCode(422).body("details.field", equalTo("endpoint"));
    assertThat(Api.digest()).isEqualTo(before);
  }
}
