package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.TrackedTable;
import java.util.LinkedHashMap;
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
  /** T's columns, as the default branch has them. */
  private final List<TableColumn> tableColumns;
  /**
   * The columns of the branches this instance describes, where they differ from T's (a branch forked
   * before T gained a column keeps its own); null when they are T's.
   */
  private final List<TableColumn> branchShape;
  /**
   * The branch's columns as given, before its redefinitions typed them ({@link #retyped}): what another instance
   * of it is made from, so a type it no longer redefines is the table's again.
   */
  private final List<TableColumn> givenShape;
  /**
   * The columns among the branch's that it added through Strata, by name: rows it has not written (T's,
   * pre-images) read each as its constant default ({@link #baseColumns}).
   */
  private final Map<String, TableShape.Column> added;
  /** The branch this instance describes; null for the default branch (the table itself). */
  private final String bid;
  /** The branch's fork epoch when the SQL may name it as a constant (see {@link #forkedAt}); else null. */
  private final Long knownForkEpoch;
  /**
   * The columns the branch shows under another name (stored name to shown name): only its view, its query
   * views and its rows read through the API show them so ({@link #shown}); every other statement, and every
   * image, names the stored column.
   */
  private final Map<String, String> renamed;
  /**
   * The table's own columns the branch defines otherwise (NOT NULL set or dropped, a default set or dropped),
   * by stored name: its overlay's NOT NULL rules ({@link #required}) and its view's and writes' defaults follow
   * them; the rows it reads from the table are the table's.
   */
  private final Map<String, TableShape.Column> redefined;

  private OverlaySql(String tid, String qualifiedTable, List<String> key, List<TableColumn> tableColumns,
      List<TableColumn> branchShape, List<TableShape.Column> added, String bid, Long knownForkEpoch,
      Map<String, String> renamed) {
    this(tid, qualifiedTable, key, tableColumns, branchShape, added, bid, knownForkEpoch, renamed, null);
  }

  private OverlaySql(String tid, String qualifiedTable, List<String> key, List<TableColumn> tableColumns,
      List<TableColumn> branchShape, List<TableShape.Column> added, String bid, Long knownForkEpoch,
      Map<String, String> renamed, List<TableShape.Column> redefined) {
    this.redefined = new LinkedHashMap<>();
    (redefined == null ? List.<TableShape.Column>of() : redefined).forEach(c -> this.redefined.put(c.name(), c));
    this.knownForkEpoch = knownForkEpoch;
    this.renamed = renamed == null ? Map.of() : Map.copyOf(renamed);
    this.renamed.forEach((from, to) -> Sql.quote(to)); // validates
    this.tid = tid;
    this.table = qualifiedTable;
    this.key = List.copyOf(key);
    this.tableColumns = List.copyOf(tableColumns);
    this.added = new LinkedHashMap<>();
    (added == null ? List.<TableShape.Column>of() : added).forEach(c -> this.added.put(c.name(), c));
    // a branch's columns take the types it gave the table's own (its redefinitions say so, wherever it is described
    // from); a branch of the table's columns in the table's types reads the table's row type
    this.givenShape = branchShape == null ? null : List.copyOf(branchShape);
    List<TableColumn> shaped = bid == null ? branchShape : retyped(branchShape == null ? tableColumns : branchShape,
        this.redefined);
    this.branchShape = shaped == null || typed(shaped).equals(typed(tableColumns)) && this.added.isEmpty()
        ? null : List.copyOf(shaped);
    this.bid = bid;
    key.forEach(Sql::quote); // validates
    tableColumns.forEach(c -> Sql.quote(c.name()));
    if (this.branchShape != null) {
      this.branchShape.forEach(c -> Sql.quote(c.name()));
      if (!names(this.branchShape).containsAll(key)) {
        throw new IllegalArgumentException("a branch's columns must hold the key " + key);
      }
      if (!names(this.branchShape).containsAll(this.added.keySet())) {
        throw new IllegalArgumentException("a branch's added columns must be among its columns");
      }
    }
    if (bid != null && !bid.matches("[0-9a-f]{10}")) {
      throw new IllegalArgumentException("not a branch id: " + bid);
    }
  }

  private static List<String> names(List<TableColumn> columns) {
    return columns.stream().map(TableColumn::name).toList();
  }

  /** {@code columns} in the types {@code redefined} gives those it names. */
  private static List<TableColumn> retyped(List<TableColumn> columns, Map<String, TableShape.Column> redefined) {
    return redefined.isEmpty() ? columns : columns.stream().map(c -> redefined.containsKey(c.name())
        && !io.strata.events.ColumnTypes.same(redefined.get(c.name()).type(), c.type())
        ? new TableColumn(c.name(), redefined.get(c.name()).type(), c.nullable()) : c).toList();
  }

  private static List<String> typed(List<TableColumn> columns) {
    return columns.stream().map(c -> c.name() + " " + c.type()).toList();
  }

  /**
   * A tracked table, as the default branch sees it; {@link #onBranch} gives another branch the columns
   * the table was given for its ref ({@link TrackedTable#refColumns}).
   */
  public static OverlaySql of(TrackedTable t) {
    return new OverlaySql(t.id(), Sql.qualified(t.schema(), t.table()), t.key(), t.columns(), t.refColumns(),
        t.refAdded(), null, null, t.refRenamed(), t.refRedefined());
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
    return new OverlaySql(tid, Sql.qualified(schema, table), key, columns, null, null, null, null, null);
  }

  /** The same table, as the default branch sees it, with {@code columns} as T's: for a capture template. */
  OverlaySql withTableColumns(List<TableColumn> columns) {
    return new OverlaySql(tid, table, key, columns, null, null, null, null, null);
  }

  /**
   * The same, on a branch whose columns are {@code columns} (its own row type's; null: the table's), of
   * which it added {@code added}.
   */
  OverlaySql withBranchShape(List<TableColumn> columns, List<TableShape.Column> added) {
    return new OverlaySql(tid, table, key, tableColumns, columns, added, bid, knownForkEpoch, renamed,
        redefinedAmong(columns == null ? tableColumns : columns));
  }

  /** The same table as branch {@code bid} sees it ({@code null}: the default branch). */
  public OverlaySql onBranch(String branchId) {
    return new OverlaySql(tid, table, key, tableColumns, givenShape, List.copyOf(added.values()), branchId, null,
        renamed, List.copyOf(redefined.values()));
  }

  /**
   * The same, naming the branch's fork epoch as a constant rather than looking it up: for its view,
   * created with the epoch and never outliving it, so a point read through it spares two lookups.
   */
  public OverlaySql forkedAt(long epoch) {
    return new OverlaySql(tid, table, key, tableColumns, givenShape, List.copyOf(added.values()), bid, epoch,
        renamed, List.copyOf(redefined.values()));
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
    return names(shape());
  }

  /** Whether this branch gives any column of the table's own another type than the table's. */
  public boolean retypesColumns() {
    return columns().stream().anyMatch(c -> retypedTo(c) != null);
  }

  /** The type this branch gives its column {@code c}, or null when it has none of that name. */
  String typeOf(String c) {
    return shape().stream().filter(x -> x.name().equals(c)).map(TableColumn::type).findFirst().orElse(null);
  }

  private List<TableColumn> shape() {
    return bid == null || branchShape == null ? tableColumns : branchShape;
  }

  /**
   * The branch's columns as rows it has not written give them, from relation {@code alias} (T, or the
   * pre-image log, which has T's columns): {@code alias."c"}, or for a column the branch added its
   * constant default ({@code 'eu'::text}, {@code NULL::text}), as PostgreSQL's own "fast default" reads
   * a column added to rows stored before it, or for a column it gave another type {@code alias."c"::type}.
   * Zero-copy: T's rows are not written to add a column or change its type.
   */
  String baseColumns(String alias) {
    return columns().stream().map(c -> baseColumn(c, alias) + " as " + Sql.quote(c)).collect(Collectors.joining(", "));
  }

  /** Column {@code c} of this branch as rows it has not written give it (see {@link #baseColumns}). */
  String baseColumn(String c, String alias) {
    TableShape.Column a = bid == null ? null : added.get(c);
    if (a != null) {
      return addedValue(a);
    }
    String retyped = retypedTo(c);
    if (retyped == null) {
      return alias + "." + Sql.quote(c);
    }
    String tables = tableColumns.stream().filter(x -> x.name().equals(c)).map(TableColumn::type).findFirst()
        .orElseThrow();
    // wider than the table's: a plain cast; narrower (the branch kept the type a merge widened the table from): a
    // cast that does not fail on the table's rows the branch does not read
    return io.strata.events.ColumnTypes.widens(tables, retyped) ? alias + "." + Sql.quote(c) + "::" + retyped
        : io.strata.events.ColumnTypes.narrowed(alias + "." + Sql.quote(c), tables, retyped);
  }

  /**
   * The type this branch gave column {@code c} of the table's own, where it differs from the table's (its rows
   * from the table read through a cast to it: the branch's new type reads every value it holds as it is); else
   * null.
   */
  String retypedTo(String c) {
    if (bid == null || branchShape == null) {
      return null;
    }
    String mine = typeOf(c);
    String tables = tableColumns.stream().filter(x -> x.name().equals(c)).map(TableColumn::type).findFirst()
        .orElse(null);
    return mine == null || tables == null || io.strata.events.ColumnTypes.same(mine, tables) ? null : mine;
  }

  /** The value a column added on a branch has in the rows the branch did not write: its constant default. */
  static String addedValue(TableShape.Column c) {
    return "(" + (c.defaultValue() == null ? "null" : c.defaultValue()) + ")::" + c.type();
  }

  /** The name this branch shows its column {@code stored} under (the stored name unless it renamed it). */
  String shown(String stored) {
    return renamed.getOrDefault(stored, stored);
  }

  /**
   * Whether this branch shows any column under another name than the one it is stored under (the default
   * branch never does, but a read of a commit through it shows the names the commit's branch showed).
   */
  boolean renamesColumns() {
    return !renamed.isEmpty();
  }

  /** The branch's columns as it shows them: {@code alias."stored" as "shown"}, in order. */
  String shownColumns(String alias) {
    return columns().stream().map(c -> alias + "." + Sql.quote(c) + " as " + Sql.quote(shown(c)))
        .collect(Collectors.joining(", "));
  }

  /**
   * Row {@code alias} of this branch as JSON text in the names it shows: {@code row_to_json} (columns in
   * order, about twice as fast to render as {@code to_jsonb}) unless it renamed columns, else built by name.
   */
  String rowJson(String alias) {
    // renamed: a row of the columns under their shown names (json_build_object takes at most 50 pairs)
    return !renamesColumns() ? "row_to_json(" + alias + ".*)::text"
        : "(select row_to_json(x.*) from (select " + shownColumns(alias) + ") x)::text";
  }

  /**
   * Row {@code row} (NEW, OLD of the branch's view: its columns under their shown names) as JSON in the stored
   * names: a subquery, as {@link #rowJson}.
   */
  String storedJson(String row) {
    return "(select to_jsonb(x.*) from (select " + columns().stream()
        .map(c -> row + "." + Sql.quote(shown(c)) + " as " + Sql.quote(c)).collect(Collectors.joining(", "))
        + ") x)";
  }

  /** The columns this branch shows under other names: stored name to shown name. */
  Map<String, String> renamed() {
    return renamed;
  }

  /** The same, showing the columns {@code renamedAfter} names under those names. */
  OverlaySql withRenamed(Map<String, String> renamedAfter) {
    return new OverlaySql(tid, table, key, tableColumns, givenShape, List.copyOf(added.values()), bid, knownForkEpoch,
        renamedAfter, List.copyOf(redefined.values()));
  }

  /** The same, defining the table's own columns as {@code redefinedAfter} does (by stored name). */
  OverlaySql withRedefined(List<TableShape.Column> redefinedAfter) {
    return new OverlaySql(tid, table, key, tableColumns, givenShape, List.copyOf(added.values()), bid, knownForkEpoch,
        renamed, redefinedAfter);
  }

  /** The table's own columns this branch defines otherwise, in the order it redefined them. */
  List<TableShape.Column> redefined() {
    return bid == null ? List.of() : List.copyOf(redefined.values());
  }

  /** Those of this branch's redefinitions that name a column of {@code columns} (a column dropped loses its own). */
  private List<TableShape.Column> redefinedAmong(List<TableColumn> columns) {
    java.util.Set<String> names = new java.util.HashSet<>(names(columns));
    return redefined.values().stream().filter(c -> names.contains(c.name())).toList();
  }

  /** The columns this branch added through Strata, in order. */
  List<TableShape.Column> added() {
    return bid == null ? List.of() : List.copyOf(added.values());
  }

  /**
   * The branch's columns, besides the key, that are NOT NULL (T's rule, or the branch's own for a column it
   * redefined; kept by the branch's overlay).
   */
  List<String> required() {
    return shape().stream().filter(c -> !key.contains(c.name())
            && !(bid != null && redefined.containsKey(c.name()) ? redefined.get(c.name()).nullable() : c.nullable()))
        .map(TableColumn::name).toList();
  }

  /** Whether this branch's columns differ from T's (see {@link #rowType}). */
  boolean hasOwnShape() {
    return bid != null && branchShape != null;
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
    return hasOwnShape() ? ownRowType() + "/*" + io.strata.events.CommitIds.sha256Hex(rowTypeDefinition())
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

  /** The definition of {@link #rowType} where the branch has a shape of its own: its columns and types. */
  String rowTypeDefinition() {
    return shape().stream().map(c -> Sql.quote(c.name()) + " " + c.type()).collect(Collectors.joining(", "));
  }

  /**
   * A condition on {@code pg_attribute a} of T: the columns this branch has (true for T's own shape).
   * For the statements that read T's catalog (defaults, generated columns, checks) to give a branch only
   * what its columns have.
   */
  String amongColumns(String attname) {
    return !hasOwnShape() ? "true" : attname + " = any(" + columns().stream().map(OverlaySql::literal)
        .collect(Collectors.joining(", ", "array[", "]::name[]")) + ")";
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
