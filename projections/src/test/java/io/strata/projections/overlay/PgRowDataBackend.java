package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.projections.postgres.Sql;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.QueryAccess;
import io.strata.projections.rowdata.StateReads;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.RowDataRoles;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.WorkingState;
import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * The PostgreSQL backend of the row-data contract suites: one database of the test server with
 * Strata's layout, tables in {@code public}, clients' reads and writes as SQL on the table (default
 * branch) or the branch's view ({@code MERGE}, as the README tells clients to upsert there).
 */
final class PgRowDataBackend implements RowDataBackend<UnitOfWork> {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static PgRowDataBackend shared;

  private final Vertx vertx;
  private final TestDatabase database;
  private final Pool pool;
  private final RowDataRoles roles = PgUnit.ROLES;

  private PgRowDataBackend(Vertx vertx, TestDatabase database) {
    this.vertx = vertx;
    this.database = database;
    this.pool = database.pool(vertx, 8);
  }

  /** One database for every suite of the JVM: each test makes tables and repositories of its own. */
  static synchronized PgRowDataBackend shared() {
    if (shared == null) {
      shared = new PgRowDataBackend(Vertx.vertx(), TestPostgres.shared().newDatabase());
      StrataLayout.upgrade(shared.pool).await().atMost(WAIT);
    }
    return shared;
  }

  @Override
  public BranchObjects<UnitOfWork> branchObjects() {
    return roles.branchObjects();
  }

  @Override
  public WorkingState<UnitOfWork> workingState() {
    return roles.workingState();
  }

  @Override
  public Tracking<UnitOfWork> tracking() {
    return roles.tracking();
  }

  @Override
  public ChangeSets<UnitOfWork> changeSets() {
    return roles.changeSets();
  }

  @Override
  public StateReads<UnitOfWork> stateReads() {
    return roles.stateReads();
  }

  @Override
  public QueryAccess<UnitOfWork> queryAccess() {
    return roles.queryAccess();
  }

  @Override
  public Merges<UnitOfWork> merges() {
    return roles.merges();
  }

  /** One connection of {@code role}, as the query endpoint opens them. */
  @Override
  public Map<Integer, String> readAs(String role, String password, String relation) {
    PgConnectOptions options = new PgConnectOptions().setHost(database.host()).setPort(database.port())
        .setDatabase(database.database()).setUser(role).setPassword(password);
    return PgConnection.connect(vertx, options)
        .chain(c -> c.query("select id, v from " + relation + " s").execute()
            .eventually(c::close))
        .map(rows -> {
          Map<Integer, String> found = new TreeMap<>();
          rows.forEach(r -> found.put(r.getInteger(0), r.getString(1)));
          return found;
        })
        .await().atMost(WAIT);
  }

  @Override
  public TrackedTable newUntrackedTable(String repository, String name, Map<Integer, String> rows) {
    String table = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    StringBuilder setUp = new StringBuilder("create table public." + table + " (id int primary key, v text);");
    rows.forEach((id, v) -> setUp.append("insert into public.").append(table).append(" values (").append(id)
        .append(", ").append(OverlaySql.literal(v)).append(");"));
    return pool.query(setUp.toString()).execute()
        .chain(() -> TableCatalog.inspect(pool, "public", table, List.of("id")))
        .map(shape -> new TrackedTable(repository, name, "public", table,
            shape.primaryKey(), shape.columns()))
        .await().atMost(WAIT);
  }

  @Override
  public <T> T inUnitOfWork(TrackedTable table, Function<UnitOfWork, Uni<T>> work) {
    return pool.withTransaction(c -> work.apply(new PgUnit(c))).await().atMost(WAIT);
  }

  @Override
  public <T> T inRolledBackUnitOfWork(TrackedTable table, Function<UnitOfWork, Uni<T>> work) {
    return pool.withConnection(c -> c.begin().chain(tx -> work.apply(new PgUnit(c)).eventually(tx::rollback)))
        .await().atMost(WAIT);
  }

