package io.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.ApiClient;
import io.strata.client.ApiException;
import io.strata.client.StrataProcess;
import io.strata.client.api.AdminApi;
import io.strata.client.api.CommitsApi;
import io.strata.client.api.RepositoriesApi;
import io.strata.client.api.TablesApi;
import io.strata.client.model.CreateCommit;
import io.strata.client.model.CreateRepository;
import io.strata.client.model.TrackTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strata backup} while writers commit, then {@code strata restore} into an empty data directory and a server
 * started there: every commit acknowledged before the backup stopped is in it, the table holds what its last
 * recovered commit says, the projections equal a rebuild from the event log, and the restored server takes writes.
 */
class BackupRestoreIT {
  @TempDir Path dir;

  /** A commit a writer got an answer for, and when. */
  record Acknowledged(String id, int value, Instant at) {}

  @Test
  void aBackupTakenUnderWriteLoadRestoresEveryAcknowledgedCommit() throws Exception {
    Path first = Files.createDirectories(dir.resolve("first"));
    Path backup = dir.resolve("nightly.tar");
    List<Acknowledged> acknowledged = new CopyOnWriteArrayList<>();
    try (StrataProcess server = StrataProcess.start(first, Map.of())) {
      ApiClient client = client(server.baseUri());
      new RepositoriesApi(client).createRepository(new CreateRepository().name("shop"), null, null, null, null, null,
          null, null, null);
      try (Connection sql = server.sql(); Statement s = sql.createStatement()) {
        s.execute("create table public.counter (id int primary key, v int not null)");
        s.execute("insert into public.counter values (1, 0)");
        s.execute("create table public.filler as select g as id, md5(g::text) as t from generate_series(1, 50000) g");
      }
      new TablesApi(client).trackTable("shop", new TrackTable().name("counter").location("postgresql://local/public.counter"),
          null, null, null, null, null, null, null, null);

      AtomicBoolean writing = new AtomicBoolean(true);
      Thread writer = new Thread(() -> write(server, client, writing, acknowledged));
      writer.start();
      while (acknowledged.size() < 5) {
        Thread.sleep(50);
      }
      // earlier backups under the same load: each must succeed (files come and go while one is taken)
      for (int i = 1; i <= 3; i++) {
        Cli.Result earlier = new Cli(dir, Map.of("STRATA_URL", server.baseUri())).run("backup", "-f",
            dir.resolve("earlier-" + i + ".tar").toString());
        assertThat(earlier.exit()).as("%s\n--- server log:\n%s", earlier.err(), server.log()).isZero();
      }
      Cli.Result taken = new Cli(dir, Map.of("STRATA_URL", server.baseUri())).run("backup", "-f", backup.toString());
      Thread.sleep(500); // writes go on after the backup too: they must not be in it, nor break it
      writing.set(false);
      writer.join();
      assertThat(taken.exit()).as("%s\n--- server log:\n%s", taken.err(), server.log()).isZero();
      assertThat(taken.out()).contains("Backed up to " + backup);
      assertThat(Files.getPosixFilePermissions(backup)).containsExactlyInAnyOrder(
          java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }
    assertThat(acknowledged).hasSizeGreaterThan(5);

    // the restore refuses a directory that holds anything, and a file that is no backup
    Path taken = Files.createDirectories(dir.resolve("taken"));
    Files.writeString(taken.resolve("keep.txt"), "mine");
    Cli cli = new Cli(dir, Map.of());
    assertThat(cli.run("restore", backup.toString(), "--data-dir", taken.toString()).exit()).isEqualTo(3);
    assertThat(taken.resolve("keep.txt")).hasContent("mine");
    Path junk = Files.writeString(dir.resolve("junk.tar"), "not a tar file at all");
    Cli.Result refused = cli.run("restore", junk.toString(), "--data-dir", dir.resolve("nowhere").toString());
    assertThat(refused.exit()).as(refused.err()).isEqualTo(3);
    assertThat(dir.resolve("nowhere")).isEmptyDirectory();

    Path second = Files.createDirectories(dir.resolve("second"));
    Cli.Result restored = cli.run("restore", backup.toString(), "--data-dir", second.resolve(".strata").toString());
    assertThat(restored.exit()).as(restored.err()).isZero();
    JsonNode manifest = new ObjectMapper().readTree(second.resolve(".strata/restored-from.json").toFile());
    Instant stoppedAt = Instant.parse(manifest.get("stopped_at").asText());

    try (StrataProcess server = StrataProcess.start(second, Map.of())) {
      ApiClient client = client(server.baseUri());
      CommitsApi commits = new CommitsApi(client);
      List<Acknowledged> before = acknowledged.stream().filter(a -> a.at().isBefore(stoppedAt)).toList();
      assertThat(before).as("commits acknowledged before the backup stopped").isNotEmpty();
      for (Acknowledged a : before) {
        assertThat(commits.getCommit("shop", a.id(), null).getId()).isEqualTo(a.id());
      }
      // the table holds the value of the newest commit the restore kept (commits are in value order), or the
      // next value as a working change: the writer's update landed, its commit had not
      String head = new RepositoriesApi(client).getRepository("shop", null).getHead();
      int headValue = acknowledged.stream().filter(a -> a.id().equals(head)).findFirst().orElseThrow().value();
      int tableValue;
      try (Connection sql = server.sql(); Statement s = sql.createStatement();
          ResultSet v = s.executeQuery("select v from public.counter where id = 1")) {
        assertThat(v.next()).isTrue();
        tableValue = v.getInt(1);
      }
      boolean clean = Boolean.TRUE.equals(new io.strata.client.api.BranchesApi(client)
          .getBranchStatus("shop", "main", null).getClean());
      if (tableValue == headValue) {
        assertThat(clean).as("main at its head's value has no working change").isTrue();
      } else {
        assertThat(tableValue).as("the update after the head's commit").isEqualTo(headValue + 1);
        assertThat(clean).as("that update is main's working change").isFalse();
      }
      AdminApi admin = new AdminApi(client);
      Map<String, String> projections = admin.getProjectionDigest(null);
      admin.rebuildProjections(null);
      assertThat(admin.getProjectionDigest(null)).as("the projections equal a rebuild from the log").isEqualTo(projections);
      // and it goes on: a new commit on the restored server
      try (Connection sql = server.sql(); Statement s = sql.createStatement()) {
        s.execute("update public.counter set v = -1 where id = 1");
      }
      assertThat(commits.createCommit("shop", "main", new CreateCommit().message("after the restore").all(true), null,
          null, null, null, null, null, null, null).getId()).isNotBlank();
    }
  }

  /** Commits v = 1, 2, 3, … to the counter, one commit each, until told to stop. */
  private static void write(StrataProcess server, ApiClient client, AtomicBoolean writing, List<Acknowledged> acknowledged) {
    CommitsApi commits = new CommitsApi(client);
    try (Connection sql = server.sql(); Statement s = sql.createStatement()) {
      for (int v = 1; writing.get(); v++) {
        s.execute("update public.counter set v = " + v + " where id = 1");
        String id = commits.createCommit("shop", "main", new CreateCommit().message("v=" + v).all(true), null, null,
            null, null, null, null, null, null).getId();
        acknowledged.add(new Acknowledged(id, v, Instant.now()));
      }
    } catch (java.sql.SQLException | ApiException | java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ApiClient client(String base) {
    ApiClient client = new ApiClient();
    client.updateBaseUri(base);
    return client;
  }
}
