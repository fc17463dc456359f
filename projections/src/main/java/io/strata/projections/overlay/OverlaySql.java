package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.TrackedTable;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The DDL and statements of the objects Strata keeps beside a tracked table {@code T}, in schema
 * {@code strata} of the table's own database. Objects are named after a short table id ({@code tid}),
 * never after user names, so identifiers stay short and safe.
 *
 * <ul>
 *   <li>{@code <tid>__w_0}: the working log of the default branch — the key of every row changed since
 *       the last commit, its first before-image ({@code null}: the key did not exist) and whether it is
 *       staged;
 *   <li>statement-level capture triggers on {@code T} (transition tables), which record every write
 *       to {@code T} into the working log unless a projector is applying an event
 *       ({@code strata.applying = on});
 *   <li>a guard that refuses {@code TRUNCATE}, which would bypass the capture;
 *   <li>per live non-default branch ({@code bid}, a short branch id): the overlay {@code <tid>__v_<bid>}
 *       (the rows the branch itself made differ from {@code T}, with a tombstone flag), its working log
 *       {@code <tid>__w_<bid>}, and an updatable view in schema {@code strata_<branch>} whose INSTEAD OF
 *       trigger writes both;
 *   <li>one pre-image log {@code <tid>__p} shared by all branches: while branches live, the capture on
 *       {@code T} keeps the first pre-image of each key written in each <em>fork epoch</em> (every branch
 *       creation starts a new one), or a tombstone for a key that did not exist. A branch forked at epoch
 *       {@code e} reads a key from the entry with the smallest epoch {@code >= e}, else from {@code T}:
 *       one write per changed row whatever the number of branches, and no write to {@code T} leaks into
 *       a branch.
 * </ul>
 *
 * <p>An instance describes one table as seen from one branch ({@link #onBranch}): the working log, the
 * relation holding the branch's working state ({@link #state()}), and the statements over them.
 */
final class OverlaySql {
  public static final String SCHEMA = "strata";

  private final String tid;
  private final String table;
  private final List<String> key;
  /** The columns of the branch this instance describes (the default branch's: T's). */
  private final BranchShape shape;
  /** The branch this instance describes; null for the default branch (the table itself). */
  private final String bid;
  /** The branch's fork epoch when the SQL may name it as a constant (see {@link #forkedAt}); else null. */
  private final Long knownForkEpoch;

  private OverlaySql(String tid, String qualifiedTable, List<String> key, BranchShape shape, String bid,
      Long knownForkEpoch) {
    this.tid = tid;
    this.table = qualifiedTable;
    this.key = List.copyOf(key);
    this.shape = shape;
    this.bid = bid;
    this.knownForkEpoch = knownForkEpoch;
    key.forEach(Sql::quote); // validates
    if (bid != null && !bid.matches("[0-9a-f]{10}")) {
      throw new IllegalArgumentException("not a branch id: " + bid);
    }
  }

  /**
   * A tracked table, as the default branch sees it; {@link #onBranch} gives another branch the columns
   * the table was given for its ref ({@link TrackedTable#refColumns}).
   */
  public static OverlaySql of(TrackedTable t) {
    return new OverlaySql(t.id(), Sql.qualified(t.schema(), t.table()), t.key(), new BranchShape(t.key(), t.columns(),
        t.refColumns(), t.refAdded(), false, t.refRenamed(), t.refRedefined()), null, null);
  }

  /** A tracked table, as {@code branch} sees it. */
  static OverlaySql of(TrackedTable t, BranchRef branch) {
    return of(t).onBranch(branch.isDefault() ? null : t.branchId(branch.name()));
  }

  /** Whether relation $1 (a qualified name) exists. */
  static final String EXISTS = "select to_regclass($1) is not null";

  /** A table with the columns the catalog gave (their NOT NULL rules hold in overlays too). */
  public static OverlaySql of(String tid, String schema, String table, List<String> key,
      List<TableColumn> columns) {
    return new OverlaySql(tid, Sql.qualified(schema, table), key, tableShape(key, columns), null, null);
  }

  /** The same table, as the default branch sees it, with {@code columns} as T's: for a capture template. */
  OverlaySql withTableColumns(List<TableColumn> columns) {
    return new OverlaySql(tid, table, key, tableShape(key, columns), null, null);
  }

  private static BranchShape tableShape(List<String> key, List<TableColumn> columns) {
    return new BranchShape(key, columns, null, null, false, null, null);
  }

  /**
   * The same, on a branch whose columns are {@code columns} (its own row type's; null: the table's), of
   * which it added {@code added}.
   */
  OverlaySql withBranchShape(List<TableColumn> columns, List<TableShape.Column> added) {
    return new OverlaySql(tid, table, key, shape.withColumns(columns, added), bid, knownForkEpoch);
  }

  /** The same table as branch {@code bid} sees it ({@code null}: the default branch). */
  public OverlaySql onBranch(String branchId) {
    return new OverlaySql(tid, table, key, shape.with(branchId != null, shape.renamed(), shape.givenRedefinitions()),
        branchId, null);
  }

  /**
   * The same, naming the branch's fork epoch as a constant rather than looking it up: for its view,
   * created with the epoch and never outliving it, so a point read through it spares two lookups.
   */
  public OverlaySql forkedAt(long epoch) {
    return new OverlaySql(tid, table, key, shape, bid, epoch);
  }

  /** The same, showing the columns {@code renamedAfter} names under those names. */
  OverlaySql withRenamed(Map<String, String> renamedAfter) {
    return new OverlaySql(tid, table, key, shape.with(bid != null, renamedAfter, shape.givenRedefinitions()), bid,
        knownForkEpoch);
  }

  /** The same, defining the table's own columns as {@code redefinedAfter} does (by stored name). */
  OverlaySql withRedefined(List<TableShape.Column> redefinedAfter) {
    return new OverlaySql(tid, table, key, shape.with(bid != null, shape.renamed(), redefinedAfter), bid,
        knownForkEpoch);
  }

  /** The columns of the branch this instance describes: which, in which types and names, and how T's rows read. */
  BranchShape shape() {
    return shape;
  }

  public boolean isDefaultBranch() {
    return bid == null;
  }

  public String tableId() {
    return tid;
  }

  public String bid() {
    return bid;
  }

  public String table() {
    return table;
  }

  public List<String> key() {
    return key;
  }

  /** The columns of the branch this instance describes. */
  public List<String> columns() {
    return shape.columns();
  }

  /**
   * The row type of this branch's rows: T's, or where the branch's columns differ from T's, a composite
   * type of the branch's own ({@link BranchObjectsSql#create}). Images become rows of the branch through
   * it ({@code jsonb_populate_record(null::<row type>, image)}), so a column T has and the branch does
   * not is never written into the branch, nor read from it.
   */
  String rowType() {
    // the statement text names the definition too (a comment): a connection's prepared statements are planned
    // for the row type as it was, and PostgreSQL does not plan them again when an attribute changes type; and
    // the generation of the server's row types, for a type dropped and made again with a definition it had
    // (its statements would name a type that is gone: "function in FROM has unsupported return type")
    // T's own row type too: a table dropped and made again under its name (untracked, made again on a branch)
    return shape.hasOwnShape() ? ownRowType() + "/*" + io.strata.events.CommitIds.sha256Hex(shape.rowTypeDefinition())
        .substring(0, 12) + "." + ROW_TYPES.get() + "*/" : table + "/*" + ROW_TYPES.get() + "*/";
  }

  /**
   * Bumped whenever a row type may be made, dropped or made again ({@link #rowType}): a branch's own, or a tracked
   * table's as Strata tracks, untracks, makes or drops it. Per server: another server's connections learn of it
   * from the error their statement meets (a 500 naming an unsupported return type) — one server writes.
   */
  private static final java.util.concurrent.atomic.AtomicLong ROW_TYPES = new java.util.concurrent.atomic.AtomicLong();

  /** A branch's row type is changing: statements written from now on are prepared afresh. */
  static void rowTypesChanging() {
    ROW_TYPES.incrementAndGet();
  }

  /** The name a branch's own row type has, whether or not it has one: dropped with the branch. */
  String ownRowType() {
    return SCHEMA + "." + Sql.quote(tid + "__r_" + bid);
  }

  public String workingLog() {
    return SCHEMA + "." + Sql.quote(tid + "__w_" + (bid == null ? "0" : bid));
  }

  public String overlay() {
    return SCHEMA + "." + Sql.quote(tid + "__v_" + bid);
  }


  /**
   * The relation holding this branch's working state: the table itself for the default branch, else
   * one overlay level over it, at any depth ({@link BranchStateSql}). Its columns are exactly the
   * branch's ({@link #columns}: the table's, unless the branch keeps columns of its own), so {@code
   * to_jsonb} of a row is the branch's image of it either way.
   */
  public String state() {
    return bid == null ? table : BranchStateSql.state(this);
  }

  /** The shared pre-image log of this table. */
  public String preimages() {
    return SCHEMA + "." + Sql.quote(tid + "__p");
  }

  /** The epoch this branch forked at (a scalar subquery: the planner evaluates it once). */
  String forkEpoch() {
    if (knownForkEpoch != null) {
      return "(" + knownForkEpoch + "::bigint)";
    }
    return fill("(select b.fork_epoch from strata.branch_overlays b where b.tid = {tid} and b.bid = {bid})",
        "tid", literal(tid), "bid", literal(bid));
  }

  /** Whether the row {@code alias} of a left join on {@link #state()} is there (key columns are not null). */
  String present(String alias) {
    return alias + "." + Sql.quote(key.get(0)) + " is not null";
  }

  /** Row {@code alias}'s key as one text, its values joined by ', ': how refusals name a row. */
  String keyText(String alias) {
    return key.stream().map(k -> alias + "." + Sql.quote(k) + "::text").collect(Collectors.joining(" || ', ' || "));
  }

  String keyList(String alias) {
    return list(key, alias);
  }

  /** {@code "c" = alias."c", …} for each of {@code names}: an UPDATE's SET list from another row. */
  static String assign(List<String> names, String alias) {
    return names.stream().map(c -> Sql.quote(c) + " = " + alias + "." + Sql.quote(c)).collect(Collectors.joining(", "));
  }

  static String list(List<String> names, String alias) {
    return names.stream().map(k -> (alias == null ? "" : alias + ".") + Sql.quote(k)).collect(Collectors.joining(", "));
  }

  String keyMatch(String a, String b) {
    return key.stream().map(k -> a + "." + Sql.quote(k) + " = " + b + "." + Sql.quote(k))
        .collect(Collectors.joining(" and "));
  }

  /** The key of row {@code alias} as a JSON array in key order: how change sets name rows. */
  String keyArray(String alias) {
    return "jsonb_build_array(" + keyList(alias) + ")";
  }

  /** A record of the table's type with the key columns of a key array {@code expr} set. */
  String keyRecord(String expr) {
    return "jsonb_populate_record(null::" + rowType() + ", " + keyObject(expr) + ")";
  }

  /** The JSON object of the key columns of a key array {@code expr}. */
  String keyObject(String expr) {
    StringBuilder object = new StringBuilder("jsonb_build_object(");
    for (int i = 0; i < key.size(); i++) {
      object.append(i == 0 ? "" : ", ").append("'").append(key.get(i)).append("', ").append(expr).append("->").append(i);
    }
    return object.append(")").toString();
  }

  static final String COLUMNS = "{columns}";
  static final String VALUES = "{values}";
  static final String SETS = "{sets}";
  static final String ON_CONFLICT = "{on_conflict}";

  /** Blocks writers (not readers) of T while the capture is installed and the rows measured. */
  public String lockAgainstWriters() {
    return "lock table " + table + " in share row exclusive mode";
  }

  /** The before-image a working-log row {@code w} holds, as a row of T (meaningful where {@code w.__present}). */
  String loggedRow(String w) {
    return "row(" + list(columns(), w) + ")::" + rowType();
  }

  /**
   * Working-log rows of {@code source} (alias {@code w}) with their before-images as JSON in {@code
   * __before} (null where the key had no row): how change sets, counts and sidecars compare and keep them.
   */
  String withImages(String source) {
    return fill("(select w.*, case when w.__present then to_jsonb({logged}) end as __before from {source} w)",
        "logged", loggedRow("w"), "source", source);
  }

  /**
   * A key already in the log keeps its first before-image; the row is locked, and takes the write's
   * staging: a working-tree write (SQL, an application's) un-stages a staged key, a REST write stages it.
   *
   * @param staged a SQL boolean: false, true, or the capture functions' staging variable
   */
  String logUpsert(String staged) {
    return fill(" on conflict ({key}) do update set __staged = {staged}, __changed_at = now()"
        + " where {working_log}.__staged <> {staged}", "key", keyList(null), "staged", staged,
        "working_log", workingLog());
  }

  /**
   * Set for the rest of a transaction by a REST write on the default branch ({@link WorkingStateSql#applyImages}):
   * the capture records its keys staged, as a REST write is a staging command, not a working-tree edit.
   */
  static final String STAGING_SETTING = "strata.staging";

  /** {@code text} as a SQL string literal. */
  static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  /** A {@code text[]} of {@code texts}, each a literal. */
  static String textArray(List<String> texts) {
    return texts.stream().map(OverlaySql::literal).collect(Collectors.joining(", ", "array[", "]::text[]"));
  }

  /** Content-addressed change sets of this table: every committed row change, stored once. */
  public String changes() {
    return SCHEMA + "." + Sql.quote(tid + "__changes");
  }

  /**
   * The commit gate of this table: an empty table of Strata's, locked by the default branch's commits of
   * this table. Writers of T lock it ROW EXCLUSIVE, if they can without waiting, for their capture to skip
   * keys already logged (see {@link TrackingSql#createCapture}); a commit locks it EXCLUSIVE before it locks any
   * working-log row of the table, so it waits for those writers and makes later ones (queued behind it)
   * take the capture's locking path. A table lock rather than an advisory lock: advisory locks share one
   * space with every session of the database, the query endpoint's included, and a query could take the
   * commit's lock id and stall the commits; the query roles have no privilege on the gate, so they cannot
   * lock it (and the ACCESS SHARE lock a refused SELECT takes conflicts only with ACCESS EXCLUSIVE).
   */
  public String commitGate() {
    return SCHEMA + "." + Sql.quote(tid + "__gate");
  }
}
