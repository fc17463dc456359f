package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's token tour, as written, against the packaged server started with STRATA_AUTH=token; the
 * user exports the admin token Strata generated, from the file its start-up log names.
 */
class ReadmeTokenTourIT {
  @TempDir Path dir;

  @Test
  void theTokenTourRunsAsWritten() throws Exception {
    Path work = Files.createDirectories(dir.resolve("server"));
    try (PackagedServer server = new PackagedServer(work, Map.of("STRATA_AUTH", "token"))) {
      server.start();
      Path tokenFile = work.resolve(".strata/admin-token").toAbsolutePath().normalize();
      assertThat(server.log()).contains(tokenFile.toString());
      String admin = Files.readString(tokenFile).strip();

      String output = ReadmeTours.run("tokentour", server, Map.of("STRATA_ADMIN_TOKEN", admin));

      assertThat(output).contains("\"name\":\"team\"").contains("\"token\":\"strata_").contains("\"role\":\"writer\"")
          .contains("\"name\":\"nightly\"").contains("\"message\":\"Nightly load\"")
          .contains("\"error\":\"Forbidden\"").contains("\"error\":\"Unauthorized\"");
      // the refused delete changed nothing; the revoked token is refused; the commit names the token
      server.send("GET", "/api/v1/repositories/team/branches/nightly", null, 200, admin);
      assertThat(server.send("GET", "/api/v1/repositories/team/commits?ref=nightly&limit=1", null, 200, admin)
          .get("items").get(0).get("author").get("name").asText()).startsWith("ci-bot-");
      assertThat(output.split("\"error\":\"Unauthorized\"", -1)).hasSize(3); // without a token, and once revoked
    }
  }
}
