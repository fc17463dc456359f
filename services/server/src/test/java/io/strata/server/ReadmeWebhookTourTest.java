package io.strata.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.reactors.webhooks.StandardWebhooksVerifier;
import io.strata.server.reactors.webhooks.WebhookReceiver;
import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs the README's webhook tour, exactly as written, with a receiver of the test's as HOOK_URL. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ReadmeWebhookTourTest {
  @TestHTTPResource("/")
  URL server;

  @Test
  void theWebhookTourRunsAsWritten() throws Exception {
    given().delete("/api/v1/repositories/hooked?force=true"); // an earlier run's
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      String output = ReadmeTourTest.runBlock(server, "webhooktour", Map.of("HOOK_URL", receiver.url("/strata")));

      assertThat(output).contains("\"secret\":\"whsec_").contains("\"state\":\"delivered\"")
          .contains("\"redelivered\":").contains("\"enabled\":false");
      Matcher secret = Pattern.compile("\"secret\":\"(whsec_[^\"]+)\"").matcher(output);
      assertThat(secret.find()).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> !receiver.accepted().isEmpty());
      WebhookReceiver.Received first = receiver.accepted().get(0);
      assertThat(StandardWebhooksVerifier.verify(secret.group(1), first.id(), first.timestamp(), first.body(),
          first.signature())).isTrue();
      assertThat(new ObjectMapper().readTree(first.body()).get("data").get("name").asText()).isIn("main", "nightly");
    } finally {
      given().delete("/api/v1/repositories/hooked?force=true");
    }
  }
}
