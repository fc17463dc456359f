package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
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
 * A reset of the default branch interrupted like kill -9 (the failpoint {@code reset.applied} halts the
 * process after the table was rewritten, before the reset's event is appended), hard and soft: started
 * again on the same data directory, main is at its old head with its old rows and working changes, the
 * projections equal a rebuild from the log, and the same reset then succeeds.
 */
class ResetKillNineIT {

  @ParameterizedTest
  @ValueSource(strings = {"hard", "soft"})
  void aResetInterruptedLeavesMainAtItsOldHead(String mode, @TempDir Path dataDir) throws Exception {
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dataDir.toString());
    String before;
    List<String> rowsBefore;
    JsonNode statusBefore;
    try (PackagedServer server = new PackagedServer(dataDir, withFailpoint(env))) {
      server.start();
      try (Connection db = database(dataDir)) {
        db.createStatement().execute("create table public.items (id int primary key, n int not null)");
        db.createStatement().execute("insert into public.items select g, g from generate_series(1, 100) g");
      }
      server.send("POST", "/api/v1/repositories", "{\"name\":\"shop\"}", 201);
      server.send("POST", "/api/v1/repositories/shop/tables",
          "{\"name\":\"items\",\"location\":\"postgresql://local/public.items\"}", 201);
      try (Connection db = database(dataDir)) {
        db.createStatement().execute("update public.items set n = -n where id <= 40");
        db.createStatement().execute("delete from public.items where id > 90");
      }
      server.send("POST", "/api/v1/repositories/shop/branches/main/commits", "{\"message\":\"c2\",\"all\":true}", 201);
      try (Connection db = database(dataDir)) {
        db.createStatement().execute("update public.items set n = 0 where id = 50"); // a working change
      }
      before = server.send("GET", "/api/v1/repositories/shop/branches/main", null, 200).get("head").asText();
      rowsBefore = rows(dataDir);
      statusBefore = server.send("GET", "/api/v1/repositories/shop/branches/main/status", null, 200).get("tables");
      try {
        HttpResponse<String> r = PackagedServer.HTTP.send(HttpRequest.newBuilder(
                URI.create(server.base() + "/api/v1/repositories/shop/branches/main/reset"))
            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString("{\"to\":\"main~1\",\"mode\":\"" + mode + "\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        throw new AssertionError("the failpoint did not halt the server: " + r.statusCode() + " " + r.body());
      } catch (java.io.IOException halted) {
        // the server died at the failpoint, before answering
      }
      assertThat(server.process().waitFor()).isEqualTo(137);
    }

    try (PackagedServer server = new PackagedServer(dataDir, env)) {
      server.start();
      assertThat(server.send("GET", "/api/v1/repositories/shop/branches/main", null, 200).get("head").asText())
          .as("main is at its old head").isEqualTo(before);
      assertThat(rows(dataDir)).as("with its old rows").isEqualTo(rowsBefore);
      assertThat(server.send("GET", "/api/v1/repositories/shop/branches/main/status", null, 200).get("tables"))
          .as("and its working changes").isEqualTo(statusBefore);
      JsonNode live = server.send("GET", "/api/v1/admin/projections/digest", null, 200);
      server.send("POST", "/api/v1/admin/projections/rebuild", "", 200);
      assertThat(server.send("GET", "/api/v1/admin/projections/digest", null, 200)).isEqualTo(live);

      server.send("POST", "/api/v1/repositories/shop/branches/main/reset",
          "{\"to\":\"main~1\",\"mode\":\"" + mode + "\"}", 200);
      List<String> after = rows(dataDir);
      if (mode.equals("hard")) {
        assertThat(after).hasSize(100).contains("1:1", "50:50", "95:95");
      } else {
        assertThat(after).isEqualTo(rowsBefore);
      }
    }
  }

  private static Map<String, String> withFailpoint(Map<String, String> env) {
    Map<String, String> armed = new HashMap<>(env);
    armed.put("STRATA_FAILPOINTS", "reset.applied=halt");
    return armed;
  }

  private static Connection database(Path dataDir) throws Exception {
    return PackagedServer.database(dataDir);
  }

  private static List<String> rows(Path dataDir) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection db = database(dataDir);
        ResultSet r = db.createStatement().executeQuery("select id || ':' || n from public.items order by id")) {
      while (r.next()) {
        rows.add(r.getString(1));
      }
    }
    return rows;
  }
}
