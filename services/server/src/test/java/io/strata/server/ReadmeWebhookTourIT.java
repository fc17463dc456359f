package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.server.reactors.webhooks.StandardWebhooksVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's webhook tour, as written: it starts its own receiver on 127.0.0.1, so the packaged
 * server runs as the tour says (STRATA_WEBHOOKS_ALLOWED_HOSTS=127.0.0.1/32), here with STRATA_AUTH=token
 * and the admin token the user exports; the delivery the receiver printed carries a valid signature.
 */
class ReadmeWebhookTourIT {
  @TempDir Path dir;

  @Test
  void theWebhookTourRunsAsWrittenWithItsOwnReceiver() throws Exception {
    Path work = Files.createDirectories(dir.resolve("server"));
    try (PackagedServer server = new PackagedServer(work, Map.of("STRATA_AUTH", "token",
        "STRATA_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1/32"))) {
      server.start();
      String admin = Files.readString(work.resolve(".strata/admin-token")).strip();

      String output = ReadmeTours.run("webhooktour", server, Map.of("STRATA_ADMIN_TOKEN", admin));

      assertThat(output).contains("\"secret\":\"whsec_").contains("\"state\":\"delivered\"")
          .contains("\"redelivered\":").contains("\"enabled\":false");
      Matcher secret = Pattern.compile("\"secret\":\"(whsec_[^\"]+)\"").matcher(output);
      assertThat(secret.find()).isTrue();
      // the receiver's line: received <webhook-id> <webhook-timestamp> <webhook-signature> <body>
      Matcher received = Pattern.compile("(?m)^received (\\S+) (\\S+) (\\S+) (\\{.*\\})$").matcher(output);
      assertThat(received.find()).as(output).isTrue();
      assertThat(StandardWebhooksVerifier.verify(secret.group(1), received.group(1), received.group(2),
          received.group(4), received.group(3))).isTrue();
      assertThat(new ObjectMapper().readTree(received.group(4)).get("data").get("name").asText()).isIn("main", "nightly");
    }
  }
}
