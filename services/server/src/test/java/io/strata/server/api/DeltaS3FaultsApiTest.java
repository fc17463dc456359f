package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.S3FaultProxy;
import io.strata.server.TestDatabaseResource;
import io.strata.server.TestS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A Delta table on an S3 server that fails mid-merge, as S3 does ({@link S3FaultProxy}): the log entry's put refused
 * (never stored), the merge is refused with 503 and changes nothing, in the table or in Strata's log; the put stored
 * but answered with an error, the merge is made, once.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DeltaS3FaultsApiTest {

  @AfterEach
  void s3Heals() {
    S3FaultProxy.shared().arm(S3FaultProxy.Fault.NONE);
  }

  @Test
  void anS3ServerFailingMidMergeLeavesTableAndLogAsTheyWereAndAnEntryItStoredCountsOnce() throws Exception {
    String repo = createRepository(uniqueName("s3faults"));
    String base = "/api/v1/repositories/" + repo;
    String bucket = "b" + uniqueName("f").replace("_", "-").toLowerCase();
    try (var client = TestS3.shared().client()) {
      client.createBucket(b -> b.bucket(bucket)).join();
    }
    Path secret = Files.createTempFile("s3-secret", ".txt");
    secret.toFile().deleteOnExit();
    Files.writeString(secret, TestS3.SECRET_KEY + "\n");
    Map<String, Object> storage = new HashMap<>();
    storage.put("name", "lake");
    storage.put("type", "delta");
    storage.put("url", "s3://" + bucket + "/lake");
    storage.put("endpoint", S3FaultProxy.shared().endpoint());
    storage.put("path_style", true);
    storage.put("access_key_env", "STRATA_STORAGE_TEST_S3_ACCESS");
    storage.put("secret_key_file", secret.toString());
    post(base + "/storage", storage).statusCode(201);
    post(base + "/branches/main/tables", Map.of("name", "orders", "location", "delta://lake/orders",
        "columns", List.of(Map.of("name", "id", "type", "bigint"), Map.of("name", "customer", "type", "text")),
        "primary_key", List.of("id"))).statusCode(201);
    for (int id = 1; id <= 5; id++) {
      Api.json().body(Map.of("customer", "c" + id)).put(base + "/branches/main/tables/orders/rows/" + id).then()
          .statusCode(200);
    }
    post(base + "/branches/main/commits", Map.of("message", "five orders")).statusCode(201);
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "dev")).put(base + "/branches/dev/tables/orders/rows/2").then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "dev's 2")).statusCode(201);
    Api.json().body(Map.of("customer", "main")).put(base + "/branches/main/tables/orders/rows/3").then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main's 3")).statusCode(201);
    String head = Api.head(repo, "main");
    List<String> entries = logEntries(bucket);

    // the log entry's put refused, every time the client tries: refused, nothing changed
    S3FaultProxy.shared().arm(S3FaultProxy.Fault.FAILS);
    int before = S3FaultProxy.shared().faulted();
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(503)
        .body("error", equalTo("StorageUnavailable"));
    assertThat(S3FaultProxy.shared().faulted()).as("the merge's put met the fault").isGreaterThan(before);
    S3FaultProxy.shared().arm(S3FaultProxy.Fault.NONE);
    assertThat(Api.head(repo, "main")).as("Strata's log records no merge").isEqualTo(head);
    assertThat(logEntries(bucket)).as("the table has no new version").isEqualTo(entries);
    given().get(base + "/tables/orders/rows/2?ref=main&working=true").then().statusCode(200)
        .body("customer", equalTo("c2"));
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));

    // stored, then answered with an error: the writer finds its own entry there, and the merge is made, once
    S3FaultProxy.shared().arm(S3FaultProxy.Fault.STORES_THEN_FAILS);
    before = S3FaultProxy.shared().faulted();
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200).body("fast_forward", equalTo(false));
    assertThat(S3FaultProxy.shared().faulted()).isEqualTo(before + 1);
    S3FaultProxy.shared().arm(S3FaultProxy.Fault.NONE);
    assertThat(logEntries(bucket)).hasSize(entries.size() + 1);
    given().get(base + "/tables/orders/rows/2?ref=main").then().statusCode(200).body("customer", equalTo("dev"));
    given().get(base + "/tables/orders/rows/3?ref=main").then().statusCode(200).body("customer", equalTo("main"));
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));
  }

  /** The table's log entries in the bucket (its commits, not checkpoints). */
  private static List<String> logEntries(String bucket) {
    try (var client = TestS3.shared().client()) {
      return client.listObjectsV2(b -> b.bucket(bucket).prefix("lake/orders/_delta_log/")).join().contents()
          .stream().map(o -> o.key()).filter(k -> k.endsWith(".json")).sorted().toList();
    }
  }
}
