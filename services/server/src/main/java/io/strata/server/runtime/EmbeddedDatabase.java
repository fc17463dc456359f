package io.strata.server.runtime;

import io.strata.projections.postgres.LocalPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The private PostgreSQL of embedded mode, predictable and closed. Its port is chosen once, at the
 * first start, and kept in {@code <data dir>/database.port}; a later start whose port is taken stops
 * with an error naming it and {@code STRATA_EMBEDDED_DATABASE_PORT}, which moves it (for good). Its
 * superuser's password is generated once and kept in {@code <data dir>/database.pgpass} (libpq's
 * passfile format); every connection must give it. The data directory is 0700 and every file Strata
 * writes there 0600, so only the user running Strata can read the password.
 *
 * <p>For SQL clients: {@link #clientUrl()} names the passfile instead of holding the password (what the
 * start-up log and {@code GET /api/v1/admin/database} show: logs travel further than the data
 * directory), and {@code database.url} keeps the complete URL, password included, for tools and
 * scripts that take one.
 */
public final class EmbeddedDatabase {
  public static final String PORT_SETTING = "STRATA_EMBEDDED_DATABASE_PORT";
  static final String PORT_FILE = "database.port";
  static final String PASSFILE = "database.pgpass";
  static final String URL_FILE = "database.url";
  /** First-start ports come from here: below Linux's ephemeral range, away from 5432 and its neighbours. */
  static final int FIRST_PORT = 20000;
  static final int LAST_PORT = 29999;
  private static final String OWNER_ONLY = "rw-------";

  private final LocalPostgres server;
  private final Path dataDir;

  private EmbeddedDatabase(LocalPostgres server, Path dataDir) {
    this.server = server;
    this.dataDir = dataDir;
  }

  /** A port that cannot be used, with the message that says why and what to do. */
  public static final class PortUnavailable extends RuntimeException {
    PortUnavailable(String message) {
      super(message);
    }
  }

