package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * A consistent backup of the embedded PostgreSQL while Strata runs and writes: PostgreSQL's own low-level base
 * backup ({@code pg_backup_start} … copy the files … {@code pg_backup_stop}), with the write-ahead log from the
 * backup's start to its end kept by a temporary replication slot and copied in, so the backup restores by itself
 * with the embedded server's own binaries (no pg_dump, no archive). Restoring is unpacking it into an empty data
 * directory ({@code strata restore}); PostgreSQL replays the log at the first start and ends at a state that
 * includes every commit acknowledged before the backup stopped.
 *
 * <p>The whole cluster is in it: the event log, the projections, and Strata's objects in every database of the
 * embedded server (tracked tables, overlays, working logs, sidecars). Registered storages elsewhere are not.
 */
@ApplicationScoped
public class EmbeddedBackups {
  private static final Logger LOG = Logger.getLogger(EmbeddedBackups.class);

  private final Vertx vertx;
  private final StrataConfig config;
  private final Clock clock;
  private final AtomicBoolean running = new AtomicBoolean();

  EmbeddedBackups(Vertx vertx, StrataConfig config, Clock clock) {
    this.vertx = vertx;
    this.config = config;
    this.clock = clock;
  }

  /** Backups a stopped server was still sending (or never sent) are deleted at the next start. */
  void onStart(@Observes StartupEvent e) {
    Path dir = Path.of(config.dataDir()).toAbsolutePath().normalize().resolve("backups");
    if (!available() || !Files.isDirectory(dir)) {
      return;
    }
    try (var leftovers = Files.newDirectoryStream(dir, "backup-*.tar")) {
      for (Path leftover : leftovers) {
        Files.deleteIfExists(leftover);
      }
    } catch (IOException ex) {
      LOG.warnf("could not delete the backups left in %s: %s", dir, ex.toString());
    }
  }

  /** Whether this server runs the embedded PostgreSQL (whose backup it can take). */
  public boolean available() {
    return config.database().embeddedPid().isPresent();
  }

  /**
   * Takes a backup into a new file (owner-only, under the data directory's {@code backups/}); the caller sends it
   * and deletes it. One at a time: a second is refused (409 BackupInProgress).
   */
  public Uni<Path> take() {
    if (!available()) {
      return Uni.createFrom().failure(new StrataException(ErrorCode.BackupUnavailable, "this server's metadata"
          + " database is not the embedded one: back it up with PostgreSQL's tools (pg_dump, or a base backup"
          + " with WAL archiving), as the README's Backup section says", Map.of()));
    }
    if (!running.compareAndSet(false, true)) {
      return Uni.createFrom().failure(new StrataException(ErrorCode.BackupInProgress,
          "a backup is being taken; try again when it is done", Map.of()));
    }
    Path dataDir = Path.of(config.dataDir()).toAbsolutePath().normalize();
    // a connection of its own, closed at the end (not one of the pool's, which would outlive the backup): its
    // session's end drops the temporary replication slot and aborts a backup that failed before its stop
    return PgConnection.connect(vertx, ServerDatabase.connectOptions().setMetricsName("backup"))
        .chain(connection -> backupOn(connection, dataDir).eventually(connection::close))
        .eventually(() -> running.set(false));
  }

  private Uni<Path> backupOn(SqlConnection connection, Path dataDir) {
    BackupArchive[] archive = new BackupArchive[1];
    String[] startSegment = new String[1];
    return connection.query("SET statement_timeout = 0").execute()
        // keeps every WAL segment from here on until the session ends, checkpoints or not
        .chain(() -> connection.query("SELECT pg_create_physical_replication_slot('strata_backup_'"
            + " || pg_backend_pid(), true, true)").execute())
        .chain(() -> connection.query("SELECT pg_walfile_name(lsn) AS segment, lsn::text AS lsn,"
            + " current_setting('server_version') AS version"
            + " FROM pg_backup_start('strata backup', true) AS lsn").execute())
        .map(rows -> rows.iterator().next())
        .chain(start -> blocking(() -> {
          startSegment[0] = start.getString("segment");
          archive[0] = BackupArchive.create(dataDir, clock.instant(), start.getString("lsn"), start.getString("version"));
          archive[0].addDataDirectory(dataDir.resolve("postgres"));
          return null;
        }))
        .chain(() -> connection.query("SELECT lsn::text AS lsn, labelfile, spcmapfile, pg_walfile_name(lsn) AS segment"
            + " FROM pg_backup_stop(false)").execute())
        .map(rows -> rows.iterator().next())
        // the segment holding the backup's end is complete before it is copied
        .call(() -> connection.query("SELECT pg_switch_wal()").execute())
        .chain((Row stop) -> blocking(() -> {
          archive[0].finish(stop.getString("labelfile"), stop.getString("spcmapfile"), startSegment[0],
              stop.getString("segment"), stop.getString("lsn"), clock.instant());
          LOG.infof("backup taken: %s (%d files, %d bytes), WAL %s to %s", archive[0].file().getFileName(),
              archive[0].files(), Files.size(archive[0].file()), startSegment[0], stop.getString("segment"));
          return archive[0].file();
        }))
        .onFailure().invoke(e -> {
          if (archive[0] != null) {
            archive[0].discard();
          }
          // a backup that failed between start and stop ends with its session: PostgreSQL aborts it then
          LOG.warnf("backup failed: %s", e.toString());
        });
  }

  /** File work on a worker thread, never an event loop. */
  private static <T> Uni<T> blocking(IoWork<T> work) {
    return Uni.createFrom().item(() -> {
      try {
        return work.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  private interface IoWork<T> {
    T run() throws IOException;
  }

  /** The owner-only directory backups are written to before they are sent. */
  static Path backupsDirectory(Path dataDir) throws IOException {
    Path dir = dataDir.resolve("backups");
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    return dir;
  }
}
