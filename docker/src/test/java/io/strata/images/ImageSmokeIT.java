package io.strata.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Both images, as built by -Pimages, started the way a container runtime starts them (see {@link Container}):
 * read-only root, the image's user, PID 1. The server on its embedded PostgreSQL answers the API, passes the
 * compose file's health check and writes only its data directory; the promotion service follows its feed; both
 * stop cleanly on SIGTERM.
 */
@EnabledIfSystemProperty(named = "images.dir", matches = ".+")
class ImageSmokeIT {

  private static final String TOKEN = "smoke-test-admin-token-0123456789";

  private static Path images;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void needsRoot() throws Exception {
    images = Path.of(System.getProperty("images.dir"));
    assumeTrue(((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0,
        "starting an image needs root (mount and PID namespaces), as a container runtime does");
    Process probe = new ProcessBuilder("unshare", "--mount", "--pid", "--fork", "true").start();
    assumeTrue(probe.waitFor() == 0, "this machine refuses new mount and PID namespaces (unshare)");
  }

  @Test
  void theServerAndThePromotionServiceRunFromTheirImages() throws Exception {
    Path work = Files.createTempDirectory(images, "smoke-");
    ImageTar server = ImageTar.read(images.resolve("strata-server-image.tar"));
    ImageTar promotion = ImageTar.read(images.resolve("strata-promotion-image.tar"));
    Path serverRoot = Files.createDirectories(work.resolve("server-root"));
    Path promotionRoot = Files.createDirectories(work.resolve("promotion-root"));
    server.unpack(serverRoot, true);
    promotion.unpack(promotionRoot, true);
    // the volume a runtime mounts at the data directory: its owner is the image's user
    Path data = Files.createDirectories(work.resolve("data"));
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    Files.setAttribute(data, "unix:uid", 10001);
    Files.setAttribute(data, "unix:gid", 10001);

    int port = freePort();
    try (Container strata = Container.start(server, serverRoot,
        Map.of("STRATA_PORT", Integer.toString(port), "STRATA_AUTH", "token", "STRATA_ADMIN_TOKEN", TOKEN),
        Map.of("/var/lib/strata", data), work.resolve("server.log"))) {
      String base = "http://127.0.0.1:" + port;
      awaitStatus(strata, base + "/ready", 200, Duration.ofMinutes(3));

      assertThat(send("POST", base + "/api/v1/repositories", "{\"name\": \"smoke\"}").statusCode())
          .isEqualTo(201);
      assertThat(send("GET", base + "/api/v1/repositories/smoke/branches", null).body()).contains("\"main\"");
      assertThat(send("GET", base + "/q/metrics", null).body()).contains("strata_embedded_postgres_up 1.0");

      List<String> healthCheck = composeHealthCheck(port);
      assertThat(strata.exec(healthCheck.toArray(String[]::new))).as("compose.yaml's health check").isZero();
      assertThat(strata.exec(composeHealthCheck(freePort()).toArray(String[]::new)))
          .as("the health check of a port nobody listens on").isNotZero();
      // the root is read-only, and the image's user owns nothing of it
      assertThat(strata.exec("/bin/bash", "-c", "echo x > /opt/strata/x")).isNotZero();
      assertThat(strata.exec("/bin/bash", "-c", "echo x > /tmp/x")).isZero();
      // what the server wrote, in its volume and as its user
      try (Stream<Path> files = Files.list(data)) {
        assertThat(files.map(f -> f.getFileName().toString())).contains("postgres", "database.url");
      }
      assertThat(Files.getAttribute(data.resolve("postgres"), "unix:uid")).isEqualTo(10001);

      int promotionPort = freePort();
      try (Container promoter = Container.start(promotion, promotionRoot,
          Map.of("STRATA_URL", base, "STRATA_TOKEN", TOKEN, "STRATA_PROMOTION_PORT",
              Integer.toString(promotionPort)),
          Map.of(), work.resolve("promotion.log"))) {
        awaitStatus(promoter, "http://127.0.0.1:" + promotionPort + "/q/health/ready", 200, Duration.ofMinutes(2));
        assertThat(promoter.stop(Duration.ofSeconds(30))).as("promotion stops on SIGTERM").isTrue();
        assertThat(promoter.log()).contains("stopped in");
      }

      assertThat(strata.stop(Duration.ofSeconds(60))).as("server stops on SIGTERM").isTrue();
      assertThat(strata.log()).contains("stopped in").doesNotContain("Exception");
    }
  }

  /** docker/compose.yaml's health check of the server, on the port the test chose ($$ is compose's escaped $). */
  private static List<String> composeHealthCheck(int port) throws IOException {
    JsonNode test = new ObjectMapper(new YAMLFactory()).readTree(Path.of("compose.yaml").toFile())
        .at("/services/strata/healthcheck/test");
    List<String> command = new ArrayList<>();
    test.forEach(word -> command.add(word.asText().replace("$$", "$").replace("/8000", "/" + port)));
    assertThat(command.remove(0)).isEqualTo("CMD");
    return command;
  }

  private HttpResponse<String> send(String method, String url, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + TOKEN)
        .timeout(Duration.ofSeconds(30));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void awaitStatus(Container container, String url, int status, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!container.running()) {
        throw new AssertionError("the container stopped:\n" + container.log());
      }
      try {
        if (send("GET", url, null).statusCode() == status) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError(url + " never answered " + status + ":\n" + container.log());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
