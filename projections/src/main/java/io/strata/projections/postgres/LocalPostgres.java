package io.strata.projections.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * A private PostgreSQL server in a data directory of our own: the database of embedded mode, and of
 * tests where no Docker engine answers. Uses the PostgreSQL binaries packaged for Maven by zonky, which
 * drops root privileges for initdb and postgres on its own (a user namespace).
 *
 * <p>A server left running by a previous process that was killed (kill -9 leaves postgres orphaned)
 * is shut down before the new one starts, so the data directory is always reusable. That is only
 * right when the previous owner is dead: the caller must own the directory first (the Strata server
 * holds its data directory's lock, so a second server refuses to start instead of getting here).
 */
public final class LocalPostgres implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LocalPostgres.class);
  public static final String USER = "postgres";
  public static final String DATABASE = "postgres";

  private final EmbeddedPostgres server;

  private LocalPostgres(EmbeddedPostgres server) {
    this.server = server;
  }

  /**
   * Starts (or restarts) the server in {@code dataDirectory}, creating it on first use.
   *
   * @param durable fsync on (embedded mode keeps real data); tests pass false for speed
   */
  public static LocalPostgres start(Path dataDirectory, boolean durable) {
    return start(dataDirectory, durable, true);
  }

  /**
   * As {@link #start(Path, boolean)}; with {@code stopAtExit} false the caller stops the server itself
   * (the Strata server does, after its own stop, so that it still reaches its database while stopping).
   */
  public static LocalPostgres start(Path dataDirectory, boolean durable, boolean stopAtExit) {
    try {
      Files.createDirectories(dataDirectory);
      stopOrphan(dataDirectory);
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDirectory)
              .setCleanDataDirectory(false)
              .setRegisterShutdownHook(stopAtExit)
              .setPGStartupWait(Duration.ofSeconds(60))
              .setServerConfig("listen_addresses", "localhost")
              .setServerConfig("max_connections", "200")
              .setServerConfig("shared_buffers", "256MB")
              .setServerConfig("fsync", durable ? "on" : "off")
              .setServerConfig("synchronous_commit", durable ? "on" : "off")
              .setServerConfig("full_page_writes", durable ? "on" : "off");
      return new LocalPostgres(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the local PostgreSQL in " + dataDirectory, e);
    }
  }

  /**
   * A throw-away server in a fresh temporary directory (tests), stopped and its directory deleted when
   * the JVM exits: test runs must not fill the disk with data directories.
   */
  public static LocalPostgres startTemporary() {
    try {
      Path directory = Files.createTempDirectory("strata-pg-");
      LocalPostgres server = start(directory, false, false);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        server.close();
        deleteTree(directory);
      }, "strata-pg-cleanup"));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes a stopped server's directory and everything in it (best effort: what fails is logged). */
  public static void deleteTree(Path directory) {
    try (var paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warnf(e, "could not delete %s", directory);
    }
  }

  public int port() {
    return server.getPort();
  }

  public String host() {
    return "localhost";
  }

  /** {@code postgresql://} URI of the server's default database (no password: trust on localhost). */
  public String url() {
    return "postgresql://" + USER + "@" + host() + ":" + port() + "/" + DATABASE;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host() + ":" + port() + "/" + DATABASE;
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      LOG.warnf(e, "stopping the local PostgreSQL failed");
    }
  }

  private static void stopOrphan(Path dataDirectory) throws IOException {
    Path pidFile = dataDirectory.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile);
    Optional<ProcessHandle> postmaster =
        lines.isEmpty() ? Optional.empty() : parsePid(lines.get(0)).flatMap(ProcessHandle::of);
    if (postmaster.isEmpty() || !postmaster.get().isAlive()) {
      return; // a stale file; postgres itself copes with it
    }
    ProcessHandle process = postmaster.get();
    String command = process.info().command().orElse("");
    if (!command.endsWith("postgres")) {
      return; // the pid was reused by something else: leave it alone
    }
    LOG.warnf("stopping PostgreSQL (pid %d) left running in %s by an earlier process",
        process.pid(), dataDirectory);
    process.destroy(); // SIGTERM: smart shutdown; the killed owner's sessions are gone
    try {
      process.onExit().get(30, TimeUnit.SECONDS);
    } catch (Exception timeout) {
      process.destroyForcibly();
      process.onExit().join();
    }
  }

  private static Optional<Long> parsePid(String line) {
    try {
      return Optional.of(Long.parseLong(line.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
