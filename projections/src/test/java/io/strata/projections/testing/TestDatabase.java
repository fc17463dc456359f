package io.strata.projections.testing;

import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgBuilder;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import java.util.Map;

/** One migrated database of the test server. */
public record TestDatabase(String host, int port, String database, String user, String password) {

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  /** A {@code postgresql://} URL with credentials, as {@code STRATA_DATABASE_URL} takes it. */
  public String url() {
    String auth = password == null || password.isEmpty() ? user : user + ":" + password;
    return "postgresql://" + auth + "@" + host + ":" + port + "/" + database;
  }

  public Map<String, String> quarkusConfig() {
    return Map.of(
        "quarkus.datasource.reactive.url", "postgresql://" + host + ":" + port + "/" + database,
        "quarkus.datasource.jdbc.url", jdbcUrl(),
        "quarkus.datasource.username", user,
        "quarkus.datasource.password", password == null ? "" : password);
  }

  public Pool pool(Vertx vertx, int size) {
    PgConnectOptions connect = new PgConnectOptions()
        .setHost(host).setPort(port).setDatabase(database).setUser(user).setPassword(password)
        .setCachePreparedStatements(true);
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(size)).connectingTo(connect).using(vertx).build();
  }
}
