package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A merge that promotes columns added on a branch to two tables, interrupted like kill -9: inside the
 * ALTER TABLE's transaction (failpoint {@code promotion.altered}: both tables keep their old shape) or
 * after it committed (failpoint {@code promotion.committed}: both have the new one, which the server
 * records when it starts again) — never one table altered and the other not. Either way main is at its old
 * head with its old rows, the projections equal a rebuild from the log, and the same merge then completes:
 * the rows the branch wrote carry its values, the others the column's default.
 */
class PromotionKillNineIT {
  private static final List<String> TABLES = List.of("items", "orders");

  @ParameterizedTest
  @ValueSource(strings = {"promotion.altered", "promotion.committed"})
  void aPromotionInterruptedLeavesEveryTableInOneShape(String failpoint, @TempDir Path dataDir) throws Exception {
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dataDir.toString());
    String before;
    Map<String, List<String>> rowsBefore = new HashMap<>();
    try (PackagedServer server = new PackagedServer(dataDir, withFailpoint(env, failpoint))) {
      server.start();
      server.send("POST", "/api/v1/repositories", "{\"name\":\"shop\"}", 201);
      for (String t : TABLES) {
        try (Connection db = PackagedServer.database(dataDir)) {
          db.createStatement().execute("create table public." + t + " (id int primary key, n int not null)");
          db.createStatement().execute("insert into public." + t + " select g, g from generate_series(1, 100) g");
        }
        server.send("POST", "/api/v1/repositories/shop/tables",
            "{\"name\":\"" + t + "\",\"location\":\"postgresql://local/public." + t + "\"}", 201);
      }
      server.send("POST", "/api/v1/repositories/shop/branches", "{\"name\":\"dev\"}", 201);
      for (String t : TABLES) {
        server.send("POST", "/api/v1/repositories/shop/branches/dev/tables/" + t + "/schema",
            "{\"operations\":[{\"op\":\"add_column\",\"name\":\"region\",\"type\":\"text\",\"nullable\":false,"
                + "\"default\":\"eu\"}]}", 200);
        try (Connection db = PackagedServer.database(dataDir)) {
          db.createStatement().execute("update strata_dev." + t + " set region = 'us', n = -n where id <= 10");
        }
      }
      server.send("POST", "/api/v1/repositories/shop/branches/dev/commits", "{\"message\":\"by region\",\"all\":true}",
          201);
      before = server.send("GET", "/api/v1/repositories/shop/branches/main", null, 200).get("head").asText();
      for (String t : TABLES) {
        rowsBefore.put(t, rows(dataDir, t, "n"));
      }
      server.postHalting("/api/v1/repositories/shop/branches/main/merge", "{\"source\":\"dev\"}");
    }

    boolean committed = failpoint.equals("promotion.committed");
    for (String t : TABLES) {
      assertThat(columns(dataDir, t)).as("table %s after a crash at %s", t, failpoint)
          .isEqualTo(committed ? List.of("id", "n", "region") : List.of("id", "n"));
    }
    try (PackagedServer server = new PackagedServer(dataDir, env)) {
      server.start();
      assertThat(server.send("GET", "/api/v1/repositories/shop/branches/main", null, 200).get("head").asText())
          .as("main is at its old head").isEqualTo(before);
      for (String t : TABLES) {
        assertThat(rows(dataDir, t, "n")).as("with its old rows").isEqualTo(rowsBefore.get(t));
        JsonNode shape = server.send("GET", "/api/v1/repositories/shop/tables/" + t + "/schema", null, 200);
        assertThat(shape.toString()).as("the shape recorded for main").matches(committed
            ? "(?s).*\"name\":\"region\".*" : "(?s)((?!\"name\":\"region\").)*");
      }
      JsonNode live = server.send("GET", "/api/v1/admin/projections/digest", null, 200);
      server.send("POST", "/api/v1/admin/projections/rebuild", "", 200);
      assertThat(server.send("GET", "/api/v1/admin/projections/digest", null, 200)).isEqualTo(live);

      server.send("POST", "/api/v1/repositories/shop/branches/main/merge", "{\"source\":\"dev\"}", 200);
      for (String t : TABLES) {
        List<String> after = rows(dataDir, t, "n || ':' || region");
        assertThat(after).hasSize(100).contains("1:-1:us", "10:-10:us", "11:11:eu", "100:100:eu");
        assertThat(server.send("GET", "/api/v1/repositories/shop/tables/" + t + "/rows/5?ref=main", null, 200)
            .get("region").asText()).isEqualTo("us");
      }
    }
  }

  private static Map<String, String> withFailpoint(Map<String, String> env, String failpoint) {
    Map<String, String> armed = new HashMap<>(env);
    armed.put("STRATA_FAILPOINTS", failpoint + "=halt");
    return armed;
  }

  private static List<String> columns(Path dataDir, String table) throws Exception {
    return strings(dataDir, "select column_name from information_schema.columns where table_schema = 'public'"
        + " and table_name = '" + table + "' order by ordinal_position");
  }

  private static List<String> rows(Path dataDir, String table, String values) throws Exception {
    return strings(dataDir, "select id || ':' || " + values + " from public." + table + " order by id");
  }

  private static List<String> strings(Path dataDir, String query) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection db = PackagedServer.database(dataDir); ResultSet r = db.createStatement().executeQuery(query)) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    }
    return out;
  }
}
