package io.strata.projections.delta;

import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.QueryAccess;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.RowDataRoles;
import io.strata.projections.rowdata.StateReads;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.WorkingState;
import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * The Delta Lake backend of the row-data contract suites: tables on a local directory (a {@code file:} storage),
 * Strata's refs in a database of the test server with the product's migrations, and clients' writes as another
 * engine's commits to the table's (or the branch's) root: a copy-on-write rewrite of the files holding the key.
 */
final class DeltaRowDataBackend implements RowDataBackend<UnitOfWork> {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static DeltaRowDataBackend shared;
  private static final StructType SCHEMA = new StructType().add("id", IntegerType.INTEGER, false)
      .add("v", StringType.STRING);

  private final Pool pool;
  private final DeltaStorage storage;
  private final ExecutorService io = Executors.newFixedThreadPool(4);
  private final RowDataRoles roles = DeltaUnit.ROLES;

  private DeltaRowDataBackend(Pool pool, DeltaStorage storage) {
    this.pool = pool;
    this.storage = storage;
  }

  /** One database and one directory for every suite of the JVM: each test makes tables of its own. */
  static synchronized DeltaRowDataBackend shared() {
    if (shared == null) {
      try {
        TestDatabase database = TestPostgres.shared().newDatabase();
        Path lake = Files.createTempDirectory("strata-delta-contract");
        shared = new DeltaRowDataBackend(database.pool(Vertx.vertx(), 8),
            DeltaStorage.local(lake.toUri().toString()));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
    return shared;
  }

  /** The directory the suites' tables are made in. */
  DeltaStorage storage() {
    return storage;
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

  @Override
  public TrackedTable newUntrackedTable(String repository, String name, Map<Integer, String> rows) {
    String path = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "/" + name;
    String root = storage.url() + "/" + path;
    try {
      KernelTables.create(DeltaTable.defaultEngine(), root, SCHEMA);
      if (!rows.isEmpty()) {
        List<Map<String, Object>> data = new java.util.ArrayList<>();
        new TreeMap<>(rows).forEach((id, v) -> data.add(row(id, v)));
        KernelTables.append(DeltaTable.defaultEngine(), root, List.of(data));
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return new TrackedTable(repository, name, "", path, List.of("id"),
        List.of(new TableColumn("id", "integer", false), new TableColumn("v", "string", true)));
  }

  @Override
  public <T> T inUnitOfWork(TrackedTable table, Function<UnitOfWork, Uni<T>> work) {
    return pool.withTransaction(c -> work.apply(new DeltaUnit(c, storage, io, pool))).await().atMost(WAIT);
  }

  /** As the server rolls a unit back: what it wrote to Delta tables put back first (versions stay, rows go back). */
  @Override
  public <T> T inRolledBackUnitOfWork(TrackedTable table, Function<UnitOfWork, Uni<T>> work) {
    return pool.withConnection(c -> c.begin().chain(tx -> {
      DeltaUnit unit = new DeltaUnit(c, storage, io, pool);
      return work.apply(unit).eventually(() -> unit.compensate().chain(tx::rollback).chain(unit::forgetIntents));
    })).await().atMost(WAIT);
  }

  /** The root clients write the table at on {@code branch}: the table's own on the default branch. */
  /** A unit of this backend on {@code c} (in the caller's transaction), journalling what it writes. */
  DeltaUnit unit(io.vertx.mutiny.sqlclient.SqlConnection c) {
    return new DeltaUnit(c, storage, io, pool);
  }

  Pool pool() {
    return pool;
  }

  String root(TrackedTable table, String branch) {
    return branch.equals(DEFAULT_BRANCH) ? storage.table(table.table()).root().toString()
        : location(table, branch).orElseThrow();
  }

  @Override
  public List<String> keyToDeclare(TrackedTable table) {
    return table.key();
  }

  /** A Delta table's shape changes by Delta's own schema evolution, not by statements Strata writes. */
  @Override
  public boolean shapesMigrate() {
    return false;
  }

  @Override
  public void upsert(TrackedTable table, String branch, int id, String v) {
    write(table, branch, id, row(id, v));
  }

  @Override
  public void delete(TrackedTable table, String branch, int id) {
    write(table, branch, id, null);
  }

  /** Another engine's write of one key: the files that may hold it rewritten, in one commit. */
  private void write(TrackedTable table, String branch, int id, Map<String, Object> row) {
    DeltaTable target = storage.tableAt(root(table, branch));
    Map<List<Object>, Map<String, Object>> writes = new LinkedHashMap<>();
    writes.put(List.of(id), row);
    try {
      DeltaMerge.apply(new DeltaMerge.Plan(target.latest().getVersion(), writes, Map.of()), target, List.of("id"),
          "another-engine-" + UUID.randomUUID(), System.currentTimeMillis());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Map<Integer, String> read(TrackedTable table, String branch) {
    DeltaTable t = storage.tableAt(root(table, branch));
    Map<Integer, String> rows = new TreeMap<>();
    t.rows(t.latest(), List.of("id")).forEach((k, r) -> rows.put((Integer) r.get("id"), (String) r.get("v")));
    return rows;
  }

  @Override
  public List<String> objectsOf(TrackedTable table, String branch) {
    return inUnitOfWork(table, x -> DeltaRefs.refs(DeltaUnit.of(x).metadata(), table.repository(), table.name()))
        .entrySet().stream().filter(e -> e.getKey().equals(branch) && Files.exists(Path.of(
            java.net.URI.create(e.getValue().root())))).map(e -> e.getValue().root()).toList();
  }

  @Override
  public List<String> objectsOf(TrackedTable table) {
    return inUnitOfWork(table, x -> DeltaRefs.refs(DeltaUnit.of(x).metadata(), table.repository(), table.name()))
        .values().stream().map(DeltaRefs.Ref::root).toList();
  }

  private static Map<String, Object> row(int id, String v) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", id);
    row.put("v", v);
    return row;
  }

  // ---- what only PostgreSQL tables have: SQL sessions, triggers, DDL, constraints, computed columns ----

  @Override
  public Map<Integer, String> readAs(String role, String password, String relation) {
    throw new org.opentest4j.TestAbortedException("Delta tables have no SQL sessions");
  }

  /**
   * The merge table as a Delta table: {@code doc} a string column holding the JSON (Delta has no JSON type: {@link
   * #jsonColumns}), {@code n} a plain column (Delta computes none).
   */
  @Override
  public TrackedTable newMergeTable(String repository, List<String> rows) {
    StructType schema = new StructType().add("k1", IntegerType.INTEGER, false).add("k2", StringType.STRING, false)
        .add("a", IntegerType.INTEGER).add("b", StringType.STRING).add("doc", StringType.STRING)
        .add("n", IntegerType.INTEGER);
    String path = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "/items";
    String root = storage.url() + "/" + path;
    try {
      KernelTables.create(DeltaTable.defaultEngine(), root, schema);
      List<Map<String, Object>> data = new java.util.ArrayList<>();
      for (String json : rows) {
        com.fasterxml.jackson.databind.JsonNode r = JSON.readTree(json);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("k1", r.get("k1").asInt());
        row.put("k2", r.get("k2").asText());
        row.put("a", r.get("a").isNull() ? null : r.get("a").asInt());
        row.put("b", r.get("b").isNull() ? null : r.get("b").asText());
        row.put("doc", r.get("doc").isNull() ? null : r.get("doc").asText());
        row.put("n", r.get("n").isNull() ? null : r.get("n").asInt());
        data.add(row);
      }
      if (!data.isEmpty()) {
        KernelTables.append(DeltaTable.defaultEngine(), root, List.of(data));
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    TrackedTable t = new TrackedTable(repository, "items", "", path, List.of("k1", "k2"), List.of(
        new TableColumn("k1", "integer", false), new TableColumn("k2", "string", false),
        new TableColumn("a", "integer", true), new TableColumn("b", "string", true),
        new TableColumn("doc", "string", true), new TableColumn("n", "integer", true)));
    inUnitOfWork(t, x -> roles.tracking().track(x, t, List.of(), (r, n) -> Uni.createFrom().item(false)));
    return t;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** Delta has no JSON column type: a merge table's {@code doc} is text. */
  @Override
  public boolean jsonColumns() {
    return false;
  }

  /** Other engines write a Delta table as they please: Strata's lock holds off only Strata's own writes. */
  @Override
  public boolean clientWritersCanBeHeldOff() {
    return false;
  }

  /** A change set of a Delta table is named by the two states it leads between (docs/delta.md, §3). */
  @Override
  public boolean changeSetsAreContentAddressed() {
    return false;
  }

  @Override
  public Set<String> derivedColumns() {
    return Set.of();
  }

  @Override
  public void makeWritesReachOtherRows(TrackedTable table) {
    throw new org.opentest4j.TestAbortedException("a Delta table has no triggers or foreign keys: its writes reach"
        + " no other rows");
  }

  @Override
  public void addColumn(TrackedTable table, String column) {
    DeltaTable t = storage.table(table.table());
    try {
      DeltaSchema.addColumn(t, t.latest().getVersion(), column, StringType.STRING, "another-engine", 0);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void addColumnFollowedAndWrite(TrackedTable table, String column, int id, String v, String value) {
    throw new org.opentest4j.TestAbortedException("Delta tables have no DDL for Strata to follow");
  }

  @Override
  public void migrate(TrackedTable table, List<String> statements) {
    throw new org.opentest4j.TestAbortedException("Delta tables have no SQL migrations");
  }

  @Override
  public void dropTable(TrackedTable table) {
    try (var paths = Files.walk(Path.of(storage.table(table.table()).root()))) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void refuse(TrackedTable table, String value, String refusal) {
    throw new org.opentest4j.TestAbortedException("a Delta table has no constraints Strata holds rows to");
  }
}
