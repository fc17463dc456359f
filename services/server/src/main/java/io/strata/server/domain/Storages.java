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
    requireName(name);
    if (type != null && !type.equals(StorageAdded.POSTGRESQL)) {
      throw StrataException.invalid("type", "storage types are 'postgresql' and 'delta'");
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
    requireAbsoluteFile("password_file", passwordFile);
    return new StorageAdded(name, StorageAdded.POSTGRESQL, host, p, database, user, passwordEnv, passwordFile);
  }

  /**
   * Validates the registration of a Delta Lake storage ({@code type} {@code delta}): {@code url} is {@code
   * file:///absolute/directory} or {@code s3://bucket/prefix}; the S3 settings only with an {@code s3://} one;
   * the access key and the secret named (variables or a file), both or neither (neither: the SDK's default chain).
   * Whether the server lets a repository use that directory or endpoint is the server's to check apart.
   */
  public static StorageAdded validateDelta(String name, String url, String endpoint, String region, Boolean pathStyle,
      String accessKeyEnv, String secretKeyEnv, String secretKeyFile) {
    requireName(name);
    if (url == null) {
      throw StrataException.invalid("url", "a Delta storage needs a url: file:///directory or s3://bucket/prefix");
    }
    String place = url.startsWith("s3://") ? s3Url(url) : fileUrl(url);
    boolean s3 = place.startsWith("s3://");
    if (!s3 && (endpoint != null || region != null || pathStyle != null || accessKeyEnv != null
        || secretKeyEnv != null || secretKeyFile != null)) {
      throw StrataException.invalid(firstGiven(endpoint, region, pathStyle, accessKeyEnv, secretKeyEnv),
          "endpoint, region, path_style and the S3 keys go with an s3:// url only");
    }
    String normalEndpoint = endpoint == null ? null : endpoint(endpoint);
    if (region != null && !REGION.matcher(region).matches()) {
      throw StrataException.invalid("region", "a region name: lower-case letters, digits and -");
    }
    if ((accessKeyEnv == null) != (secretKeyEnv == null && secretKeyFile == null)) {
      throw StrataException.invalid(accessKeyEnv == null ? "access_key_env" : "secret_key_env",
          "name both the access key (access_key_env) and the secret (secret_key_env or secret_key_file), or neither");
    }
    if (secretKeyEnv != null && secretKeyFile != null) {
      throw StrataException.invalid("secret_key_env", "give secret_key_env or secret_key_file, not both");
    }
    for (var env : Map.of("access_key_env", accessKeyEnv == null ? "" : accessKeyEnv, "secret_key_env",
        secretKeyEnv == null ? "" : secretKeyEnv).entrySet()) {
      if (!env.getValue().isEmpty() && !ENV.matcher(env.getValue()).matches()) {
        throw StrataException.invalid(env.getKey(), "must be an environment variable name");
      }
    }
    requireAbsoluteFile("secret_key_file", secretKeyFile);
    return StorageAdded.delta(name, new StorageAdded.DeltaStore(place, normalEndpoint, region,
        Boolean.TRUE.equals(pathStyle), accessKeyEnv, secretKeyEnv, secretKeyFile));
  }

  private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  // path segments Delta engines and S3 keys take without quoting: no spaces, no %, no control characters
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._=+-]{1,255}");

  private static String fileUrl(String url) {
    if (!url.startsWith("file:///")) {
      throw StrataException.invalid("url", "must be file:///absolute/directory or s3://bucket/prefix");
    }
    return "file://" + path("url", url.substring("file://".length()), false);
  }

  private static String s3Url(String url) {
    String rest = url.substring("s3://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
      throw StrataException.invalid("url", "an S3 bucket name: 3-63 lower-case letters, digits, . and -");
    }
    String prefix = slash < 0 ? "" : path("url", rest.substring(slash), true);
    return "s3://" + bucket + prefix;
  }

  /** A path of plain segments, without . or .. or empty ones; without its trailing slash. */
  private static String path(String field, String path, boolean mayBeEmpty) {
    String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    if (p.isEmpty()) {
      if (mayBeEmpty) {
        return "";
      }
      throw StrataException.invalid(field, "the root directory cannot be a storage");
    }
    if (p.length() > 1024) {
      throw StrataException.invalid(field, "the path is too long");
    }
    String[] segments = p.substring(1).split("/", -1);
    for (String segment : segments) {
      if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
        throw StrataException.invalid(field, "path segments are letters, digits and . _ = + -; no empty, . or .. ones");
      }
    }
    return p;
  }

  private static String endpoint(String endpoint) {
    URI uri;
    try {
      uri = new URI(endpoint);
    } catch (java.net.URISyntaxException e) {
      throw StrataException.invalid("endpoint", "not a valid URL");
    }
    if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
        || !HOST.matcher(uri.getHost()).matches() || uri.getRawUserInfo() != null || uri.getRawQuery() != null
        || uri.getRawFragment() != null || !(uri.getRawPath() == null || uri.getRawPath().isEmpty()
            || uri.getRawPath().equals("/"))) {
      throw StrataException.invalid("endpoint", "an http(s)://host[:port] URL, without a path, user or query");
    }
    return uri.getScheme() + "://" + uri.getHost().toLowerCase(java.util.Locale.ROOT)
        + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
  }

  private static String firstGiven(Object endpoint, Object region, Object pathStyle, Object accessKeyEnv,
      Object secretKeyEnv) {
    return endpoint != null ? "endpoint" : region != null ? "region" : pathStyle != null ? "path_style"
        : accessKeyEnv != null ? "access_key_env" : secretKeyEnv != null ? "secret_key_env" : "secret_key_file";
  }

  private static void requireName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw StrataException.invalid("name", "storage names are 1-63 characters of a-z 0-9 _ -, starting with a letter");
    }
    if (LOCAL.equals(name)) {
      throw new StrataException(ErrorCode.StorageAlreadyExists,
          "'local' is the server's own database and always exists", Map.of("storage", name));
    }
  }

  private static void requireAbsoluteFile(String field, String file) {
    if (file != null && (!file.startsWith("/") || file.length() > 4096 || file.chars().anyMatch(c -> c < 0x20))) {
      throw StrataException.invalid(field, "must be an absolute path");
    }
  }

  public static StrataException notFound(String name) {
    return new StrataException(ErrorCode.StorageNotFound, "storage '" + name + "' does not exist",
        Map.of("storage", name));
  }
}
