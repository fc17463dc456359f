package io.strata.benchmarks;

import io.strata.projections.postgres.LocalPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;

/**
 * A packaged Strata server on a private PostgreSQL (fsync on, as a user gets it) that the benchmark also
 * reaches over JDBC, to fill tables and write to them as an application would. Closing it stops the
 * server, the database and removes the data directory.
 */
final class BenchServer implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final Path dir;
  private final LocalPostgres postgres;
  private final Process server;
  private final Connection db;
  /** The server's base URL, e.g. {@code http://127.0.0.1:41234}. */
  final String base;

  private BenchServer(Path dir, LocalPostgres postgres, Process server, Connection db, String base) {
    this.dir = dir;
    this.postgres = postgres;
    this.server = server;
    this.db = db;
    this.base = base;
  }

  /** Starts PostgreSQL, then the server jar on it, and waits until the server is ready. */
  static BenchServer start(String jar, String name) throws Exception {
    Path dir = Files.createTempDirectory("strata-" + name + "-");
    LocalPostgres pg = LocalPostgres.start(dir.resolve("pg"), true);
    int port;
    try (var s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
    pb.environment().put("STRATA_DATABASE_URL", pg.url());
    pb.environment().put("STRATA_PORT", String.valueOf(port));
    pb.environment().put("STRATA_HOST", "127.0.0.1");
    Process server = pb.start();
    Connection db = DriverManager.getConnection(pg.jdbcUrl(), LocalPostgres.USER, "");
    BenchServer started = new BenchServer(dir, pg, server, db, "http://127.0.0.1:" + port);
    started.waitReady();
    return started;
  }

  /** Runs {@code sql} on the server's database. */
  void exec(String sql) throws Exception {
    try (Statement st = db.createStatement()) {
      st.execute(sql);
    }
  }

  /** Sends a JSON request to the server; fails unless it answers {@code expected}. */
  String send(String method, String path, String body, int expected) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(10))
        .header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  private void waitReady() throws Exception {
    for (int i = 0; i < 600; i++) {
      try {
        if (HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      if (!server.isAlive()) {
        throw new IllegalStateException("the server stopped; see " + dir.resolve("server.log"));
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("server not ready; see " + dir.resolve("server.log"));
  }

  @Override
  public void close() throws Exception {
    try {
      db.close();
      server.destroy();
      server.waitFor();
      postgres.close();
    } finally {
      LocalPostgres.deleteTree(dir);
    }
  }
}
