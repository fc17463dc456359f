package io.strata.projections.overlay;

import io.strata.events.TableColumn;
import io.strata.events.TableTracked;
import io.strata.projections.postgres.Sql;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.rowdata.TableLayout;
import io.strata.projections.rowdata.TrackedTable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

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
public final class OverlaySql {
  public static final String SCHEMA = "strata";

  private final String tid;
  private final String table;
  private final List<String> key;
  private final List<String> columns;
  /** The branch this instance describes; null for the default branch (the table itself). */
  private final String bid;
  /** Columns T declares NOT NULL: an overlay holds them to the same rule (tombstones aside). */
  private final List<String> required;
  /** The branch's fork epoch when the SQL may name it as a constant (see {@link #forkedAt}); else null. */
  private final Long knownForkEpoch;

  private OverlaySql(String tid, String qualifiedTable, List<String> key, List<String> columns, String bid,
      List<String> required) {
    this(tid, qualifiedTable, key, columns, bid, required, null);
  }

  private OverlaySql(String tid, String qualifiedTable, List<String> key, List<String> columns, String bid,
      List<String> required, Long knownForkEpoch) {
    this.knownForkEpoch = knownForkEpoch;
    this.required = List.copyOf(required);
    this.tid = tid;
    this.table = qualifiedTable;
    this.key = List.copyOf(key);
    this.columns = List.copyOf(columns);
    this.bid = bid;
    key.forEach(Sql::quote); // validates
    columns.forEach(Sql::quote);
    if (bid != null && !bid.matches("[0-9a-f]{10}")) {
      throw new IllegalArgumentException("not a branch id: " + bid);
    }
  }

  /** A tracked table, as the default branch sees it. */
  public static OverlaySql of(TrackedTable t) {
    return of(t.id(), t.schema(), t.table(), t.key(), t.columns());
  }

  /** A tracked table of a repository, as the default branch sees it. */
  public static OverlaySql of(String repository, TableLayout t) {
    return of(tableId(repository, t.name()), t.schema(), t.table(), t.primaryKey(), t.columns());
  }

  /** A tracked table of a repository, as the default branch sees it. */
  public static OverlaySql of(String repository, TableTracked t) {
    return of(tableId(repository, t.name()), t.schema(), t.table(), t.primaryKey(), t.columns());
  }

  /** A table with the columns the catalog gave (their NOT NULL rules hold in overlays too). */
  public static OverlaySql of(String tid, String schema, String table, List<String> key,
      List<TableColumn> columns) {
    return new OverlaySql(tid, Sql.qualified(schema, table), key,
        columns.stream().map(TableColumn::name).toList(), null,
        columns.stream().filter(c -> !c.nullable() && !key.contains(c.name()))
            .map(TableColumn::name).toList());
  }

  /** A tracked table of a repository, as {@code branch} sees it. */
  public static OverlaySql of(String repository, TableLayout t, String branch, String defaultBranch) {
    return of(repository, t).onBranch(branch.equals(defaultBranch) ? null : branchId(repository, branch));
  }

  /** The same table as branch {@code bid} sees it ({@code null}: the default branch). */
  public OverlaySql onBranch(String branchId) {
    return new OverlaySql(tid, table, key, columns, branchId, required);
  }

