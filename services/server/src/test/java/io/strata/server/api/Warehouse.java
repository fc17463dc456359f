package io.strata.server.api;

import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;

/** A database of its own standing for a registered storage, and a pool to it: one per test class. */
final class Warehouse implements AutoCloseable {
  final TestDatabase database;
  final Pool pool;
  private final Vertx vertx;

  private Warehouse(TestDatabase database, Vertx vertx, Pool pool) {
    this.database = database;
    this.vertx = vertx;
    this.pool = pool;
  }

  static Warehouse start() {
    TestDatabase database = TestPostgres.shared().newDatabaseWithoutMigrations();
    Vertx vertx = Vertx.vertx();
    return new Warehouse(database, vertx, database.pool(vertx, 2));
  }

  @Override
  public void close() {
    pool.closeAndAwait();
    vertx.closeAndAwait();
  }
}