  /**
   * Starts the database in {@code <dataDir>/postgres}. The caller holds the data directory's lock.
   *
   * @param portSetting STRATA_EMBEDDED_DATABASE_PORT as set (null: unset)
   * @throws PortUnavailable when the port to keep is taken, or the setting is not a port
   */
  public static EmbeddedDatabase start(Path dataDir, String portSetting) {
    try {
      Files.createDirectories(dataDir);
      Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
      LocalPostgres.stopOrphan(dataDir.resolve("postgres")); // a killed server's own database holds its port
      Integer chosen = portSetting == null ? null : parsePort(portSetting);
      Optional<Integer> kept = readPort(dataDir);
      Path passfile = dataDir.resolve(PASSFILE);
      Optional<String> password = readPassword(passfile);
      String secret = password.orElseGet(EmbeddedDatabase::newPassword);
      boolean promised = chosen != null || kept.isPresent(); // a port SQL clients may already use
      int port = chosen != null ? chosen : kept.orElseGet(() -> firstPort(dataDir));
      for (int attempt = 1; ; attempt++) {
        if (!free(port)) {
          if (promised) {
            throw new PortUnavailable(taken(port, chosen != null, dataDir));
          }
          port = randomFreePort();
          continue;
        }
        // the password is on disk before the database may take it: a crash in between loses nothing
        writeOwnerOnly(passfile, "127.0.0.1:" + port + ":*:" + LocalPostgres.USER + ":" + secret + "\n");
        try {
          LocalPostgres server = LocalPostgres.startProtected(dataDir.resolve("postgres"), port, secret,
              password.isEmpty());
          EmbeddedDatabase database = new EmbeddedDatabase(server, dataDir);
          writeOwnerOnly(dataDir.resolve(PORT_FILE), port + "\n");
          writeOwnerOnly(dataDir.resolve(URL_FILE), server.url() + "\n");
          return database;
        } catch (LocalPostgres.PasswordRefused e) {
          throw e;
        } catch (RuntimeException e) {
          // another program took a first start's port between the check and PostgreSQL's bind (a
          // promised port was checked above; after a failed start, our own server may still hold it)
          if (!promised && attempt < 3 && !free(port)) {
            port = randomFreePort();
            continue;
          }
          throw e;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the data directory " + dataDir, e);
    }
  }

  public LocalPostgres server() {
    return server;
  }

  /** The passfile holding the password (0600). */
  public Path passfile() {
    return dataDir.resolve(PASSFILE);
  }

  /**
   * A libpq connection URI without the password: it names the passfile instead, so it can be printed
   * and pasted ({@code psql "<url>"}) and is useless to anyone who cannot read the data directory.
   */
  public String clientUrl() {
    return "postgresql://" + LocalPostgres.USER + "@" + server.host() + ":" + server.port() + "/"
        + LocalPostgres.DATABASE + "?passfile=" + uriEncode(passfile().toString());
  }

  /** The complete URL (password included) for the server's own pool: never printed. */
  public String url() {
    return server.url();
  }

  public void close() {
    server.close();
  }

  /** The running server's process id (what {@code strata_embedded_postgres_up} watches); -1 if none is found. */
  public long postmasterPid() {
    try {
      return LocalPostgres.postmaster(dataDir.resolve("postgres")).map(ProcessHandle::pid).orElse(-1L);
    } catch (IOException e) {
      return -1;
    }
  }

  static int parsePort(String setting) {
    try {
      int port = Integer.parseInt(setting.strip());
      if (port >= 1024 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new PortUnavailable(PORT_SETTING + " must be a port number from 1024 to 65535, not '" + setting.strip() + "'");
  }

  private static String taken(int port, boolean fromSetting, Path dataDir) {
    return "the embedded PostgreSQL's port " + port + " on 127.0.0.1 is taken by another program"
        + (fromSetting ? " (" + PORT_SETTING + "=" + port + ")"
            : " (kept in " + dataDir.resolve(PORT_FILE) + " since its first start, so SQL clients keep working)")
        + ". Stop that program, or start Strata with " + PORT_SETTING + "=<another free port>: the database"
        + " moves there for good, and SQL clients must use the new port.";
  }

  private static Optional<Integer> readPort(Path dataDir) throws IOException {
    Path file = dataDir.resolve(PORT_FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    String text = Files.readString(file).strip();
    try {
      return Optional.of(parsePort(text));
    } catch (PortUnavailable e) {
      throw new PortUnavailable(file + " holds no port ('" + text + "'); set " + PORT_SETTING + " to choose one");
    }
  }

  /**
   * The port of a data directory's first start under this version: the one an earlier version last
   * used (its database.url) if it is free, so saved connections keep working; else a random free one.
   */
  private static int firstPort(Path dataDir) {
    try {
      Path url = dataDir.resolve(URL_FILE);
      if (Files.exists(url)) {
        int previous = URI.create(Files.readString(url).strip()).getPort();
        if (previous >= 1024 && free(previous)) {
          return previous;
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      // no usable earlier port: choose one
    }
    return randomFreePort();
  }

  private static int randomFreePort() {
    for (int i = 0; i < 200; i++) {
      int candidate = ThreadLocalRandom.current().nextInt(FIRST_PORT, LAST_PORT + 1);
      if (free(candidate)) {
        return candidate;
      }
    }
    throw new PortUnavailable("no free port for the embedded PostgreSQL between " + FIRST_PORT + " and " + LAST_PORT
        + "; choose one with " + PORT_SETTING);
  }

  /** Whether PostgreSQL could listen on 127.0.0.1:{@code port} now. */
  static boolean free(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true); // as PostgreSQL does: connections in TIME_WAIT do not hold the port
      socket.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<String> readPassword(Path passfile) throws IOException {
    if (!Files.exists(passfile)) {
      return Optional.empty();
    }
    Files.setPosixFilePermissions(passfile, PosixFilePermissions.fromString(OWNER_ONLY));
    String[] fields = Files.readString(passfile, StandardCharsets.UTF_8).strip().split(":", 5);
    if (fields.length < 5 || fields[4].isBlank()) {
      throw new IllegalStateException(passfile + " holds no password; delete it to have a new one generated"
          + " and set at the next start");
    }
    return Optional.of(fields[4]);
  }

  /** 256 random bits, URL- and SQL-safe ({@code [A-Za-z0-9_-]}). */
  private static String newPassword() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Written whole (a temporary file renamed over it), created 0600: never readable by others, even for an instant. */
  static void writeOwnerOnly(Path file, String content) throws IOException {
    Path temporary = Files.createTempFile(file.getParent(), file.getFileName() + ".", ".new",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(OWNER_ONLY)));
    try {
      Files.writeString(temporary, content, StandardCharsets.UTF_8);
      Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }

  /** Percent-encodes everything but unreserved characters and '/' (a path in a URI query, as libpq reads it). */
  public static String uriEncode(String value) {
    StringBuilder out = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~/".indexOf(c) >= 0) {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }
}
