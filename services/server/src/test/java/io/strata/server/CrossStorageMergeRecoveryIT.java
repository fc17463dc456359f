package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.projections.postgres.LocalPostgres;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash recovery of merges over two databases, on the packaged server: a named failpoint halts the
 * process (like kill -9) in the middle of a merge of {@code dev} into {@code main} that writes a table
 * in a registered storage (the warehouse, another PostgreSQL server) and one in the server's own, or of
 * the abort of such a merge. Started again on the same data directory, {@code main} is at its old head
 * with its old rows in both databases, or at the merge commit with the merged rows in both — never
 * between — and a merge undone by recovery says so in the log.
 */
class CrossStorageMergeRecoveryIT {

  /**
   * {@code merge.applied}: rows written in both databases, none committed; {@code merge.storage-applied}:
   * the warehouse's committed, the event not appended; {@code merge.appended}: the event appended, the
   * recovery sidecars not yet dropped.
   */
  @ParameterizedTest
  @ValueSource(strings = {"merge.applied", "merge.storage-applied", "merge.appended"})
  void aCrashInTheMiddleOfAMergeOverTwoDatabasesLeavesMainWhole(String failpoint, @TempDir Path dataDir)
      throws Exception {
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dataDir.toString(), "STRATA_SECRETS_DIRS", dataDir.toString());
    try (LocalPostgres other = LocalPostgres.start(dataDir.resolve("warehouse"), true)) {
      String before;
      List<String> rowsBefore;
      try (PackagedServer server = new PackagedServer(dataDir, withFailpoint(env, failpoint))) {
        server.start();
        setUp(server, dataDir, other);
        before = head(server);
        rowsBefore = rows(dataDir, other);
        halt(server, "/api/v1/repositories/shop/branches/main/merge", "{\"source\":\"dev\"}");
      }

      try (PackagedServer server = new PackagedServer(dataDir, env)) {
        server.start(); // the recovery sweep runs before the server takes requests
        JsonNode status = server.send("GET", "/api/v1/repositories/shop/branches/main/status", null, 200);
        assertThat(status.get("clean").asBoolean()).as("no merged row is left as a working change").isTrue();
        assertThat(status.get("merge_in_progress").asBoolean()).isFalse();
        assertThat(count(other.jdbcUrl(), "select count(*) from strata.merge_sidecars")).as("sidecars dropped").isZero();
        if (failpoint.equals("merge.appended")) {
          String head = head(server);
          assertThat(head).isNotEqualTo(before);
          assertThat(server.send("GET", "/api/v1/repositories/shop/commits/" + head, null, 200).get("parents").size())
              .isEqualTo(2);
          assertThat(rows(dataDir, other)).containsExactlyElementsOf(merged());
        } else {
          assertThat(head(server)).as("main is at its old head").isEqualTo(before);
          assertThat(rows(dataDir, other)).as("with its old rows in both databases").isEqualTo(rowsBefore);
          assertThat(count(database(dataDir), "select count(*) from strata_meta.events"
              + " where type = 'io.strata.merge.rolled_back.v1'")).as("the undo is recorded").isEqualTo(1);
          JsonNode merge = server.send("POST", "/api/v1/repositories/shop/branches/main/merge",
              "{\"source\":\"dev\"}", 200);
          assertThat(merge.get("commit").asText()).isNotEmpty();
          assertThat(rows(dataDir, other)).containsExactlyElementsOf(merged());
        }
        JsonNode live = server.send("GET", "/api/v1/admin/projections/digest", null, 200);
        server.send("POST", "/api/v1/admin/projections/rebuild", "", 200);
        assertThat(server.send("GET", "/api/v1/admin/projections/digest", null, 200)).isEqualTo(live);
      }
    }
  }

  /**
   * The abort's event is appended and the server halts before the warehouse's rows are put back
   * ({@code merge.abort-appended}: before the sweep that follows the command): recovery puts them back.
   */
  @ParameterizedTest
  @ValueSource(strings = {"merge.abort-appended"})
  void aCrashInTheMiddleOfAnAbortIsCompletedByRecovery(String failpoint, @TempDir Path dataDir) throws Exception {
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dataDir.toString(), "STRATA_SECRETS_DIRS", dataDir.toString());
    try (LocalPostgres other = LocalPostgres.start(dataDir.resolve("warehouse"), true)) {
      String before;
      List<String> rowsBefore;
      try (PackagedServer server = new PackagedServer(dataDir, withFailpoint(env, failpoint))) {
        server.start();
        setUp(server, dataDir, other);
        try (Connection wh = DriverManager.getConnection(other.jdbcUrl(), LocalPostgres.USER, "")) {
          wh.createStatement().execute("update public.orders set total = 0 where id = 2"); // a conflict with dev
        }
        server.send("POST", "/api/v1/repositories/shop/branches/main/commits", "{\"message\":\"m\",\"all\":true}", 201);
        before = head(server);
        rowsBefore = rows(dataDir, other);
        server.send("POST", "/api/v1/repositories/shop/branches/main/merge", "{\"source\":\"dev\"}", 409);
        assertThat(rows(dataDir, other)).isNotEqualTo(rowsBefore);
        halt(server, "/api/v1/repositories/shop/branches/main/merge/abort", "{}");
      }
      try (PackagedServer server = new PackagedServer(dataDir, env)) {
        server.start();
        assertThat(head(server)).isEqualTo(before);
        JsonNode status = server.send("GET", "/api/v1/repositories/shop/branches/main/status", null, 200);
        assertThat(status.get("merge_in_progress").asBoolean()).isFalse();
        assertThat(status.get("clean").asBoolean()).isTrue();
        assertThat(rows(dataDir, other)).isEqualTo(rowsBefore);
      }
    }
  }

  /**
   * A hard reset of main over both databases (back from the merge of dev), halted before the storage
   * commits ({@code reset.applied}), after it ({@code reset.storage-applied}), or after the append
   * ({@code reset.appended}): main is at the merge with its rows, or at the reset with its rows.
   */
  @ParameterizedTest
  @ValueSource(strings = {"reset.applied", "reset.storage-applied", "reset.appended"})
  void aCrashInTheMiddleOfAResetOverTwoDatabasesLeavesMainWhole(String failpoint, @TempDir Path dataDir)
      throws Exception {
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dataDir.toString(), "STRATA_SECRETS_DIRS", dataDir.toString());
    try (LocalPostgres other = LocalPostgres.start(dataDir.resolve("warehouse"), true)) {
      String mergedHead;
      String resetTo;
      List<String> beforeMerge;
      try (PackagedServer server = new PackagedServer(dataDir, withFailpoint(env, failpoint))) {
        server.start();
        setUp(server, dataDir, other);
        beforeMerge = rows(dataDir, other);
        resetTo = head(server);
        server.send("POST", "/api/v1/repositories/shop/branches/main/merge", "{\"source\":\"dev\"}", 200);
        mergedHead = head(server);
        halt(server, "/api/v1/repositories/shop/branches/main/reset", "{\"to\":\"" + resetTo + "\",\"mode\":\"hard\"}");
      }
      try (PackagedServer server = new PackagedServer(dataDir, env)) {
        server.start();
        JsonNode status = server.send("GET", "/api/v1/repositories/shop/branches/main/status", null, 200);
        assertThat(status.get("clean").asBoolean()).isTrue();
        assertThat(count(other.jdbcUrl(), "select count(*) from strata.merge_sidecars")).isZero();
        if (failpoint.equals("reset.appended")) {
          assertThat(head(server)).isEqualTo(resetTo);
          assertThat(rows(dataDir, other)).isEqualTo(beforeMerge);
        } else {
          assertThat(head(server)).isEqualTo(mergedHead);
          assertThat(rows(dataDir, other)).containsExactlyElementsOf(merged());
          server.send("POST", "/api/v1/repositories/shop/branches/main/reset",
              "{\"to\":\"" + resetTo + "\",\"mode\":\"hard\"}", 200);
          assertThat(rows(dataDir, other)).isEqualTo(beforeMerge);
        }
        JsonNode live = server.send("GET", "/api/v1/admin/projections/digest", null, 200);
        server.send("POST", "/api/v1/admin/projections/rebuild", "", 200);
        assertThat(server.send("GET", "/api/v1/admin/projections/digest", null, 200)).isEqualTo(live);
      }
    }
  }

  /** orders (200 rows) in the warehouse, items (20) here; dev changes both, main changes orders elsewhere. */
  private static void setUp(PackagedServer server, Path dataDir, LocalPostgres other) throws Exception {
    try (Connection db = database(dataDir)) {
      db.createStatement().execute("create table public.items (id int primary key, name text not null)");
      db.createStatement().execute("insert into public.items select g, 'i' || g from generate_series(1, 20) g");
    }
    try (Connection wh = DriverManager.getConnection(other.jdbcUrl(), LocalPostgres.USER, "")) {
      wh.createStatement().execute("create table public.orders (id int primary key, total numeric(10,2) not null)");
      wh.createStatement().execute("insert into public.orders select g, g from generate_series(1, 200) g");
    }
    Path password = Files.createTempFile(dataDir, "pw", ".txt");
    server.send("POST", "/api/v1/repositories", "{\"name\":\"shop\"}", 201);
    server.send("POST", "/api/v1/repositories/shop/storage", "{\"name\":\"warehouse\",\"host\":\"" + other.host()
        + "\",\"port\":" + other.port() + ",\"database\":\"postgres\",\"username\":\"postgres\",\"password_file\":\""
        + password + "\"}", 201);
    server.send("POST", "/api/v1/repositories/shop/tables",
        "{\"name\":\"orders\",\"location\":\"postgresql://warehouse/public.orders\"}", 201);
    server.send("POST", "/api/v1/repositories/shop/tables",
        "{\"name\":\"items\",\"location\":\"postgresql://local/public.items\"}", 201);
    server.send("POST", "/api/v1/repositories/shop/branches", "{\"name\":\"dev\"}", 201);
    try (Connection wh = DriverManager.getConnection(other.jdbcUrl(), LocalPostgres.USER, "")) {
      wh.createStatement().execute("update strata_dev.orders set total = total * 2 where id <= 50");
      wh.createStatement().execute("delete from strata_dev.orders where id > 190");
      wh.createStatement().execute("update public.orders set total = -1 where id = 100");
    }
    try (Connection db = database(dataDir)) {
      db.createStatement().execute("update strata_dev.items set name = 'dev' where id <= 5");
    }
    server.send("POST", "/api/v1/repositories/shop/branches/dev/commits", "{\"message\":\"dev\",\"all\":true}", 201);
    server.send("POST", "/api/v1/repositories/shop/branches/main/commits", "{\"message\":\"main\",\"all\":true}", 201);
  }

  /** The rows main has after the merge: some orders and items, as "table:id:value". */
  private static List<String> merged() {
    return List.of("orders:1:2.00", "orders:50:100.00", "orders:51:51.00", "orders:100:-1.00", "orders:count:190",
        "items:1:dev", "items:6:i6");
  }

  private static List<String> rows(Path dataDir, LocalPostgres other) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection wh = DriverManager.getConnection(other.jdbcUrl(), LocalPostgres.USER, "");
        ResultSet r = wh.createStatement().executeQuery("select x from (select 1 as o, id, 'orders:' || id || ':'"
            + " || total as x from public.orders where id in (1, 50, 51, 100) union all select 2, 0, 'orders:count:'"
            + " || count(*) from public.orders) t order by o, id")) {
      while (r.next()) {
        rows.add(r.getString(1));
      }
    }
    try (Connection db = database(dataDir);
        ResultSet r = db.createStatement().executeQuery("select 'items:' || id || ':' || name from public.items"
            + " where id in (1, 6) order by id")) {
      while (r.next()) {
        rows.add(r.getString(1));
      }
    }
    return rows;
  }

  private static void halt(PackagedServer server, String path, String body) throws Exception {
    try {
      HttpResponse<String> r = PackagedServer.HTTP.send(HttpRequest.newBuilder(URI.create(server.base() + path))
          .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      throw new AssertionError("the failpoint did not halt the server: " + r.statusCode() + " " + r.body());
    } catch (java.io.IOException halted) {
      // the server died at the failpoint, before answering
    }
    assertThat(server.process().waitFor()).isEqualTo(137);
  }

  private static String head(PackagedServer server) throws Exception {
    return server.send("GET", "/api/v1/repositories/shop/branches/main", null, 200).get("head").asText();
  }

  private static long count(String jdbc, String query) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbc, LocalPostgres.USER, "")) {
      return count(c, query);
    }
  }

  private static long count(Connection c, String query) throws Exception {
    try (c; ResultSet r = c.createStatement().executeQuery(query)) {
      r.next();
      return r.getLong(1);
    }
  }

  private static Map<String, String> withFailpoint(Map<String, String> env, String failpoint) {
    Map<String, String> armed = new HashMap<>(env);
    armed.put("STRATA_FAILPOINTS", failpoint + "=halt");
    return armed;
  }

  private static Connection database(Path dataDir) throws Exception {
    return PackagedServer.database(dataDir);
  }
}
