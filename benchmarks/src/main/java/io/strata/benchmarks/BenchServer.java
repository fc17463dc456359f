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
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

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

  /** The server's process id (its CPU time is read from /proc). */
  long pid() {
    return server.pid();
  }

  /** The directory the run keeps its files in (logs). */
  Path dir() {
    return dir;
  }

  /** A JDBC connection to the server's database, open until the server is closed. */
  Connection db() {
    return db;
  }

  /** Runs {@code sql} on the server's database. */
  void exec(String sql) throws Exception {
    try (Statement st = db.createStatement()) {
      st.execute(sql);
    }
  }

  /**
   * A table {@code (id int primary key, v int not null, pad text)} of {@code rows} rows, analyzed, tracked
   * under its own name (its views on branches are strata_<branch>.<table>) in a new repository.
   */
  void trackedTable(String repository, String table, int rows) throws Exception {
    exec("create table public." + table + " (id int primary key, v int not null, pad text)");
    exec("insert into public." + table + " select g, g, md5(g::text) from generate_series(1, " + rows + ") g");
    exec("vacuum analyze public." + table);
    send("POST", "/api/v1/repositories", "{\"name\":\"" + repository + "\"}", 201);
    send("POST", "/api/v1/repositories/" + repository + "/tables", "{\"name\":\"" + table
        + "\",\"location\":\"postgresql://local/public." + table + "\"}", 201);
  }

  /** What {@link #bulkBranch} made: the rows the branch changed, and how long its UPDATE through the branch's view took. */
  record Bulk(int rows, double updateMs) {}

  /** {@link #bulkBranch(String, String, int, String)} on a branch named {@code bulk}; answers the rows it changed. */
  int bulkBranch(String repository, String table, int rows) throws Exception {
    return bulkBranch(repository, table, rows, "bulk").rows();
  }

  /**
   * A new branch {@code branch} of the repository that changed 100 000 rows of {@code table} (every row
   * of a smaller one) through its view, committed, and main moved on too, so that merging it is a real
   * merge, not a fast-forward.
   */
  Bulk bulkBranch(String repository, String table, int rows, String branch) throws Exception {
    String api = "/api/v1/repositories/" + repository;
    send("POST", api + "/branches", "{\"name\":\"" + branch + "\"}", 201);
    int every = Math.max(1, rows / 100_000);
    long t0 = System.nanoTime();
    exec("update strata_" + branch + "." + table + " set v = -v where id % " + every + " = 0");
    double updateMs = (System.nanoTime() - t0) / 1e6;
    send("POST", api + "/branches/" + branch + "/commits", "{\"message\":\"100k\",\"all\":true}", 201);
    exec("update public." + table + " set pad = '" + branch + "' where id = 1");
    send("POST", api + "/branches/main/commits", "{\"message\":\"main moves\",\"all\":true}", 201);
    return new Bulk(rows / every, updateMs);
  }

  /**
   * Registers the server's own database as storage {@code storage} of {@code repository}: its tables are
   * in the same PostgreSQL, but a command's data work on them runs under the cross-storage protocol
   * (an intent, the storage's own transaction, recovery sidecars), as in any other database.
   */
  void sameDatabaseAsStorage(String repository, String storage) throws Exception {
    send("POST", "/api/v1/repositories/" + repository + "/storage", "{\"name\":\"" + storage
        + "\",\"host\":\"" + postgres.host() + "\",\"port\":" + postgres.port() + ",\"database\":\""
        + LocalPostgres.DATABASE + "\",\"username\":\"" + LocalPostgres.USER + "\"}", 201);
  }

  /** A table like {@link #trackedTable}'s, in an existing repository, tracked in {@code storage}. */
  void trackedTableIn(String repository, String storage, String table, int rows) throws Exception {
    exec("create table public." + table + " (id int primary key, v int not null, pad text)");
    exec("insert into public." + table + " select g, g, md5(g::text) from generate_series(1, " + rows + ") g");
    exec("vacuum analyze public." + table);
    send("POST", "/api/v1/repositories/" + repository + "/tables", "{\"name\":\"" + table
        + "\",\"location\":\"postgresql://" + storage + "/public." + table + "\"}", 201);
  }

  /** The URI of {@code path} (from the server's base URL). */
  URI uri(String path) {
    return URI.create(base + path);
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
