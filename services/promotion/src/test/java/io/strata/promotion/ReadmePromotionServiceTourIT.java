package io.strata.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.client.StrataProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's pipeline tour, as a user runs it: the packaged server on its defaults (no tokens, its private
 * PostgreSQL), the packaged promotion service started as the README says ({@code STRATA_URL} only), and the tour's
 * block copied as written into a script run from a directory outside the repository.
 */
class ReadmePromotionServiceTourIT {
  private static final Path REPOSITORY = Path.of("../..").toAbsolutePath().normalize();

  @TempDir Path dir;

  @Test
  void thePipelineTourRunsAsWritten() throws Exception {
    Files.createDirectories(dir.resolve("server"));
    try (StrataProcess server = StrataProcess.start(dir.resolve("server"), Map.of());
        PromotionProcess service = PromotionProcess.start(dir.resolve("promotion.log"),
            Map.of("STRATA_URL", server.baseUri()))) {
      String output = run("pipelinetour", server.baseUri());
      assertThat(output).as(output)
          .containsPattern("\"source\":\"development\",\"target\":\"staging\",\"state\":\"failing\",\"tag\":null,"
              + "\"checks\":\\[\"no_negative_amounts: failed\",\"has_invoices: passed\"\\]")
          .contains("\"state\":\"merged\",\"tag\":\"staging-1\"")
          .contains("\"source\":\"staging\",\"target\":\"main\",\"state\":\"passing\"")
          .contains("\"state\":\"merged\",\"tag\":\"release-1\"").contains("\"verification\":\"passed\"")
          .contains("production: 50.00")
          .contains("\"state\":\"rolled_back\"").contains("\"verification\":\"failed\"")
          .contains("production has 1002: false")
          .contains("\"source\":\"hotfix/r3\",\"target\":\"main\",\"state\":\"merged\"")
          .contains("production: 35.00").contains("development: 35.00")
          .contains("ADD COLUMN \\\"currency\\\"")
          .contains("production: id region amount currency");
      assertThat(service.log()).doesNotContain("reconciling failed");
      // the service's steps are in the log under its name, Alice's approvals under hers
      io.strata.client.ApiClient client = new io.strata.client.ApiClient();
      client.updateBaseUri(server.baseUri());
      List<io.strata.client.model.CloudEvent> events = new io.strata.client.api.EventsApi(client)
          .listRepositoryEvents("retail", 0L, "io.strata.promotion.merged,io.strata.promotion.approved", null, 1000,
              null).getItems();
      assertThat(events).filteredOn(e -> e.getType().startsWith("io.strata.promotion.merged")).hasSizeGreaterThanOrEqualTo(7)
          .allSatisfy(e -> assertThat(e.getActor()).contains("promotion-service"));
      assertThat(events).filteredOn(e -> e.getType().startsWith("io.strata.promotion.approved")).isNotEmpty()
          .allSatisfy(e -> assertThat(e.getActor()).contains("alice"));
    }
  }

  private String run(String name, String strata) throws Exception {
    String readme = Files.readString(REPOSITORY.resolve("README.md"));
    Matcher block = Pattern.compile("<!-- " + name + ":start -->\\s*```bash\\n(.*?)```\\s*<!-- " + name + ":end -->",
        Pattern.DOTALL).matcher(readme);
    assertThat(block.find()).as("README has a " + name + " block").isTrue();
    Path outside = Files.createTempDirectory(Path.of(System.getenv().getOrDefault("TMPDIR", "/tmp")), "strata-tour-");
    Path script = outside.resolve(name + ".sh");
    Files.writeString(script, "set -euo pipefail\n" + block.group(1));
    ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(outside.toFile())
        .redirectErrorStream(true);
    List.of("PSQL", "STRATA", "STRATA_ADMIN_TOKEN", "PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE")
        .forEach(pb.environment()::remove);
    pb.environment().put("STRATA", strata);
    Process run = pb.start();
    try {
      String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(run.waitFor(300, TimeUnit.SECONDS)).as("the tour ends").isTrue();
      assertThat(run.exitValue()).as("the %s tour failed:\n%s", name, output).isZero();
      return output;
    } finally {
      run.destroyForcibly();
      Files.deleteIfExists(script);
      Files.deleteIfExists(outside);
    }
  }
}
