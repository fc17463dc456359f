package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.server.TestDatabaseResource;
import io.strata.server.api.OtlpCollector.CollectedSpan;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * With an OTLP endpoint set, a request's spans reach the collector as one trace under the caller's
 * {@code traceparent}: the request's server span named by its route, the command's span under it, and under that
 * the command's data work, its append to the event log and the wait for its projection.
 */
@QuarkusTest
@TestProfile(TracingTest.Traced.class)
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class TracingTest {
  public static class Traced implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("strata.tracing.endpoint", OtlpCollector.shared().endpoint());
    }
  }

  @Inject Pool pool;

  @Test
  void aCommitIsOneTraceUnderTheCallersSpan() {
    String repo = createRepository(uniqueName("traced"));
    Api.trackNew(pool, repo, "traced_rows", "id int primary key, v text", "values (1, 'a')");
    String traceId = hex(16);
    String callerSpan = hex(8);
    String requestId = given().header("traceparent", "00-" + traceId + "-" + callerSpan + "-01")
        .contentType("application/json").body(Map.of("message", "traced", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo)
        .then().statusCode(201).extract().header(RequestIds.HEADER);
    assertThat(requestId).isNotBlank();

    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<CollectedSpan> trace = OtlpCollector.shared().spans().stream()
          .filter(s -> s.traceId().equals(traceId)).toList();
      CollectedSpan server = one(trace, "POST /api/v1/repositories/{repo}/branches/{branch}/commits");
      assertThat(server.parentSpanId()).isEqualTo(callerSpan);
      CollectedSpan command = one(trace, "strata.command");
      assertThat(command.parentSpanId()).isEqualTo(server.spanId());
      for (String child : List.of("strata.data", "strata.append", "strata.projection")) {
        assertThat(one(trace, child).parentSpanId()).as(child).isEqualTo(command.spanId());
      }
    });
    // a request without a traceparent starts a trace of its own
    given().get("/api/v1/repositories/{r}/branches", repo).then().statusCode(200);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> OtlpCollector.shared().spans().stream()
        .anyMatch(s -> s.name().equals("GET /api/v1/repositories/{repo}/branches") && s.parentSpanId().isEmpty()));
  }

  private static CollectedSpan one(List<CollectedSpan> trace, String name) {
    List<CollectedSpan> named = trace.stream().filter(s -> s.name().equals(name)).toList();
    assertThat(named).as("spans named " + name + " in " + trace).hasSize(1);
    return named.get(0);
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(b);
    b[0] |= 1; // never all zeros (an invalid id)
    return HexFormat.of().formatHex(b);
  }
}
