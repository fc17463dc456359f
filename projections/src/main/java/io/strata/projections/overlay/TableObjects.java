package io.strata.projections.overlay;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.projections.postgres.Sql;
import io.strata.projections.postgres.TableCatalog;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

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

    @JsonIgnore // not a field of the API's counts
    public boolean isEmpty() {
      return inserted == 0 && updated == 0 && deleted == 0;
    }
  }

  public record Status(Counts staged, Counts unstaged) {}

  /** A live non-default branch: its name and short id. */
  public record BranchRef(String name, String bid) {}

  /**
   * In one transaction, holding off writers of the table: installs the working log and the capture
   * triggers, then measures the rows, so that every later write is captured and none is missed. Every
   * live branch gets an empty overlay and its view: the table reads the same on every branch.
   *
   * @param isStale whether an existing registration (repository, name) is a leftover that may be replaced
   */
  public static Uni<TableCatalog.Measured> install(Pool pool, String repository, String name, String schema,
      String table, List<String> key, List<TableColumn> columns, List<BranchRef> branches,
      BiFunction<String, String, Uni<Boolean>> isStale) {
    String tid = OverlaySql.tableId(repository, name);
    OverlaySql sql = OverlaySql.of(tid, schema, table, key, columns);
    return pool.withTransaction(tx -> tx.query(OverlaySql.CREATE_SCHEMA).execute()
        .chain(() -> tx.query(OverlaySql.CREATE_REGISTRY + ";" + OverlaySql.CREATE_SIDECARS).execute())
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
            return dropIn(tx, OverlaySql.of(oldTid, schema, table, key, columns));
          });
        })
        .chain(() -> tx.query(sql.createWorkingLog()).execute())
        .chain(() -> tx.query(sql.createChanges()).execute())
        .chain(() -> tx.query(sql.createCapture(false, 0)).execute())
        .chain(() -> tx.query(sql.createTriggers()).execute())
        .chain(() -> tx.preparedQuery(OverlaySql.REGISTER).execute(Tuple.of(tid, repository, name, schema, table)))
        .chain(() -> Multi.createFrom().iterable(branches)
            .onItem().transformToUniAndConcatenate(b -> addBranch(tx, sql.onBranch(b.bid()), name, b.name(), null))
            .collect().last())
        .chain(() -> TableCatalog.measured(tx, schema, table)));
  }

  /** Removes the objects of a tracked table, its branches' included (idempotent). */
  public static Uni<Void> remove(Pool pool, OverlaySql sql) {
    return pool.withTransaction(tx -> dropIn(tx, sql));
  }

  private static Uni<Void> dropIn(SqlConnection tx, OverlaySql sql) {
    return tx.query(OverlaySql.CREATE_SCHEMA).execute()
        .chain(() -> tx.query(OverlaySql.CREATE_REGISTRY + ";" + OverlaySql.CREATE_SIDECARS).execute())
        .chain(() -> tx.preparedQuery(OverlaySql.OVERLAYS).execute(Tuple.of(sql.tableId())))
        .chain(rows -> {
          List<String> drops = new ArrayList<>();
          for (Row r : rows) {
            drops.add(sql.onBranch(r.getString(0)).dropBranchObjects(r.getString(2), r.getString(3))
                + OverlaySql.dropSchemaIfEmpty(r.getString(2)) + ";");
          }
          return tx.query(String.join("", drops) + sql.dropAll()).execute();
        })
        .chain(() -> tx.preparedQuery("delete from " + OverlaySql.SCHEMA + ".branch_overlays where tid = $1")
            .execute(Tuple.of(sql.tableId())))
        .chain(() -> tx.preparedQuery(OverlaySql.UNREGISTER).execute(Tuple.of(sql.tableId())))
        .replaceWithVoid();
  }

  /**
   * The schema of a branch's views: {@code strata_<branch>} when the name is a plain identifier that
   * fits, else a sanitised name with part of the branch id (identifier length and safety).
   */
  public static String viewSchema(String branch, String bid) {
    if (branch.matches("[A-Za-z0-9_]{1,55}")) {
      return "strata_" + branch;
    }
    String plain = branch.replaceAll("[^A-Za-z0-9_]", "_");
    return "strata_" + plain.substring(0, Math.min(plain.length(), 40)) + "_" + bid.substring(0, 6);
  }

  /**
   * Creates a branch's overlay, working log and view of one table, in the caller's transaction; starts
   * a new fork epoch of the table, at which the branch forks, and regenerates the capture on T so it
   * files pre-images under it. Holds off T's writers meanwhile: no write can fall between the fork
   * point and the capture.
   *
   * @param fill fills the overlay so the branch reads as its source (null: empty, the branch reads T)
   */
  public static Uni<Void> addBranch(SqlConnection tx, OverlaySql branch, String tableName, String branchName,
      Function<SqlConnection, Uni<?>> fill) {
    String viewSchema = viewSchema(branchName, branch.bid());
    return tx.query(branch.lockAgainstWriters()).execute()
        .chain(() -> tx.query(branch.createBranchObjects()).execute())
        .chain(() -> fill == null ? Uni.createFrom().voidItem() : fill.apply(tx).replaceWithVoid())
        .chain(() -> tx.query(branch.copyChecks()).execute())
        .chain(() -> tx.preparedQuery("select to_regclass($1) is not null")
            .execute(Tuple.of(Sql.qualified(viewSchema, tableName))))
        .chain(rows -> {
          String viewName = rows.iterator().next().getBoolean(0)
              ? tableName.substring(0, Math.min(tableName.length(), 40)) + "_" + branch.tableId() : tableName;
          return tx.preparedQuery(OverlaySql.NEXT_EPOCH).execute(Tuple.of(branch.tableId()))
              .map(epoch -> epoch.iterator().next().getLong(0))
              .call(epoch -> tx.query(branch.forkedAt(epoch).createView(viewSchema, viewName)).execute())
              .call(epoch -> QueryAccess.addViews(tx, branch.forkedAt(epoch)))
              .chain(epoch -> tx.preparedQuery(OverlaySql.REGISTER_OVERLAY).execute(Tuple.of(branch.tableId(),
                  branch.bid(), branchName, viewSchema, viewName, epoch)));
        })
        .chain(() -> regenerateCapture(tx, branch));
  }

  /** Removes a branch's overlay, working log and view of one table, in the caller's transaction. */
  public static Uni<Void> removeBranch(SqlConnection tx, OverlaySql branch) {
    return tx.query(branch.lockAgainstWriters()).execute()
        .chain(() -> tx.preparedQuery(OverlaySql.OVERLAYS).execute(Tuple.of(branch.tableId())))
        .chain(rows -> {
          for (Row r : rows) {
            if (r.getString(0).equals(branch.bid())) {
              return tx.query(branch.dropBranchObjects(r.getString(2), r.getString(3))
                      + OverlaySql.dropSchemaIfEmpty(r.getString(2))).execute()
                  .chain(() -> tx.preparedQuery(OverlaySql.UNREGISTER_OVERLAY)
                      .execute(Tuple.of(branch.tableId(), branch.bid())))
                  .chain(() -> tx.query(branch.collectPreimages()).execute())
                  .chain(() -> regenerateCapture(tx, branch));
            }
          }
          return Uni.createFrom().voidItem();
        });
  }

  static Uni<Void> regenerateCapture(SqlConnection tx, OverlaySql sql) {
    return tx.preparedQuery(OverlaySql.OVERLAYS).execute(Tuple.of(sql.tableId()))
        .chain(overlays -> tx.preparedQuery(OverlaySql.LAST_EPOCH).execute(Tuple.of(sql.tableId()))
            .chain(epoch -> tx.query(sql.createCapture(overlays.size() > 0, epoch.iterator().next().getLong(0)))
                .execute()))
        .replaceWithVoid();
  }

  /** What a commit captured from one table's staged changes. */
  public record Captured(String table, String changeSet, long inserted, long updated, long deleted, String sumDelta) {}

  /**
   * Captures the staged working changes of a table on a branch into a content-addressed change set
   * and removes them from the working log, in the caller's transaction (the one that appends the commit).
   *
   * @return empty when nothing staged changes the table
   */
  public static Uni<Optional<Captured>> capture(SqlConnection tx, OverlaySql sql, String name,
      boolean stageAll) {
    return capture(tx, sql, name, stageAll, null);
  }

  /**
   * The same, for a commit attempt whose append happens in another database: the captured working-log
   * rows are also kept in a recovery sidecar of {@code attempt} ({@link OverlaySql#CREATE_SIDECARS}
   * must exist), to be put back if it is never appended.
   */
  public static Uni<Optional<Captured>> capture(SqlConnection tx, OverlaySql sql, String name,
      boolean stageAll, String attempt) {
    // (a table tracked before commit gates existed got its gate in StrataLayout's upgrade to 2)
    Uni<Void> writersAwaited = sql.lockForCommit()
        .map(lock -> tx.query(lock).execute().replaceWithVoid())
        .orElse(Uni.createFrom().voidItem());
    return writersAwaited.chain(() -> tx.query(sql.analyzeIfStale()).execute())
        .chain(() -> tx.query(sql.createChanges()).execute())
        .chain(() -> tx.query(sql.lockStaged(stageAll)).execute())
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
          Uni<Void> sidecar = attempt == null
              ? Uni.createFrom().voidItem()
              : tx.preparedQuery(sql.saveSidecar()).execute(Tuple.of(attempt)).replaceWithVoid();
          return store.chain(() -> sidecar).chain(() -> tx.query(sql.clearCaptured()).execute())
              .map(done -> ins + upd + del == 0 ? Optional.<Captured>empty() : Optional.of(captured));
        });
  }

  /** Stages (or unstages) a branch's working changes in a table; the net changes concerned. */
  public static Uni<Counts> stage(Pool pool, OverlaySql sql, boolean staged) {
    return pool.withTransaction(tx -> tx.query(sql.analyzeIfStale()).execute()
        .chain(() -> tx.query(sql.stage(staged)).execute()).map(TableObjects::counts));
  }

  /** Discards a branch's working changes in a table: back to its last commit, exactly. */
  public static Uni<Counts> discard(Pool pool, OverlaySql sql) {
    return pool.withTransaction(tx -> tx.query(sql.lockWorkingState()).execute()
        .chain(() -> tx.query(sql.analyzeIfStale()).execute())
        .chain(() -> tx.query(sql.pending()).execute().map(TableObjects::counts))
        .call(() -> tx.query(sql.discard()).execute()));
  }

  private static Counts counts(RowSet<Row> rows) {
    Row r = rows.iterator().next();
    return new Counts(r.getLong("inserted"), r.getLong("updated"), r.getLong("deleted"));
  }

  /**
   * Where SQL reads and writes this table on the branch: the table itself on the default branch, else
   * the branch's view ({@code strata_<branch>.<table>}, or a longer name when that one was taken).
   */
  public static Uni<String> relation(SqlClient client, OverlaySql sql) {
    if (sql.isDefaultBranch()) {
      return Uni.createFrom().item(sql.table());
    }
    return client.preparedQuery(OverlaySql.OVERLAYS).execute(Tuple.of(sql.tableId())).map(rows -> {
      for (Row r : rows) {
        if (r.getString(0).equals(sql.bid())) {
          return Sql.qualified(r.getString(2), r.getString(3));
        }
      }
      return null;
    });
  }

  /** A branch's working changes in a table. */
  public static Uni<Status> status(SqlClient client, OverlaySql sql) {
    return client.query(sql.status()).execute().map(rows -> {
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
