package io.strata.benchmarks;

import io.smallrye.mutiny.Uni;
import io.strata.projections.overlay.PgTracking;
import io.strata.projections.overlay.PgUnit;
import io.strata.projections.overlay.StrataLayout;
import io.strata.projections.postgres.LocalPostgres;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgBuilder;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * A private PostgreSQL (fsync on) with Strata's layout, for the benchmarks that drive the overlay code
 * directly (no server): a JDBC connection for the measured statements, a Vert.x pool for Strata's own
 * calls, and tables made and tracked as Strata tracks them.
 */
final class OverlayDatabase implements AutoCloseable {
  static final Duration WAIT = Duration.ofMinutes(30);

  private final Path dir;
  private final Vertx vertx;
  private final LocalPostgres pg;
  private final Connection db;
  private final Pool pool;

  private OverlayDatabase(Path dir, Vertx vertx, LocalPostgres pg, Connection db, Pool pool) {
    this.dir = dir;
    this.vertx = vertx;
    this.pg = pg;
    this.db = db;
    this.pool = pool;
  }

  /** Starts PostgreSQL in a new temporary directory named after {@code name} and installs Strata's layout. */
  static OverlayDatabase start(String name) throws Exception {
    Path dir = Files.createTempDirectory("strata-" + name + "-");
    Vertx vertx = Vertx.vertx();
    LocalPostgres pg = LocalPostgres.start(dir.resolve("pg"), true);
    Connection db = DriverManager.getConnection(pg.jdbcUrl(), LocalPostgres.USER, "");
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(new PgConnectOptions()
        .setHost(pg.host()).setPort(pg.port()).setDatabase(LocalPostgres.DATABASE).setUser(LocalPostgres.USER))
        .using(vertx).build();
    StrataLayout.upgrade(pool).await().atMost(WAIT);
    return new OverlayDatabase(dir, vertx, pg, db, pool);
  }

  /** The JDBC connection the measured statements run on. */
  Connection db() {
    return db;
  }

  /** A new JDBC connection (for a concurrent writer), closed by the caller. */
  Connection connect() throws Exception {
    return DriverManager.getConnection(pg.jdbcUrl(), LocalPostgres.USER, "");
  }

  void exec(String sql) throws Exception {
    exec(db, sql);
  }

  static void exec(Connection db, String sql) throws Exception {
    try (Statement st = db.createStatement()) {
      st.execute(sql);
    }
  }

  /** Runs one of Strata's calls in a transaction of its own and waits for it. */
  <T> T inTransaction(Function<PgUnit, Uni<T>> work) {
    return pool.withTransaction((SqlConnection tx) -> work.apply(new PgUnit(tx))).await().atMost(WAIT);
  }

  /** Runs one of Strata's calls on a connection outside any transaction (CONCURRENTLY) and waits for it. */
  <T> T withoutTransaction(Function<PgUnit, Uni<T>> work) {
    return pool.withConnection((SqlConnection c) -> work.apply(new PgUnit(c))).await().atMost(WAIT);
  }

  /**
   * {@code public.<name> (id int primary key, v int not null, pad text)} with {@code rows} rows, analyzed
   * and tracked (table id {@code r_<name>}).
   */
  TrackedTable trackedTable(String name, int rows) throws Exception {
    exec("create table public." + name + " (id int primary key, v int not null, pad text)");
    exec("insert into public." + name + " select g, g, md5(g::text) from generate_series(1, " + rows + ") g");
    exec("vacuum analyze public." + name);
    return track(name, "r_" + name);
  }

  /** Tracks the existing {@code public.<name>} by its {@code id} column. */
  TrackedTable track(String name, String tableId) {
    TrackedTable t = TableCatalog.inspect(pool, "public", name, List.of("id"))
        .map(shape -> new TrackedTable(tableId, name, "public", name, shape.primaryKey(), shape.columns()))
        .await().atMost(WAIT);
    inTransaction(unit -> new PgTracking().track(unit, t, List.of(), (r, n) -> Uni.createFrom().item(false)));
    return t;
  }

  @Override
  public void close() throws Exception {
    try {
      pool.close().await().atMost(WAIT);
      db.close();
      pg.close();
    } finally {
      vertx.close().await().atMost(WAIT);
      LocalPostgres.deleteTree(dir);
    }
  }
}
