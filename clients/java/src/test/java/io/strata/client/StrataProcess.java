package io.strata.client;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The packaged server ({@code services/server/target/quarkus-app/quarkus-run.jar}, built before this
 * module) started as a user starts it, in a directory of its own, with a private PostgreSQL there.
 */
public final class StrataProcess implements AutoCloseable {
  public final Path workDir;
  public final int port;
  private final Process process;
  private final Path log;

  private StrataProcess(Path workDir, int port, Process process, Path log) {
    this.workDir = workDir;
    this.port = port;
    this.process = process;
    this.log = log;
  }

  public static StrataProcess start(Path workDir, Map<String, String> env) throws Exception {
    String jar = System.getProperty("strata.server.jar",
        "../../services/server/target/quarkus-app/quarkus-run.jar");
    if (!Files.exists(Path.of(jar))) {
      throw new IllegalStateException("the packaged server is missing (" + jar + "): build services/server first");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = workDir.resolve("server.log");
    ProcessBuilder builder = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx512m", "-jar", Path.of(jar).toAbsolutePath().toString()))
        .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("STRATA_PORT", String.valueOf(port));
    builder.environment().putAll(env);
    StrataProcess server = new StrataProcess(workDir, port, builder.start(), log);
    server.awaitReady();
    return server;
  }

  public String baseUri() {
    return "http://127.0.0.1:" + port;
  }

  private void awaitReady() throws Exception {
    ApiClient client = new ApiClient();
    client.updateBaseUri(baseUri());
    client.setConnectTimeout(Duration.ofSeconds(2));
    io.strata.client.api.ServiceApi service = new io.strata.client.api.ServiceApi(client);
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the server stopped: " + Files.readString(log));
      }
      try {
        // ready, and this server (its data directory made): not another one that took the port first
        if (Boolean.TRUE.equals(service.getReadiness().getReady()) && Files.exists(workDir.resolve(".strata/database.url"))) {
          return;
        }
      } catch (ApiException e) {
        // not listening yet, or not ready (503)
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the server was not ready in time: " + Files.readString(log));
  }

  /** A JDBC connection to the server's private PostgreSQL, from the URL it writes to .strata/database.url. */
  public Connection sql() throws IOException, java.sql.SQLException {
    URI url = URI.create(Files.readString(workDir.resolve(".strata/database.url")).trim());
    Properties credentials = new Properties();
    String[] user = url.getUserInfo() == null ? new String[0] : url.getUserInfo().split(":", 2);
    if (user.length > 0) {
      credentials.setProperty("user", user[0]);
    }
    if (user.length > 1) {
      credentials.setProperty("password", java.net.URLDecoder.decode(user[1], java.nio.charset.StandardCharsets.UTF_8));
    }
    return DriverManager.getConnection("jdbc:postgresql://" + url.getHost() + ":" + url.getPort() + url.getPath(),
        credentials);
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
