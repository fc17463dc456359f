package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * A database of the test server with Strata's layout, for the tests of the plans PostgreSQL makes over
 * a tracked table's objects: tables in {@code public}, each tracked by a repository of its own and
 * keyed by {@code id}, branches made through {@link PgBranchObjects}, SQL through JDBC.
 */
final class PlanTestDatabase implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(120);

  private final Vertx vertx = Vertx.vertx();
  private final TestDatabase db = TestPostgres.shared().newDatabase();
  final Pool pool = db.pool(vertx, 2);

  PlanTestDatabase() {
    StrataLayout.upgrade(pool).await().atMost(WAIT);
  }

  Connection jdbc() throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }

  /** {@code public.table}, tracked by a new repository. */
  TrackedTable tracked(String table) {
    TrackedTable t = TableCatalog.inspect(pool, "public", table, List.of("id"))
        .map(shape -> new TrackedTable("repo_" + table, table, "public", table, shape.primaryKey(), shape.columns()))
        .await().atMost(WAIT);
    pool.withTransaction(tx -> new PgTracking().track(new PgUnit(tx), t, List.of(), (r, n) -> Uni.createFrom().item(false)))
        .await().atMost(WAIT);
    return t;
  }

  /** Branch {@code branch} of {@code t}, made from the table as it is now; answers its view. */
  String branch(TrackedTable t, String branch) {
    pool.withTransaction(tx -> new PgBranchObjects().create(new PgUnit(tx), t, branch, StatePath.WORKING)).await().atMost(WAIT);
    return "strata_" + branch + "." + t.table();
  }

  @Override
  public void close() {
    pool.close().await().atMost(WAIT);
    vertx.close().await().atMost(WAIT);
  }
}
