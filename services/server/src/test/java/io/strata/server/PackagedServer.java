package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The packaged server ({@code quarkus-run.jar}) as a child process, for integration tests. */
final class PackagedServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private int port;
  final Path workDir;
  private final Map<String, String> env;
  private Process process;
  private Path logFile;

  PackagedServer(Path workDir, Map<String, String> env) throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      this.port = s.getLocalPort();
    }
    this.workDir = workDir;
    this.env = env;
  }

  String base() {
    return "http://localhost:" + port;
  }

  Process process() {
    return process;
  }

  /**
   * Starts the server and waits until /ready answers 200. The HTTP port was free when chosen; if
   * something took it meanwhile (the server's own private PostgreSQL picks a free port too), another
   * one is chosen and the server started again.
   */
  void start() throws Exception {
    launch();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    int relaunches = 0;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive() && relaunches < 3 && Files.readString(logFile).contains("seems to be in use")) {
        relaunches++;
        try (ServerSocket s = new ServerSocket(0)) {
          this.port = s.getLocalPort();
        }
        launch();
        continue;
      }
      assertThat(process.isAlive()).as("server died: %s", Files.readString(logFile)).isTrue();
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("server not ready in time: " + Files.readString(logFile));
  }

  /** Starts the server's process without waiting for it (its output goes to {@link #log()}). */
  Process launch() throws IOException {
    String jar = Path.of(System.getProperty("strata.server.jar", "target/quarkus-app/quarkus-run.jar"))
        .toAbsolutePath().toString();
    logFile = Files.createTempFile(workDir, "server-", ".log"); // goes with the work directory
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-Djava.io.tmpdir=" + workDir, "-jar", jar)
        .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(logFile.toFile());
    pb.environment().remove("STRATA_DATABASE_URL");
    pb.environment().put("STRATA_PORT", String.valueOf(port));
    pb.environment().put("STRATA_HOST", "127.0.0.1");
    pb.environment().putAll(env);
    process = pb.start();
    return process;
  }

  /** The embedded database of a server run on {@code dataDir}, as its superuser (database.url has the password). */
  static java.sql.Connection database(Path dataDir) throws Exception {
    URI pg = URI.create(Files.readString(dataDir.resolve("database.url")).strip());
    return java.sql.DriverManager.getConnection("jdbc:postgresql://" + pg.getHost() + ":" + pg.getPort() + pg.getPath(),
        "postgres", password(pg));
  }

  /** The password in a database.url. */
  static String password(URI databaseUrl) {
    String userInfo = databaseUrl.getUserInfo();
    return userInfo == null || !userInfo.contains(":") ? "" : userInfo.substring(userInfo.indexOf(':') + 1);
  }

  String log() throws IOException {
    return Files.readString(logFile);
  }

  /** SIGTERM and wait: a clean stop. */
  int stop() throws InterruptedException {
    process.destroy();
    return process.waitFor();
  }

  /** SIGKILL: no shutdown hook runs. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      stop();
    }
  }

  /**
   * POSTs {@code body} to {@code path}, armed to halt the server (a failpoint set to halt): the server must die before
   * answering, with the exit status of a kill -9 (137).
   */
  void postHalting(String path, String body) throws Exception {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + path))
          .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      throw new AssertionError("the failpoint did not halt the server: " + r.statusCode() + " " + r.body());
    } catch (IOException halted) {
      // the server died at the failpoint, before answering
    }
    assertThat(process.waitFor()).isEqualTo(137);
  }

  JsonNode send(String method, String path, String body, int expected) throws Exception {
    return send(method, path, body, expected, null);
  }

  /** A request with {@code Authorization: Bearer <token>} (none when null). */
  JsonNode send(String method, String path, String body, int expected, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s %s -> %s", method, path, r.body()).isEqualTo(expected);
    return r.body().isEmpty() ? null : JSON.readTree(r.body());
  }
}
