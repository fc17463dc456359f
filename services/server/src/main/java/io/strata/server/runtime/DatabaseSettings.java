package io.strata.server.runtime;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns {@code STRATA_DATABASE_URL} ({@code postgresql://user:password@host:port/database}, also
 * {@code postgres://} or {@code jdbc:postgresql://}) into the Quarkus datasource properties, so the
 * reactive pool and the migrations use the same database.
 */
public record DatabaseSettings(String host, int port, String database, String user, String password) {

  public static DatabaseSettings parse(String url) {
    String plain = url.trim();
    if (plain.startsWith("jdbc:")) {
      plain = plain.substring("jdbc:".length());
    }
    URI uri = URI.create(plain);
    if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
      throw new IllegalArgumentException("STRATA_DATABASE_URL must be a postgresql:// URL, got scheme "
          + uri.getScheme());
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("STRATA_DATABASE_URL names no host");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
    }
    Map<String, String> query = query(uri.getRawQuery());
    user = query.getOrDefault("user", user);
    password = query.getOrDefault("password", password);
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    return new DatabaseSettings(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(),
        path.isEmpty() ? "postgres" : decode(path), user == null ? "postgres" : user, password);
  }

  public Map<String, String> quarkusProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("quarkus.datasource.reactive.url", "postgresql://" + host + ":" + port + "/" + database);
    p.put("quarkus.datasource.jdbc.url", "jdbc:postgresql://" + host + ":" + port + "/" + database);
    p.put("quarkus.datasource.username", user);
    p.put("quarkus.datasource.password", password == null ? "" : password);
    return p;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> params = new LinkedHashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        String[] kv = pair.split("=", 2);
        params.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
      }
    }
    return params;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() { // never print the password
    return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
  }
}
