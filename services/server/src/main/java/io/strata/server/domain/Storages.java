package io.strata.server.domain;

import io.strata.events.StorageAdded;
import java.net.URI;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a storage registration may say. Passwords are only ever named (an environment variable or a
 * file), never given: they stay out of events, answers and logs.
 */
public final class Storages {
  /** The server's own database, available in every repository without registration. */
  public static final String LOCAL = "local";

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\]");
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_$-]{0,62}");
  private static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  private Storages() {}

  /** Validates a registration request and turns it into the event that records it. */
  public static StorageAdded validate(String name, String type, String url, String host, Integer port,
      String database, String username, String passwordEnv, String passwordFile) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw StrataException.invalid("name", "storage names are 1-63 characters of a-z 0-9 _ -, starting with a letter");
    }
    if (LOCAL.equals(name)) {
      throw new StrataException(ErrorCode.StorageAlreadyExists,
          "'local' is the server's own database and always exists", Map.of("storage", name));
    }
    if (type != null && !type.equals("postgresql")) {
      throw StrataException.invalid("type", "only 'postgresql' storage is supported");
    }
    if (url != null) {
      if (host != null || port != null || database != null) {
        throw StrataException.invalid("url", "give either url or host/port/database, not both");
      }
      URI uri;
      try {
        uri = URI.create(url);
      } catch (IllegalArgumentException e) {
        throw StrataException.invalid("url", "not a valid URL");
      }
      if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
        throw StrataException.invalid("url", "must be a postgresql:// URL");
      }
      String userInfo = uri.getUserInfo();
      if (userInfo != null && userInfo.contains(":")) {
        throw StrataException.invalid("url",
            "must not contain a password; name it with password_env or password_file");
      }
      if (userInfo != null && username == null) {
        username = userInfo;
      }
      host = uri.getHost();
      port = uri.getPort() < 0 ? 5432 : uri.getPort();
      database = uri.getPath() == null ? null : uri.getPath().replaceFirst("^/", "");
    }
    if (host == null || !HOST.matcher(host).matches()) {
      throw StrataException.invalid("host", "a host name or address is required");
    }
    int p = port == null ? 5432 : port;
    if (p < 1 || p > 65535) {
      throw StrataException.invalid("port", "must be between 1 and 65535");
    }
    if (database == null || !IDENT.matcher(database).matches()) {
      throw StrataException.invalid("database", "a database name (letters, digits, _ $ -) is required");
    }
    String user = username == null ? "postgres" : username;
    if (!IDENT.matcher(user).matches()) {
      throw StrataException.invalid("username", "letters, digits, _ $ - only");
    }
    if (passwordEnv != null && passwordFile != null) {
      throw StrataException.invalid("password_env", "give password_env or password_file, not both");
    }
    if (passwordEnv != null && !ENV.matcher(passwordEnv).matches()) {
      throw StrataException.invalid("password_env", "must be an environment variable name");
    }
    if (passwordFile != null && (!passwordFile.startsWith("/") || passwordFile.length() > 4096
        || passwordFile.chars().anyMatch(c -> c < 0x20))) {
      throw StrataException.invalid("password_file", "must be an absolute path");
    }
    return new StorageAdded(name, "postgresql", host, p, database, user, passwordEnv, passwordFile);
  }

  public static StrataException notFound(String name) {
    return new StrataException(ErrorCode.StorageNotFound, "storage '" + name + "' does not exist",
        Map.of("storage", name));
  }
}
