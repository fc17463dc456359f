package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.projections.postgres.TableCatalog;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.List;

/** Installs, removes and reads Strata's objects beside a tracked table, in the table's database. */
public final class TableObjects {
  private TableObjects() {}

  /** The table is tracked by another repository (or under another name). */
  public static final class AlreadyTracked extends RuntimeException {
    public final String repository;
    public final String name;

    AlreadyTracked(String repository, String name) {
      super("already tracked by repository " + repository + " as " + name, null, false, false);
      this.repository = repository;
      this.name = name;
    }
  }

  /** Working-change counts of one table, split by staged and unstaged. */
  public record Counts(long inserted, long updated, long deleted) {
    public static final Counts NONE = new Counts(0, 0, 0);

    public boolean isEmpty() {
      return inserted == 0 && updated == 0 && deleted == 0;
    }
  }

  public record Status(Counts staged, Counts unstaged) {}

  /**
   * In one transaction, holding off writers of the table: installs the working log and the capture
   * triggers, then measures the rows, so that every later write is captured and none is missed.
   *
   * @param isStale whether an existing registration (repository, name) is a leftover that may be replaced
   */
  public static Uni<TableCatalog.Measured> install(Pool pool, String repository, String name, String schema,
      String table, List<String> key, java.util.function.BiFunction<String, String, Uni<Boolean>> isStale) {
    String tid = OverlaySql.tableId(repository, name);
    OverlaySql sql = new OverlaySql(tid, schema, table, key);
    return pool.withTransaction(tx -> tx.query(OverlaySql.CREATE_SCHEMA).execute()
        .chain(() -> tx.query(OverlaySql.CREATE_REGISTRY).execute())
        .chain(() -> tx.query(sql.lockAgainstWriters()).execute())
        .chain(() -> tx.preparedQuery(OverlaySql.REGISTRY_ENTRY).execute(Tuple.of(schema, table)))
        .chain(rows -> {
          if (rows.rowCount() == 0) {
            return Uni.createFrom().voidItem();
          }
          Row existing = rows.iterator().next();
          String oldTid = existing.getString(0);
          return isStale.apply(existing.getString(1), existing.getString(2)).chain(stale -> {
            if (!stale) {
              throw new AlreadyTracked(existing.getString(1), existing.getString(2));
            }
            return dropIn(tx, oldTid, schema, table, key);
          });
        })
        .chain(() -> tx.query(sql.createWorkingLog()).execute())
        .chain(() -> tx.query(sql.createChanges()).execute())
        .chain(() -> tx.query(sql.createCapture()).execute())
        .chain(() -> tx.preparedQuery(OverlaySql.REGISTER).execute(Tuple.of(tid, repository, name, schema, table)))
        .chain(() -> TableCatalog.measured(tx, schema, table)));
  }

  /** Removes the objects of a tracked table (idempotent). */
  public static Uni<Void> remove(Pool pool, String repository, String name, String schema, String table,
      List<String> key) {
    return pool.withTransaction(tx -> dropIn(tx, OverlaySql.tableId(repository, name), schema, table, key));
  }

  private static Uni<Void> dropIn(SqlConnection tx, String tid, String schema, String table, List<String> key) {
    OverlaySql sql = new OverlaySql(tid, schema, table, key);
    return tx.query(OverlaySql.CREATE_SCHEMA).execute()
        .chain(() -> tx.query(OverlaySql.CREATE_REGISTRY).execute())
        .chain(() -> tx.query(sql.dropAll()).execute())
        .chain(() -> tx.preparedQuery(OverlaySql.UNREGISTER).execute(Tuple.of(tid)))
        .replaceWithVoid();
  }

  /** What a commit captured from one table's staged changes. */
  public record Captured(String table, String changeSet, long inserted, long updated, long deleted, String sumDelta) {}

  /**
   * Captures the staged working changes of a table into a content-addressed change set and removes
   * them from the working log, in the caller's transaction (the one that appends the commit).
   *
   * @return empty when nothing staged changes the table
   */
  public static Uni<java.util.Optional<Captured>> capture(SqlConnection tx, String repository, String name,
      String schema, String table, List<String> key, boolean stageAll) {
    OverlaySql sql = new OverlaySql(OverlaySql.tableId(repository, name), schema, table, key);
    Uni<Void> staged = stageAll
        ? tx.query(sql.stageAll()).execute().replaceWithVoid()
        : Uni.createFrom().voidItem();
    return staged
        .chain(() -> tx.query(sql.createChanges()).execute())
        .chain(() -> tx.query(sql.lockStaged()).execute())
        .chain(() -> tx.query(sql.capture()).execute())
        .chain(() -> tx.query(sql.summarizeCapture()).execute())
        .chain(rows -> {
          Row r = rows.iterator().next();
          long ins = r.getLong(0);
          long upd = r.getLong(1);
          long del = r.getLong(2);
          Captured captured = new Captured(name, r.getString(3), ins, upd, del, r.getString(4));
          Uni<Void> store = ins + upd + del == 0
              ? Uni.createFrom().voidItem()
              : tx.preparedQuery(sql.storeCapture()).execute(Tuple.of(captured.changeSet())).replaceWithVoid();
          return store.chain(() -> tx.query(sql.clearCaptured()).execute())
              .map(done -> ins + upd + del == 0 ? java.util.Optional.<Captured>empty() : java.util.Optional.of(captured));
        });
  }

  /** The number of staged working changes of a table (to refuse what a commit could not capture atomically). */
  public static Uni<Long> stagedCount(Pool pool, String repository, String name, String schema, String table,
      List<String> key) {
    OverlaySql sql = new OverlaySql(OverlaySql.tableId(repository, name), schema, table, key);
    return pool.query("select count(*) from " + sql.workingLog() + " where __staged").execute()
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /** Stages (or unstages) the default branch's working changes in a table; the net changes concerned. */
  public static Uni<Counts> stage(Pool pool, String repository, String name, String schema, String table,
      List<String> key, boolean staged) {
    OverlaySql sql = new OverlaySql(OverlaySql.tableId(repository, name), schema, table, key);
    return pool.withTransaction(tx -> tx.query(sql.stage(staged)).execute().map(TableObjects::counts));
  }

  /** Discards the default branch's working changes in a table: back to the last commit, exactly. */
  public static Uni<Counts> discard(Pool pool, String repository, String name, String schema, String table,
      List<String> key, List<String> columns) {
    OverlaySql sql = new OverlaySql(OverlaySql.tableId(repository, name), schema, table, key, columns);
    return pool.withTransaction(tx -> tx.query(sql.lockAgainstWriters()).execute()
        .chain(() -> tx.query(sql.pending()).execute().map(TableObjects::counts))
        .call(() -> tx.query(sql.discard()).execute()));
  }

  private static Counts counts(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
    Row r = rows.iterator().next();
    return new Counts(r.getLong("inserted"), r.getLong("updated"), r.getLong("deleted"));
  }

  /** The default branch's working changes in a table. */
  public static Uni<Status> status(Pool pool, String repository, String name, String schema, String table,
      List<String> key) {
    OverlaySql sql = new OverlaySql(OverlaySql.tableId(repository, name), schema, table, key);
    return pool.query(sql.status()).execute().map(rows -> {
      Counts staged = Counts.NONE;
      Counts unstaged = Counts.NONE;
      for (Row r : rows) {
        Counts c = new Counts(r.getLong("inserted"), r.getLong("updated"), r.getLong("deleted"));
        if (r.getBoolean(0)) {
          staged = c;
        } else {
          unstaged = c;
        }
      }
      return new Status(staged, unstaged);
    });
  }
}
