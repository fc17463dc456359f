package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.projections.postgres.LocalPostgres;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data directory of embedded mode: one live server at a time, and a private PostgreSQL that keeps
 * its port and asks every connection for its password.
 *
 * <p>The attack of the first test: start a second server on a running server's data directory. It
 * used to stop the first one's PostgreSQL as "left running by an earlier process" (the first then
 * answered 503); now it refuses to start, naming the owner, and the first goes on answering.
 */
class DataDirectoryIT {
  @TempDir Path dir;

  @Test
  void aSecondServerOnTheSameDataDirectoryRefusesAndTheFirstKeepsAnswering() throws Exception {
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dir.resolve("data").toString());
    Files.createDirectories(dir.resolve("one"));
    Files.createDirectories(dir.resolve("two"));
    try (PackagedServer first = new PackagedServer(dir.resolve("one"), env);
        PackagedServer second = new PackagedServer(dir.resolve("two"), env)) {
      first.start();
      first.send("POST", "/api/v1/repositories", "{\"name\":\"kept\"}", 201);

      Process intruder = second.launch();
      assertThat(intruder.waitFor(60, TimeUnit.SECONDS)).as("the second server exits").isTrue();
      String out = second.log();
      assertThat(intruder.exitValue()).as(out).isNotZero();
      assertThat(out).contains("in use by another Strata server").contains("pid " + first.process().pid());

      first.send("GET", "/ready", null, 200);
      first.send("GET", "/api/v1/repositories/kept", null, 200);
      first.send("POST", "/api/v1/repositories/kept/branches", "{\"name\":\"after\"}", 201);
    }
  }

  @Test
  void theDatabaseKeepsItsPortAcrossRestartsAndAsksEveryConnectionForItsPassword() throws Exception {
    Path data = dir.resolve("data");
    Files.createDirectories(dir.resolve("work"));
    Map<String, String> env = Map.of("STRATA_DATA_DIR", data.toString());
    int port;
    try (PackagedServer server = new PackagedServer(dir.resolve("work"), env)) {
      server.start();
      port = Integer.parseInt(Files.readString(data.resolve("database.port")).strip());
      URI url = URI.create(Files.readString(data.resolve("database.url")).strip());
      String password = PackagedServer.password(url);
      assertThat(password).hasSizeGreaterThanOrEqualTo(40);
      assertThat(url.getHost()).isEqualTo("127.0.0.1");
      assertThat(url.getPort()).isEqualTo(port);
      assertThat(Files.readString(data.resolve("database.pgpass")).strip())
          .isEqualTo("127.0.0.1:" + port + ":*:postgres:" + password);

      // owner-only: the directory, and every file holding or locating the password
      assertThat(mode(data)).isEqualTo("rwx------");
      for (String file : new String[] {"database.pgpass", "database.url", "database.port"}) {
        assertThat(mode(data.resolve(file))).as(file).isEqualTo("rw-------");
      }
      assertThat(mode(data.resolve("postgres"))).isEqualTo("rwx------");

      // the start-up log gives a paste-ready psql line that names the passfile, never the password
      String passfileUrl = "postgresql://postgres@127.0.0.1:" + port + "/postgres?passfile=" + data.resolve("database.pgpass");
      assertThat(server.log()).contains("psql \"" + passfileUrl + "\"").doesNotContain(password);
      JsonNode address = server.send("GET", "/api/v1/admin/database", null, 200);
      assertThat(address.get("url").asText()).isEqualTo(passfileUrl);
      assertThat(address.get("embedded").asBoolean()).isTrue();

      // no password, a wrong one, or a trusted Unix socket: refused; the password: in
      String jdbc = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
      assertThatThrownBy(() -> DriverManager.getConnection(jdbc, "postgres", "").close())
          .isInstanceOf(SQLException.class).hasMessageContaining("password");
      assertThatThrownBy(() -> DriverManager.getConnection(jdbc, "postgres", "not-" + password).close())
          .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
      assertThat(Files.readString(data.resolve("postgres/pg_hba.conf"))).doesNotContainPattern("(?m)^[^#]*trust");
      try (Connection db = DriverManager.getConnection(jdbc, "postgres", password);
          ResultSet sockets = db.createStatement().executeQuery("show unix_socket_directories")) {
        assertThat(sockets.next()).isTrue();
        assertThat(sockets.getString(1)).isEmpty();
      }
      server.stop();
    }
    try (PackagedServer again = new PackagedServer(dir.resolve("work"), env)) {
      again.start();
      assertThat(Files.readString(data.resolve("database.port")).strip()).isEqualTo(String.valueOf(port));
      assertThat(again.log()).contains("PostgreSQL at 127.0.0.1:" + port + ",");
      // the metrics say the embedded PostgreSQL is up and answers (the probe's first run follows the start)
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() -> {
        String scrape = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                URI.create(again.base() + "/q/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();
        assertThat(scrape).containsPattern("(?m)^strata_embedded_postgres_up 1\\.0$")
            .containsPattern("(?m)^strata_database_up 1\\.0$")
            .containsPattern("(?m)^sql_pool_idle\\{pool_name=\"__vertx.DEFAULT\",pool_type=\"sql\"\\} ");
      });
      try (Connection db = PackagedServer.database(data)) {
        assertThat(db.isValid(5)).isTrue();
      }
    }
    // a lost password: its file deleted while Strata is stopped, a new one is generated and set
    String old = PackagedServer.password(URI.create(Files.readString(data.resolve("database.url")).strip()));
    Files.delete(data.resolve("database.pgpass"));
    try (PackagedServer renewed = new PackagedServer(dir.resolve("work"), env)) {
      renewed.start();
      String jdbc = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
      assertThatThrownBy(() -> DriverManager.getConnection(jdbc, "postgres", old).close())
          .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
      try (Connection db = PackagedServer.database(data)) {
        assertThat(db.isValid(5)).isTrue();
      }
    }
  }

  @Test
  void aTakenPortStopsTheStartNamingThePortAndTheSettingThatMovesIt() throws Exception {
    Path data = dir.resolve("data");
    Files.createDirectories(dir.resolve("work"));
    Map<String, String> env = Map.of("STRATA_DATA_DIR", data.toString());
    try (PackagedServer server = new PackagedServer(dir.resolve("work"), env)) {
      server.start();
      server.send("POST", "/api/v1/repositories", "{\"name\":\"kept\"}", 201);
    }
    int port = Integer.parseInt(Files.readString(data.resolve("database.port")).strip());
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
      try (PackagedServer blocked = new PackagedServer(dir.resolve("work"), env)) {
        Process start = blocked.launch();
        assertThat(start.waitFor(90, TimeUnit.SECONDS)).as("the server exits").isTrue();
        String out = blocked.log();
        assertThat(start.exitValue()).as(out).isNotZero();
        assertThat(out).contains("port " + port + " on 127.0.0.1 is taken")
            .contains("STRATA_EMBEDDED_DATABASE_PORT=<another free port>");
      }
      // the setting moves the database, for good
      int moved;
      try (ServerSocket probe = new ServerSocket(0)) {
        moved = probe.getLocalPort();
      }
      Map<String, String> movedEnv = Map.of("STRATA_DATA_DIR", data.toString(),
          "STRATA_EMBEDDED_DATABASE_PORT", String.valueOf(moved));
      try (PackagedServer server = new PackagedServer(dir.resolve("work"), movedEnv)) {
        server.start();
        server.send("GET", "/api/v1/repositories/kept", null, 200);
      }
      assertThat(Files.readString(data.resolve("database.port")).strip()).isEqualTo(String.valueOf(moved));
      try (PackagedServer server = new PackagedServer(dir.resolve("work"), env)) {
        server.start();
        assertThat(server.log()).contains("PostgreSQL at 127.0.0.1:" + moved + ",");
      }
    }
  }

  @Test
  void aDataDirectoryOfAnEarlierVersionThatTrustedLocalConnectionsIsClosedAndKeepsItsData() throws Exception {
    Path data = dir.resolve("data");
    Files.createDirectories(data);
    Files.createDirectories(dir.resolve("work"));
    // as earlier versions left it: a cluster trusting local connections, its address in database.url
    int oldPort;
    try (LocalPostgres old = LocalPostgres.start(data.resolve("postgres"), true)) {
      oldPort = old.port();
      try (Connection db = DriverManager.getConnection(old.jdbcUrl(), "postgres", "")) {
        db.createStatement().execute("create table public.legacy (id int primary key, name text)");
        db.createStatement().execute("insert into public.legacy values (1, 'kept')");
      }
      Files.writeString(data.resolve("database.url"), old.url() + "\n");
    }
    assertThat(Files.readString(data.resolve("postgres/pg_hba.conf"))).containsPattern("(?m)^[^#]*trust");

    try (PackagedServer server = new PackagedServer(dir.resolve("work"), Map.of("STRATA_DATA_DIR", data.toString()))) {
      server.start();
      int port = Integer.parseInt(Files.readString(data.resolve("database.port")).strip());
      assertThat(port).as("the port saved connections use, when free").isEqualTo(oldPort);
      assertThat(Files.readString(data.resolve("postgres/pg_hba.conf"))).doesNotContainPattern("(?m)^[^#]*trust");
      assertThat(mode(data)).isEqualTo("rwx------");
      assertThat(mode(data.resolve("database.pgpass"))).isEqualTo("rw-------");
      String jdbc = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
      assertThatThrownBy(() -> DriverManager.getConnection(jdbc, "postgres", "").close())
          .isInstanceOf(SQLException.class).hasMessageContaining("password");
      try (Connection db = PackagedServer.database(data);
          ResultSet rows = db.createStatement().executeQuery("select name from public.legacy where id = 1")) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getString(1)).isEqualTo("kept");
      }
      server.send("POST", "/api/v1/repositories", "{\"name\":\"after\"}", 201);
    }
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