  /**
   * The same, naming the branch's fork epoch as a constant rather than looking it up: for its view,
   * created with the epoch and never outliving it, so a point read through it spares two lookups.
   */
  public OverlaySql forkedAt(long epoch) {
    return new OverlaySql(tid, table, key, columns, bid, required, epoch);
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

  public List<String> columns() {
    return columns;
  }

  /** T's columns, besides the key, that it declares NOT NULL. */
  List<String> required() {
    return required;
  }

  /** The short id of a branch: stable for a repository and branch name. */
  public static String branchId(String repository, String branch) {
    return TrackedTable.branchIdOf(repository, branch);
  }

  public String workingLog() {
    return SCHEMA + "." + Sql.quote(tid + "__w_" + (bid == null ? "0" : bid));
  }

  public String overlay() {
    return SCHEMA + "." + Sql.quote(tid + "__v_" + bid);
  }


  /**
   * The relation holding this branch's working state: the table itself for the default branch, else
   * one overlay level over it, at any depth: the overlay's live rows, then the pre-images of keys
   * written to the table since the fork that the overlay does not hold, then the table's other rows
   * (one anti-join probe, against the overlay's and the pre-images' keys together). Its columns are
   * exactly the table's, so {@code to_jsonb} of a row is the same image either way.
   */
  public String state() {
    if (bid == null) {
      return table;
    }
    return "(select " + list(columns, "o") + " from " + overlay() + " o where not o.__deleted"
        + " union all select " + list(columns, "p") + " from " + preimagesAtFork() + " p where not p.__deleted"
        + " and not exists (select 1 from " + overlay() + " o where " + keyMatch("o", "p") + ")"
        + " union all select " + list(columns, "x") + " from " + table + " x where not exists (select 1 from"
        + " (select " + keyList(null) + " from " + overlay() + " union all select " + keyList(null) + " from "
        + preimages() + " where __epoch >= " + forkEpoch() + ") s where " + keyMatch("s", "x") + "))";
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
    return "(select b.fork_epoch from " + SCHEMA + ".branch_overlays b where b.tid = '" + tid + "' and b.bid = '"
        + bid + "')";
  }

  /** Per key written since this branch's fork, the first pre-image after it (columns, __epoch, __deleted). */
  private String preimagesAtFork() {
    return "(select distinct on (" + keyList(null) + ") * from " + preimages() + " where __epoch >= " + forkEpoch()
        + " order by " + keyList(null) + ", __epoch)";
  }

  /** Whether the row {@code alias} of a left join on {@link #state()} is there (key columns are not null). */
  String present(String alias) {
    return alias + "." + Sql.quote(key.get(0)) + " is not null";
  }

  private String function(String op) {
    return SCHEMA + "." + Sql.quote(tid + "__capture_" + op);
  }

  private String trigger(String op) {
    return Sql.quote("strata_" + tid + "_" + op);
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
    return "jsonb_populate_record(null::" + table + ", " + keyObject(expr) + ")";
  }

  /** The JSON object of the key columns of a key array {@code expr}. */
  String keyObject(String expr) {
    StringBuilder object = new StringBuilder("jsonb_build_object(");
    for (int i = 0; i < key.size(); i++) {
      object.append(i == 0 ? "" : ", ").append("'").append(key.get(i)).append("', ").append(expr).append("->").append(i);
    }
    return object.append(")").toString();
  }

  public static final String REGISTRY_ENTRY =
      "select tid, repository, name from " + SCHEMA + ".tracked_tables where schema_name = $1 and table_name = $2";

  public static final String REGISTER =
      "insert into " + SCHEMA + ".tracked_tables (tid, repository, name, schema_name, table_name)"
          + " values ($1, $2, $3, $4, $5)";

  public static final String UNREGISTER = "delete from " + SCHEMA + ".tracked_tables where tid = $1";

  static final String COLUMNS = "{columns}";
  static final String VALUES = "{values}";
  private static final String SETS = "{sets}";
  static final String ON_CONFLICT = "{on_conflict}";

  /**
   * A write of Strata's own to T, run (a DO block) with T's writable columns as the catalog has them
   * when it runs: {@code COLUMNS} becomes the columns an INSERT names (all but stored generated ones,
   * which T computes), {@code VALUES} the same of alias {@code s}, {@code SETS} the assignments {@code c =
   * s.c} of the non-key columns an UPDATE may set (nor identity columns GENERATED ALWAYS, which keep
   * their values), {@code ON_CONFLICT} "do update set" of those from {@code excluded}, or "do nothing".
   * A statement that needs {@code SETS} is skipped when there are none.
   */
  String writingTable(String statement) {
    String keys = key.stream().map(OverlaySql::literal).collect(Collectors.joining(", ", "array[", "]::name[]"));
    String template = literal(statement.replace("%", "%%").replace(COLUMNS, "%1$s").replace(VALUES, "%2$s")
        .replace(SETS, "%3$s").replace(ON_CONFLICT, "%4$s"));
    String updatable = " filter (where a.attidentity <> 'a' and a.attname <> all(" + keys + "))";
    return "do $strata_w$ declare cols text; vals text; sets text; conflict text; begin"
        + " select string_agg(quote_ident(a.attname), ', ' order by a.attnum),"
        + " string_agg('s.' || quote_ident(a.attname), ', ' order by a.attnum),"
        + " string_agg(quote_ident(a.attname) || ' = s.' || quote_ident(a.attname), ', ' order by a.attnum)" + updatable + ","
        + " coalesce('do update set ' || string_agg(quote_ident(a.attname) || ' = excluded.' || quote_ident(a.attname),"
        + " ', ' order by a.attnum)" + updatable + ", 'do nothing')"
        + " into cols, vals, sets, conflict from pg_attribute a where a.attrelid = " + literal(table) + "::regclass"
        + " and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';"
        + (statement.contains(SETS) ? " if sets is not null then" : "")
        + " execute format(" + template + ", cols, vals, sets, conflict);"
        + (statement.contains(SETS) ? " end if;" : "")
        + " end $strata_w$";
  }

  /** The current fork epoch of a table ($1 = tid): the one the capture files pre-images under. */
  public static final String LAST_EPOCH = "select last_epoch from " + SCHEMA + ".tracked_tables where tid = $1";

  /** Blocks writers (not readers) of T while the capture is installed and the rows measured. */
  public String lockAgainstWriters() {
    return "lock table " + table + " in share row exclusive mode";
  }

  /**
   * The working log: per changed key, its first before-image since the last commit in T's own columns
   * and types (none where the key had no row: {@code __present} false), staged or not. Typed, so a
   * first write of a key copies its old row as it is, where a JSON image would cost more than the write.
   */
  public String createWorkingLog() {
    return (bid == null ? createCommitGate() + ";" : "")
        + "create table " + workingLog() + " as select * from " + table + " with no data;"
        + " alter table " + workingLog() + " add column __present boolean not null,"
        + " add column __staged boolean not null default false,"
        + " add column __changed_at timestamptz not null default now(),"
        + " add primary key (" + keyList(null) + ")";
  }

  /** The before-image a working-log row {@code w} holds, as a row of T (meaningful where {@code w.__present}). */
  private String loggedRow(String w) {
    return "row(" + list(columns, w) + ")::" + table;
  }

  /**
   * Working-log rows of {@code source} (alias {@code w}) with their before-images as JSON in {@code
   * __before} (null where the key had no row): how change sets, counts and sidecars compare and keep them.
   */
  String withImages(String source) {
    return "(select w.*, case when w.__present then to_jsonb(" + loggedRow("w") + ") end as __before from " + source
        + " w)";
  }

  /**
   * A key already in the log keeps its first before-image; the row is locked, and takes the write's
   * staging: a working-tree write (SQL, an application's) un-stages a staged key, a REST write stages it.
   *
   * @param staged a SQL boolean: false, true, or the capture's {@link #STAGING} variable
   */
  String logUpsert(String staged) {
    return " on conflict (" + keyList(null) + ") do update set __staged = " + staged + ", __changed_at = now()"
        + " where " + workingLog() + ".__staged <> " + staged;
  }

  /**
   * Set for the rest of a transaction by a REST write on the default branch ({@link WorkingStateSql#applyImages}):
   * the capture records its keys staged, as a REST write is a staging command, not a working-tree edit.
   */
  static final String STAGING_SETTING = "strata.staging";

  /** The capture functions' variable holding {@link #STAGING_SETTING}; two underscores: no column's name. */
  private static final String STAGING = "__staging";

  /**
   * Capture functions and triggers on T. While branches live, the first pre-image of each changed key
   * in the current fork epoch goes to the shared pre-image log (a tombstone for a key that did not
   * exist): always, because a branch must never see a write to T — and once, whatever the number of
   * branches. The default branch's working log records the change unless a projector applies an event
   * ({@code strata.applying}). Rows go in key order: the order in which a commit locks the working
   * log, so they cannot deadlock.
   *
   * <p>Most writes touch keys already logged: an UPDATE or DELETE of a key whose working-log row is
   * there and unstaged has nothing to record. The upsert's conflict path would still lock and rewrite
   * that row, at half the cost of the write itself; the lock is what makes a commit wait for the
   * writer. So a writer that gets the table's commit lock shared without waiting ({@link
   * #lockForCommit}) skips such keys with one index probe instead: holding that lock to its end, it
   * is waited for by any commit as a whole. While a commit holds it, writers take the locking path;
   * so do writers in REPEATABLE READ or SERIALIZABLE transactions, whose probe would read an old log.
   *
   * @param branches whether the table has live branch overlays
   * @param epoch the current fork epoch ({@link #LAST_EPOCH})
   */
  public String createCapture(boolean branches, long epoch) {
    OverlaySql main = onBranch(null);
    String w = main.workingLog();
    String upsert = main.logUpsert(STAGING);
    // Under READ COMMITTED each statement of a capture function reads the logs afresh, and writers of
    // a key take turns on T's own locks (row locks, or its unique index for a new key): a key a
    // statement finds absent from a log stays absent until it inserts it, so a plain INSERT does, at
    // half the cost of ON CONFLICT's speculative one. A REPEATABLE READ writer reads the logs as its
    // transaction began and takes the conflict path. The working log is also cleared by commits, so
    // there a writer also needs the commit lock shared (see lockForCommit).
    String readCommitted = "current_setting('transaction_isolation') = 'read committed'";
    // the gate is tried in a block of its own: LOCK ... NOWAIT is the only way to try a table lock, and a
    // writer without privilege on it (an application role granted only T and the logs) takes the locking path
    String skipping = "strata_gated := false; if " + readCommitted + " then begin lock table " + commitGate()
        + " in row exclusive mode nowait; strata_gated := true; exception when lock_not_available"
        + " or insufficient_privilege then null; end; end if; if strata_gated then ";
    Function<String, String> logOld = where -> "insert into " + w + " ("
        + list(columns, null) + ", __present, __staged) select " + list(columns, "o") + ", true, " + STAGING
        + " from strata_old o" + where + " order by " + keyList("o") + upsert + ";";
    String fromOldSkipping = skipping + logOld.apply(" where " + notAmong("o", "strata_old", w,
        "x.__staged = " + STAGING)) + " else " + logOld.apply("") + " end if;";
    String newKeys = "insert into " + w + " (" + keyList(null) + ", __present, __staged) select " + keyList("n")
        + ", false, " + STAGING + " from strata_new n";
    String fromNewOnly = newKeys + " where not exists (select 1 from strata_old o where " + keyMatch("o", "n") + ")"
        + " order by " + keyList("n") + upsert + ";";
    String fromNew = newKeys + " order by " + keyList("n") + upsert + ";";
    // an inserted key already logged keeps its first before-image; a staged one is un-staged (by one
    // index scan of the statement's keys: with a composite key, the upsert stays cheaper)
    String fromNewSkipping = key.size() > 1 ? fromNew : skipping + "update " + w + " w set __staged = " + STAGING
        + ", __changed_at = now() where " + among("w", "n", "strata_new") + " and w.__staged <> " + STAGING + ";"
        + newKeys + " where "
        + notAmong("n", "strata_new", w, "true") + " order by " + keyList("n") + "; else " + fromNew + " end if;";
    String keepOld = "";
    String tombstoneNewOnly = "";
    String tombstoneNew = "";
    if (branches) {
      // a key already filed in this epoch is skipped: its first pre-image is the one a branch reads
      String filed = "x.__epoch = " + epoch;
      keepOld = firstInEpoch(readCommitted, "insert into " + preimages() + " (" + list(columns, null) + ", __epoch)"
          + " select " + list(columns, "o") + ", " + epoch + " from strata_old o where "
          + notAmong("o", "strata_old", preimages(), filed) + " order by " + keyList("o"));
      String tomb = "insert into " + preimages() + " (" + keyList(null) + ", __epoch, __deleted) select "
          + keyList("n") + ", " + epoch + ", true from strata_new n";
      tombstoneNewOnly = tomb + " where not exists (select 1 from strata_old o where " + keyMatch("o", "n") + ")"
          + " order by " + keyList("n") + " on conflict do nothing;";
      tombstoneNew = firstInEpoch(readCommitted, tomb + " where " + notAmong("n", "strata_new", preimages(), filed)
          + " order by " + keyList("n"));
    }
    String logged = "if current_setting('strata.applying', true) is distinct from 'on' then ";
    // the keys an UPDATE gives rows anew (anti-joins of the transition tables) only once one did
    String moved = "if current_setting(" + literal(keyMovedSetting()) + ", true) = 'on' then " + tombstoneNewOnly
        + logged + fromNewOnly + " end if; end if;";
    return fn("ins", tombstoneNew + logged + fromNewSkipping + " end if;")
        + fn("upd", keepOld + logged + fromOldSkipping + " end if;" + moved)
        + fn("del", keepOld + logged + fromOldSkipping + " end if;")
        + "create or replace function " + function("moved") + "() returns trigger language plpgsql as $f$ begin"
        + " perform set_config(" + literal(keyMovedSetting()) + ", 'on', true); return NEW; end $f$;"
        + "create or replace trigger " + trigger("moved") + " before update on " + table + " for each row when (("
        + keyList("OLD") + ") is distinct from (" + keyList("NEW") + ")) execute function " + function("moved") + "();"
        + "create or replace function " + function("truncate") + "() returns trigger language plpgsql as $f$ begin"
        + " raise exception 'Strata tracks %: TRUNCATE would bypass its change capture; use DELETE', TG_TABLE_NAME"
        + " using errcode = '0A000'; end $f$;";
  }

  /** A filing of pre-images: a plain INSERT under READ COMMITTED, else one that skips keys filed since. */
  private static String firstInEpoch(String readCommitted, String insert) {
    return "if " + readCommitted + " then " + insert + "; else " + insert + " on conflict do nothing; end if;";
  }

  /**
   * A filter on the rows {@code alias} of {@code transition} (a trigger's transition table, or a
   * batch): true unless {@code relation} (alias {@code x}) holds a row of the same key meeting {@code
   * condition}. With a
   * one-column key, one index scan takes the statement's keys together ({@code = any}, which walks the
   * index in key order, each leaf page once) and the rows are checked against a hash of what it found:
   * half the cost of a probe per row. The hash holds at most the statement's keys. A composite key (no
   * index scan for {@code = any} of row values) takes one probe per row.
   */
  String notAmong(String alias, String transition, String relation, String condition) {
    if (key.size() > 1) {
      return "(select true from " + relation + " x where " + keyMatch("x", alias) + " and " + condition + ") is null";
    }
    String k = Sql.quote(key.get(0));
    return alias + "." + k + " not in (select x." + k + " from " + relation + " x where "
        + among("x", "s", transition) + " and " + condition + ")";
  }

  /** Whether the row {@code alias} has the key of a row of {@code transition}: one-column keys only. */
  String among(String alias, String inner, String transition) {
    String k = Sql.quote(key.get(0));
    return alias + "." + k + " = any(array(select " + inner + "." + k + " from " + transition + " " + inner + "))";
  }

  /**
   * Set (to the end of the transaction) by a row trigger that fires only for an UPDATE changing a
   * row's key: until then, an UPDATE's new keys are its old ones, and the statement capture skips
   * looking for others. It is installed with the capture functions that rely on it.
   */
  private String keyMovedSetting() {
    return "strata.moved_" + tid;
  }

  /**
   * The shared pre-image log, if the table has none yet: T's columns (without their NOT NULL rules:
   * a tombstone has only its key), the fork epoch and a tombstone flag.
   */
  public String createPreimages() {
    return "do $d$ begin if to_regclass(" + literal(preimages()) + ") is null then"
        + " create table " + preimages() + " as select * from " + table + " with no data;"
        + " alter table " + preimages() + " add column __epoch bigint not null,"
        + " add column __deleted boolean not null default false, add primary key (" + keyList(null) + ", __epoch);"
        + " end if; end $d$";
  }

  /** Drops the pre-images no live branch reads: those filed before the oldest live fork (all, with none). */
  public String collectPreimages() {
    return "delete from " + preimages() + " where __epoch < coalesce((select min(b.fork_epoch) from " + SCHEMA
        + ".branch_overlays b where b.tid = '" + tid + "'), 9223372036854775807)";
  }

  public String createTriggers() {
    return "create trigger " + trigger("ins") + " after insert on " + table
        + " referencing new table as strata_new for each statement execute function " + function("ins") + "();"
        + "create trigger " + trigger("upd") + " after update on " + table
        + " referencing old table as strata_old new table as strata_new for each statement execute function "
        + function("upd") + "();"
        + "create trigger " + trigger("del") + " after delete on " + table
        + " referencing old table as strata_old for each statement execute function " + function("del") + "();"
        + "create trigger " + trigger("truncate") + " before truncate on " + table
        + " for each statement execute function " + function("truncate") + "();";
  }

  /**
   * A capture function. Its statements are planned once per session and the plans kept, whatever the
   * working log and pre-image log grow to since: their probes into those logs are index scans by the
   * statement's keys or correlated scalar subqueries (never turned into joins), and with sequential
   * scans off they stay index lookups, where a plan made while a log was small would scan it whole.
   */
  private String fn(String op, String body) {
    return "create or replace function " + function(op) + "() returns trigger language plpgsql"
        + " set enable_seqscan = off as $f$ declare " + STAGING + " boolean := coalesce(current_setting("
        + literal(STAGING_SETTING) + ", true) = 'on', false); strata_gated boolean; begin " + body
        + " return null; end $f$;";
  }

  /** Removes every Strata object of this table (the table and its data stay); branch objects go first. */
  public String dropAll() {
    StringBuilder sql = new StringBuilder();
    sql.append(dropQueryViews());
    for (String op : List.of("ins", "upd", "del", "truncate", "moved")) {
      sql.append("drop trigger if exists ").append(trigger(op)).append(" on ").append(table).append(';');
      sql.append("drop function if exists ").append(function(op)).append("();");
    }
    sql.append("drop function if exists ").append(stateFunction()).append(STATE_ARGUMENTS).append(';');
    sql.append("drop function if exists ").append(changedKeysFunction()).append(STATE_ARGUMENTS).append(';');
    sql.append("drop table if exists ").append(onBranch(null).workingLog()).append(';');
    sql.append("drop table if exists ").append(onBranch(null).commitGate()).append(';');
    sql.append("drop table if exists ").append(changes()).append(';');
    sql.append("drop table if exists ").append(preimages()).append(';');
    return sql.toString();
  }

  // ---- branch objects ----

  /**
   * Sets the stored generated columns of the rows in {@code relation} (T's columns) as T would compute
   * them: for a branch's overlay, which holds them as plain columns. One UPDATE per such column.
   */
  String computeGenerated(String relation) {
    return "do $strata_g$ declare g record; begin " + generatedColumns()
        + " execute format('update " + relation.replace("'", "''").replace("%", "%%") + " set %I = (%s)', g.attname,"
        + " g.expr); end loop; end $strata_g$;";
  }

  String generatedColumns() {
    return "for g in select a.attname, pg_get_expr(d.adbin, d.adrelid) as expr from pg_attribute a join pg_attrdef d"
        + " on d.adrelid = a.attrelid and d.adnum = a.attnum where a.attrelid = " + literal(table) + "::regclass"
        + " and a.attnum > 0 and not a.attisdropped and a.attgenerated = 's' order by a.attnum loop";
  }

  static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  /**
   * The images of the keys that differ between this branch's working state and another state: per
   * key, the after-image of the newest change set in {@code redo} that touches it, else the
   * before-image of the oldest change in {@code undo} (change sets, then the working log when
   * {@code undoWorkingLog}). A CTE named {@code changed (k, img)}; $-parameters are text arrays,
   * oldest first.
   */
  public String changed(String undoParam, String redoParam, boolean undoWorkingLog) {
    return "changed as (select distinct on (x.k) x.k, x.img from ("
        + "  select c.key as k, c.after as img, 0 as phase, -o.ord as ord from " + changes() + " c"
        + "  join unnest(" + redoParam + "::text[]) with ordinality o(cs, ord) on c.change_set = o.cs"
        + "  union all select c.key, c.before, 1, o.ord from " + changes() + " c"
        + "  join unnest(" + undoParam + "::text[]) with ordinality o(cs, ord) on c.change_set = o.cs"
        + (undoWorkingLog
            ? "  union all select " + keyArray("w") + ", w.__before, 1, 9223372036854775807 from "
                + withImages(workingLog()) + " w"
            : "")
        + " ) x order by x.k, x.phase, x.ord)";
  }

  // ---- read-only SQL over a ref (POST /query) ----

  /** This branch's committed head, as the query endpoint's role reads it (see {@link #createQueryViews}). */
  public String headView() {
    return SCHEMA + "." + Sql.quote(tid + "__q_head" + (bid == null ? "" : "_" + bid));
  }

  /** This branch's working state, as the query endpoint's role reads it. */
  public String workView() {
    return SCHEMA + "." + Sql.quote(tid + "__q_work" + (bid == null ? "" : "_" + bid));
  }

  /**
   * Views of this branch's working state and committed head (the working state with its working
   * changes undone: each logged key's row replaced by its first before-image), through which the query
   * endpoint's role reads them without any privilege on the table or Strata's objects. A view lets the
   * planner take the query's conditions to the indexes of the table and the overlay: a query costs
   * O(changes + rows it reads), not O(table).
   * Security barriers: a condition the view did not write is applied only after the view's own. A
   * branch's views name its fork epoch (see {@link #forkedAt}).
   */
  public String createQueryViews() {
    String working = bid == null ? table : state();
    return "create or replace view " + workView() + " with (security_barrier) as select x.* from " + working + " x;"
        + "create or replace view " + headView() + " with (security_barrier) as select x.* from " + working + " x"
        + " where not exists (select 1 from " + workingLog() + " w where " + keyMatch("w", "x") + ")"
        + " union all select " + list(columns, "w") + " from " + workingLog() + " w where w.__present;";
  }

  String dropQueryViews() {
    return "drop view if exists " + headView() + ", " + workView() + ";";
  }

  /**
   * The function that returns the rows a state at a ref has in place of the branch's working state
   * (see {@link #stateAtRef}).
   */
  public String stateFunction() {
    return SCHEMA + "." + Sql.quote(tid + "__at");
  }

  /** The function that returns the keys whose rows a state at a ref has otherwise than the branch's working state. */
  public String changedKeysFunction() {
    return SCHEMA + "." + Sql.quote(tid + "__at_keys");
  }

  /** The argument types of both state functions: (bid, undo, redo, undo_working_log). */
  public static final String STATE_ARGUMENTS = "(text, text[], text[], boolean)";

  /**
   * This table's rows at a ref, as the query endpoint's role reads them: the branch's working-state
   * view without the keys the ref's state has otherwise, and those keys' rows there. The planner takes
   * the query's conditions to the view's indexes: O(changes + rows read), not O(table).
   *
   * @param arguments the state functions' arguments as SQL literals, in parentheses
   */
  public String stateAtRef(String arguments) {
    return "select x.* from " + workView() + " x where " + keyArray("x") + " not in (select k from "
        + changedKeysFunction() + arguments + " k) union all select r.* from " + stateFunction() + arguments + " r";
  }

  /**
   * The changes between the branch's working state and its state with the change sets $1 undone and
   * $2 redone, the working log undone when $3 (see {@link #changed}), followed by {@code select}.
   */
  private String changedAt(String select) {
    return "with " + changed("$1", "$2", true).replace(" from " + workingLog() + " w",
            " from " + workingLog() + " w where $3") + " " + select;
  }

  /**
   * The two SECURITY DEFINER state functions {@code (bid, undo, redo, undo_working_log)}: the rows
   * that differ (setof T) and their keys (setof jsonb). The query endpoint's restricted role may call
   * them, and so reads this table at a ref, without any privilege on the table or Strata's objects
   * themselves. The branch id is checked before it names an object.
   */
  public String createStateFunction() {
    return definer(stateFunction(), "setof " + table, sql -> sql.changedAt("select r.* from changed c,"
            + " lateral jsonb_populate_record(null::" + table + ", c.img) r where c.img is not null")) + ";"
        + definer(changedKeysFunction(), "setof jsonb", sql -> sql.changedAt("select c.k from changed c"));
  }

  private String definer(String name, String returns, Function<OverlaySql, String> body) {
    String placeholder = "ffffffffff";
    String branchTemplate = body.apply(onBranch(placeholder)).replace("%", "%%").replace(placeholder, "%1$s");
    String defaultTemplate = body.apply(onBranch(null));
    if (branchTemplate.contains("$q$") || defaultTemplate.contains("$q$")) {
      throw new IllegalStateException("unexpected quote marker in generated SQL");
    }
    return "create or replace function " + name + "(bid text, undo text[], redo text[], undo_wl boolean)"
        + " returns " + returns + " language plpgsql stable security definer set search_path = pg_catalog, pg_temp"
        + " as $f$ begin"
        + " if bid is null then return query execute $q$" + defaultTemplate + "$q$ using undo, redo, undo_wl;"
        + " elsif bid ~ '^[0-9a-f]{10}$' then return query execute format($q$" + branchTemplate + "$q$, bid)"
        + "  using undo, redo, undo_wl;"
        + " else raise exception 'not a branch id' using errcode = '22023'; end if;"
        + " end $f$";
  }

  // ---- working changes ----

  /**
   * Analyzes the working log when it holds more than twice the rows its statistics say (and over a
   * thousand). Staging, commits and discards join the log with itself and with the branch's state;
   * planned from statistics taken when the log was nearly empty (as it is after every commit), a
   * bulk write's million rows look like one, and a nested loop over them would run for hours. The
   * check reads at most twice the rows the statistics count.
   */
  public String analyzeIfStale() {
    return "do $strata_a$ declare expected bigint; n bigint; begin"
        + " select greatest(reltuples, 0)::bigint * 2 + 1000 into expected from pg_class where oid = "
        + literal(workingLog()) + "::regclass;"
        + " select count(*) into n from (select from " + workingLog() + " limit expected) x;"
        + " if n >= expected then analyze " + workingLog() + "; end if; end $strata_a$";
  }

  /** Content-addressed change sets of this table: every committed row change, stored once. */
  public String changes() {
    return SCHEMA + "." + Sql.quote(tid + "__changes");
  }

  public String createChanges() {
    return "create table if not exists " + changes() + " (change_set text not null, key jsonb not null,"
        + " op char(1) not null, before jsonb, after jsonb, primary key (change_set, key))";
  }

  /**
   * The commit gate of this table: an empty table of Strata's, locked by the default branch's commits of
   * this table. Writers of T lock it ROW EXCLUSIVE, if they can without waiting, for their capture to skip
   * keys already logged (see {@link #createCapture}); a commit locks it EXCLUSIVE before it locks any
   * working-log row of the table, so it waits for those writers and makes later ones (queued behind it)
   * take the capture's locking path. A table lock rather than an advisory lock: advisory locks share one
   * space with every session of the database, the query endpoint's included, and a query could take the
   * commit's lock id and stall the commits; the query roles have no privilege on the gate, so they cannot
   * lock it (and the ACCESS SHARE lock a refused SELECT takes conflicts only with ACCESS EXCLUSIVE).
   */
  public String commitGate() {
    return SCHEMA + "." + Sql.quote(tid + "__gate");
  }

  public String createCommitGate() {
    return "create table if not exists " + onBranch(null).commitGate() + " ()";
  }

  /** Taken by a commit of the default branch first (see {@link #commitGate}); none on a branch. */
  public Optional<String> lockForCommit() {
    return bid != null ? Optional.empty()
        : Optional.of("lock table " + commitGate() + " in exclusive mode");
  }

  /**
   * Locks the staged working-log rows (with {@code all}, every row: staging them first would write
   * each once more) before their after-images are read, and notes their keys: the commit takes those
   * rows and no others. A writer touching one of them waits for this commit and then records a fresh
   * working change, so its write is either in this commit or in the next, never lost. A row staged
   * after this statement (by a REST write, or the stage command) stays for the next commit: taken
   * unlocked, a writer could change it between the capture and its removal from the log.
   */
  public String lockStaged(boolean all) {
    return "create temporary table " + lockedTable() + " on commit drop as select " + keyList(null) + " from "
        + workingLog() + " with no data;"
        + "with l as (select " + keyList(null) + " from " + workingLog() + (all ? "" : " where __staged")
        + " order by " + keyList(null) + " for update) insert into " + lockedTable() + " select * from l";
  }

  private String lockedTable() {
    return Sql.quote("strata_locked_" + tid);
  }

  private String captureTable() {
    return Sql.quote("strata_capture_" + tid);
  }

  /**
   * The changes of the rows {@link #lockStaged} locked, as rows: key (a JSON array in key order), op
   * (I, U, D, or N for a change that came back to where it was), before- and after-images, and the
   * row hashes that move the content hash.
   */
  public String capture() {
    String after = "x.__after is not null";
    // the images are made once per row, below the fence (offset 0), and compared and hashed above it
    return "create temporary table " + captureTable() + " on commit drop as select " + keyList("x") + ","
        + " " + keyArray("x") + " as __key,"
        + " case when x.__before is null and not (" + after + ") then 'N' when x.__before is null then 'I'"
        + "  when not (" + after + ") then 'D' when x.__after = x.__before then 'N' else 'U' end as __op,"
        + " x.__before, x.__after,"
        + " case when " + after + " then " + TableCatalog.rowHash("x.__after_text")
        + " end as __after_hash,"
        + " case when x.__before is null then null else " + TableCatalog.rowHash("x.__before_text")
        + " end as __before_hash"
        + " from (select " + keyList("w") + ","
        + " case when w.__present then to_jsonb(" + loggedRow("w") + ") end as __before,"
        + " case when w.__present then " + loggedRow("w") + "::text end as __before_text,"
        + " case when " + present("t") + " then to_jsonb(t.*) end as __after,"
        + " case when " + present("t") + " then (t.*)::text end as __after_text"
        + " from " + lockedTable() + " l join " + workingLog() + " w on " + keyMatch("w", "l")
        + " left join " + state() + " t on " + keyMatch("t", "w") + " offset 0) x";
  }

  /** Counts, the change set's SHA-256 (canonical: one line per row, sorted by key) and the row-hash sum delta. */
  public String summarizeCapture() {
    return "select count(*) filter (where __op = 'I'), count(*) filter (where __op = 'U'),"
        + " count(*) filter (where __op = 'D'),"
        + " encode(sha256(convert_to(coalesce(string_agg(__key::text || ' ' || __op || ' '"
        + "   || coalesce(__before::text, '-') || ' ' || coalesce(__after::text, '-'), E'\\n' order by __key::text collate \"C\"), ''),"
        + "   'UTF8')), 'hex'),"
        + " (coalesce(sum(__after_hash) filter (where __op in ('I', 'U')), 0)"
        + "  - coalesce(sum(__before_hash) filter (where __op in ('U', 'D')), 0))::text"
        + " from " + captureTable() + " where __op <> 'N'";
  }

  /**
   * Stores the captured changes as change set $1, unless a commit stored the same content before. A
   * plain INSERT, at two thirds the cost of ON CONFLICT's speculative one: a repository's commits
   * run one at a time, and a table's change sets are its repository's alone.
   */
  public String storeCapture() {
    return "insert into " + changes() + " (change_set, key, op, before, after)"
        + " select $1, __key, __op, __before, __after from " + captureTable() + " where __op <> 'N'"
        + " and not exists (select from " + changes() + " where change_set = $1)";
  }

  public String clearCaptured() {
    return "delete from " + workingLog() + " w using " + captureTable() + " c where " + keyMatch("w", "c");
  }

  // ---- recovery sidecars: commits whose capture here is committed before the commit is appended ----

  /** Keeps the captured working-log rows of attempt $1 (every staged key, changed or not). */
  public String saveSidecar() {
    return "insert into " + SCHEMA + ".commit_sidecars (attempt, tid, key, before) select $1, '" + tid + "', __key,"
        + " __before from " + captureTable();
  }

  /**
   * Puts the working-log rows of an abandoned attempt $1 back, staged, as they were before it. A key
   * written again since keeps its first before-image (the sidecar's) and is unstaged, like any change.
   */
  public String restoreSidecar() {
    String values = columns.stream().map(c -> (key.contains(c) ? "k." : "r.") + Sql.quote(c))
        .collect(Collectors.joining(", "));
    return "insert into " + workingLog() + " (" + list(columns, null) + ", __present, __staged)"
        + " select " + values + ", s.before is not null, true from " + SCHEMA + ".commit_sidecars s,"
        + " lateral " + keyRecord("s.key") + " k, lateral jsonb_populate_record(null::" + table + ", s.before) r"
        + " where s.attempt = $1 and s.tid = '" + tid + "'"
        + " order by " + keyList("k") + " on conflict (" + keyList(null) + ") do update set "
        + assign(columns.stream().filter(c -> !key.contains(c)).toList(), "excluded")
        + (columns.size() > key.size() ? ", " : "") + "__present = excluded.__present, __staged = false, __changed_at = now()";
  }

  /** The attempts with sidecars in this database, of the tables $1 (tids). */
  public static final String SIDECAR_ATTEMPTS =
      "select distinct attempt from " + SCHEMA + ".commit_sidecars where tid = any($1)";

  public static final String DROP_SIDECAR = "delete from " + SCHEMA + ".commit_sidecars where attempt = $1";

  /** The short id of a tracked table: stable for a repository and table name. */
  public static String tableId(String repository, String name) {
    return TrackedTable.idOf(repository, name);
  }
}
