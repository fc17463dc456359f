package io.strata.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a backup's tar holds of a data directory: the relation files, the label and the backup's WAL segments and
 * secrets; not what PostgreSQL's documentation says to leave out (postmaster.pid, old WAL, temporary tables,
 * runtime directories' contents).
 */
class BackupArchiveTest {
  @TempDir Path data;

  private Path file(String relative, String content) throws IOException {
    Path p = data.resolve(relative);
    Files.createDirectories(p.getParent());
    return Files.writeString(p, content);
  }

  @Test
  void theArchiveHoldsWhatARestoreNeedsAndLeavesOutTheRest() throws IOException {
    file("postgres/PG_VERSION", "17\n");
    file("postgres/base/5/16384", "a relation");
    file("postgres/base/5/t5_16978", "a temporary table");
    file("postgres/base/5/pgsql_tmp/pgsql_tmp123.0", "a sort's spill");
    file("postgres/postmaster.pid", "4242\n");
    file("postgres/pg_stat_tmp/global.stat", "stats");
    file("postgres/pg_wal/000000010000000000000001", "old wal");
    file("postgres/pg_wal/000000010000000000000002", "wal at the start");
    file("postgres/pg_wal/000000010000000000000003", "wal at the end");
    file("postgres/pg_wal/000000010000000000000004", "wal after");
    file("database.pgpass", "127.0.0.1:5432:*:postgres:secret");

    BackupArchive archive = BackupArchive.create(data, Instant.parse("2026-11-29T00:00:00Z"), "0/2000028", "17.6");
    archive.addDataDirectory(data.resolve("postgres"));
    archive.finish("START WAL LOCATION: 0/2000028\n", null, "000000010000000000000002", "000000010000000000000003",
        "0/3000100", Instant.parse("2026-11-29T00:00:05Z"));

    Map<String, String> entries = read(archive.file());
    assertThat(entries).containsKeys("postgres/PG_VERSION", "postgres/base/5/16384", "postgres/backup_label",
        "postgres/pg_wal/000000010000000000000002", "postgres/pg_wal/000000010000000000000003", "database.pgpass",
        "strata-backup.json", "postgres/pg_stat_tmp/", "postgres/pg_wal/");
    assertThat(entries).doesNotContainKeys("postgres/base/5/t5_16978", "postgres/postmaster.pid",
        "postgres/pg_stat_tmp/global.stat", "postgres/pg_wal/000000010000000000000001",
        "postgres/pg_wal/000000010000000000000004", "postgres/base/5/pgsql_tmp/pgsql_tmp123.0");
    assertThat(entries.get("postgres/backup_label")).startsWith("START WAL LOCATION");
    assertThat(entries.get("strata-backup.json")).contains("\"format\": 1").contains("\"stop_lsn\": \"0/3000100\"")
        .contains("\"postgres_version\": \"17.6\"");
    assertThat(Files.getPosixFilePermissions(archive.file())).containsExactlyInAnyOrder(
        java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void aBackupWhoseStartingSegmentIsGoneIsRefused() throws IOException {
    file("postgres/PG_VERSION", "17\n");
    file("postgres/pg_wal/000000010000000000000009", "later wal");
    BackupArchive archive = BackupArchive.create(data, Instant.now(), "0/2000028", "17.6");
    archive.addDataDirectory(data.resolve("postgres"));
    assertThatThrownBy(() -> archive.finish("label", null, "000000010000000000000002", "000000010000000000000009",
        "0/9000000", Instant.now())).hasMessageContaining("000000010000000000000002");
    archive.discard();
    assertThat(archive.file()).doesNotExist();
  }

  private static Map<String, String> read(Path tar) throws IOException {
    Map<String, String> entries = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(tar); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
        entries.put(e.getName(), e.isDirectory() ? "" : new String(t.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    return entries;
  }
}
