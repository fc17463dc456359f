package io.strata.projections.testing;

import io.strata.projections.postgres.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.flywaydb.core.Flyway;

/**
 * The PostgreSQL server of a test JVM: a Testcontainers container when a Docker engine answers, the
 * embedded server otherwise. Started once per JVM; each test class takes a fresh database of its
 * own, migrated with the product's migrations.
 */
public final class TestPostgres {
  private static TestPostgres shared;

  private final String host;
  private final int port;
  private final String user;
  private final String password;

  private TestPostgres(String host, int port, String user, String password) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
  }

  public static synchronized TestPostgres shared() {
    if (shared == null) {
      shared = DockerProbe.available() ? ContainerPostgres.start() : embedded();
    }
    return shared;
  }

  private static TestPostgres embedded() {
    LocalPostgres pg = LocalPostgres.startTemporary();
    return new TestPostgres(pg.host(), pg.port(), LocalPostgres.USER, "");
  }

  static TestPostgres of(String host, int port, String user, String password) {
    return new TestPostgres(host, port, user, password);
  }

  /** Creates an empty database with the metadata schema migrated. */
  public TestDatabase newDatabase() {
    TestDatabase db = newDatabaseWithoutMigrations();
    Flyway.configure()
        .dataSource(db.jdbcUrl(), user, password)
        .locations("classpath:db/migration")
        .schemas("strata_meta")
        .load()
        .migrate();
    return db;
  }

  /** Creates an empty database (the server migrates it at start-up). */
  public TestDatabase newDatabaseWithoutMigrations() {
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), user, password);
        Statement s = c.createStatement()) {
      s.execute("create database " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database", e);
    }
    return new TestDatabase(host, port, name, user, password);
  }

  String jdbcUrl(String database) {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }
}