  @Override
  public TrackedTable newMergeTable(String repository, List<String> rows) {
    String table = "m_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String create = "create table public." + table + " (k1 int, k2 text, a int, b text, doc jsonb,"
        + " n int generated always as (coalesce(a, 0) + 1) stored, primary key (k1, k2))";
    TrackedTable t = pool.query(create).execute()
        .chain(() -> pool.preparedQuery("insert into public." + table + " (k1, k2, a, b, doc)"
                + " select k1, k2, a, b, doc from jsonb_populate_recordset(null::public." + table + ", $1::text::jsonb)")
            .execute(Tuple.of("[" + String.join(", ", rows) + "]")))
        .chain(() -> TableCatalog.inspect(pool, "public", table, List.of("k1", "k2")))
        .map(shape -> new TrackedTable(repository, "items", "public", table, shape.primaryKey(), shape.columns()))
        .await().atMost(WAIT);
    inUnitOfWork(t, x -> roles.tracking().track(x, t, List.of(), (r, n) -> Uni.createFrom().item(false)));
    return t;
  }

  @Override
  public Set<String> derivedColumns() {
    return Set.of("n");
  }

  private String relation(TrackedTable table, String branch) {
    return location(table, branch).orElseThrow(() -> new IllegalStateException("no " + branch + " of " + table));
  }

  @Override
  public void upsert(TrackedTable table, String branch, int id, String v) {
    pool.preparedQuery("merge into " + relation(table, branch) + " r using (select $1::int as id, $2::text as v) s"
            + " on r.id = s.id when matched then update set v = s.v when not matched then insert (id, v) values (s.id, s.v)")
        .execute(Tuple.of(id, v)).await().atMost(WAIT);
  }

  @Override
  public void delete(TrackedTable table, String branch, int id) {
    pool.preparedQuery("delete from " + relation(table, branch) + " where id = $1").execute(Tuple.of(id))
        .await().atMost(WAIT);
  }

  @Override
  public void makeWritesReachOtherRows(TrackedTable table) {
    pool.query("create table public." + table.table() + "_refs (id int references " + Sql.qualified(table.schema(),
        table.table()) + " (id) on delete cascade)").execute().await().atMost(WAIT);
  }

  /** DDL the DDL guard would refuse, made anyway (as a user who sets this may). */
  private static final String PAST_THE_GUARD = "set local strata.ddl_check = 'off';\n";

  @Override
  public void addColumn(TrackedTable table, String column) {
    pool.withTransaction(c -> c.query(PAST_THE_GUARD + "alter table " + Sql.qualified(table.schema(), table.table())
        + " add column " + Sql.quote(column) + " text").execute()).await().atMost(WAIT);
  }

  @Override
  public void addColumnFollowedAndWrite(TrackedTable table, String column, int id, String v, String value) {
    String t = Sql.qualified(table.schema(), table.table());
    pool.withTransaction(c -> c.query(PAST_THE_GUARD + "alter table " + t + " add column " + Sql.quote(column) + " text;"
        + "select strata.follow_columns(" + OverlaySql.literal(table.id()) + ", true);"
        + "insert into " + t + " (id, v, " + Sql.quote(column) + ") values (" + id + ", " + OverlaySql.literal(v) + ", "
        + OverlaySql.literal(value) + ") on conflict (id) do update set v = excluded.v, "
        + Sql.quote(column) + " = excluded." + Sql.quote(column)).execute()).await().atMost(WAIT);
  }

  @Override
  public void migrate(TrackedTable table, List<String> statements) {
    pool.withTransaction(c -> c.query(PAST_THE_GUARD + String.join(";\n", statements)).execute()).await().atMost(WAIT);
  }

  @Override
  public void dropTable(TrackedTable table) {
    pool.withTransaction(c -> c.query(PAST_THE_GUARD + "drop table " + Sql.qualified(table.schema(), table.table())
        + " cascade").execute()).await().atMost(WAIT);
  }

  @Override
  public void refuse(TrackedTable table, String value, String refusal) {
    pool.query("alter table " + Sql.qualified(table.schema(), table.table()) + " add constraint " + Sql.quote(refusal)
        + " check (v <> " + OverlaySql.literal(value) + ")").execute().await().atMost(WAIT);
  }

  @Override
  public Map<Integer, String> read(TrackedTable table, String branch) {
    Map<Integer, String> rows = new TreeMap<>();
    for (Row r : pool.query("select id, v from " + relation(table, branch)).execute().await().atMost(WAIT)) {
      rows.put(r.getInteger(0), r.getString(1));
    }
    return rows;
  }

  @Override
  public List<String> objectsOf(TrackedTable table) {
    List<String> found = new ArrayList<>();
    for (Row r : pool.preparedQuery("""
            select 'relation ' || relname from pg_class where relname like $1 || '%'
            union all select 'function ' || proname from pg_proc where proname like $1 || '%'
            union all select 'trigger ' || tgname from pg_trigger where tgname like 'strata_' || $1 || '%'
            union all select 'registration ' || tid from strata.tracked_tables where tid = $1
            union all select 'branch ' || bid from strata.branch_overlays where tid = $1""")
        .execute(Tuple.of(table.id())).await().atMost(WAIT)) {
      found.add(r.getString(0));
    }
    return found;
  }

  @Override
  public List<String> objectsOf(TrackedTable table, String branch) {
    String bid = table.branchId(branch);
    List<String> found = new ArrayList<>();
    for (Row r : pool.preparedQuery("""
            select 'relation ' || relname from pg_class where relname like '%' || $1 || '%'
            union all select 'function ' || proname from pg_proc where proname like '%' || $1 || '%'
            union all select 'schema ' || nspname from pg_namespace where nspname = 'strata_' || $2
            union all select 'registration ' || branch from strata.branch_overlays where tid = $3 and bid = $1""")
        .execute(Tuple.of(bid, branch, table.id())).await().atMost(WAIT)) {
      found.add(r.getString(0));
    }
    return found;
  }
}
