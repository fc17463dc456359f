package io.strata.projections.overlay;

import io.strata.events.CommitIds;
import io.strata.events.TableColumn;
import io.strata.events.TableTracked;
import io.strata.projections.postgres.Sql;
import io.strata.projections.postgres.TableCatalog;
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

  /** The short id of a branch: stable for a repository and branch name. */
  public static String branchId(String repository, String branch) {
    return CommitIds.sha256Hex(repository + "\u0000branch\u0000" + branch).substring(0, 10);
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
  private String forkEpoch() {
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
  private String present(String alias) {
    return alias + "." + Sql.quote(key.get(0)) + " is not null";
  }

  private String function(String op) {
    return SCHEMA + "." + Sql.quote(tid + "__capture_" + op);
  }

  private String trigger(String op) {
    return Sql.quote("strata_" + tid + "_" + op);
  }

  private String keyList(String alias) {
    return list(key, alias);
  }

  /** {@code "c" = alias."c", …} for each of {@code names}: an UPDATE's SET list from another row. */
  private static String assign(List<String> names, String alias) {
    return names.stream().map(c -> Sql.quote(c) + " = " + alias + "." + Sql.quote(c)).collect(Collectors.joining(", "));
  }

  private static String list(List<String> names, String alias) {
    return names.stream().map(k -> (alias == null ? "" : alias + ".") + Sql.quote(k)).collect(Collectors.joining(", "));
  }

  private String keyMatch(String a, String b) {
    return key.stream().map(k -> a + "." + Sql.quote(k) + " = " + b + "." + Sql.quote(k))
        .collect(Collectors.joining(" and "));
  }

  /** The key of row {@code alias} as a JSON array in key order: how change sets name rows. */
  String keyArray(String alias) {
    return "jsonb_build_array(" + keyList(alias) + ")";
  }

  /** A record of the table's type with the key columns of a key array {@code expr} set. */
  private String keyRecord(String expr) {
    StringBuilder object = new StringBuilder("jsonb_build_object(");
    for (int i = 0; i < key.size(); i++) {
      object.append(i == 0 ? "" : ", ").append("'").append(key.get(i)).append("', ").append(expr).append("->").append(i);
    }
    return "jsonb_populate_record(null::" + table + ", " + object + "))";
  }

  public static final String CREATE_SCHEMA = "create schema if not exists " + SCHEMA;

  /** The registry of tracked tables in this database: one repository per table. */
  public static final String CREATE_REGISTRY =
      "create table if not exists " + SCHEMA + ".tracked_tables ("
          + " tid text primary key, repository text not null, name text not null,"
          + " schema_name text not null, table_name text not null, tracked_at timestamptz not null default now(),"
          + " unique (schema_name, table_name));"
          + "alter table " + SCHEMA + ".tracked_tables add column if not exists last_epoch bigint not null default 0;"
          + "create table if not exists " + SCHEMA + ".branch_overlays ("
          + " tid text not null, bid text not null, branch text not null, view_schema text not null,"
          + " view_name text not null, created_at timestamptz not null default now(), primary key (tid, bid));"
          + "alter table " + SCHEMA + ".branch_overlays add column if not exists fork_epoch bigint not null default 0";

  public static final String REGISTRY_ENTRY =
      "select tid, repository, name from " + SCHEMA + ".tracked_tables where schema_name = $1 and table_name = $2";

  public static final String REGISTER =
      "insert into " + SCHEMA + ".tracked_tables (tid, repository, name, schema_name, table_name)"
          + " values ($1, $2, $3, $4, $5)";

  public static final String UNREGISTER = "delete from " + SCHEMA + ".tracked_tables where tid = $1";

  private static final String COLUMNS = "{columns}";
  private static final String VALUES = "{values}";
  private static final String SETS = "{sets}";
  private static final String ON_CONFLICT = "{on_conflict}";

  /**
   * A write of Strata's own to T, run (a DO block) with T's writable columns as the catalog has them
   * when it runs: {@code COLUMNS} becomes the columns an INSERT names (all but stored generated ones,
   * which T computes), {@code VALUES} the same of alias {@code s}, {@code SETS} the assignments {@code c =
   * s.c} of the non-key columns an UPDATE may set (nor identity columns GENERATED ALWAYS, which keep
   * their values), {@code ON_CONFLICT} "do update set" of those from {@code excluded}, or "do nothing".
   * A statement that needs {@code SETS} is skipped when there are none.
   */
  private String writingTable(String statement) {
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

  /** The live branch overlays of a table ($1 = tid): bid, branch, view schema and name. */
  public static final String OVERLAYS =
      "select bid, branch, view_schema, view_name, fork_epoch from " + SCHEMA + ".branch_overlays where tid = $1"
          + " order by bid";

  public static final String REGISTER_OVERLAY =
      "insert into " + SCHEMA + ".branch_overlays (tid, bid, branch, view_schema, view_name, fork_epoch)"
          + " values ($1, $2, $3, $4, $5, $6)";

  /** Starts a new fork epoch of a table ($1 = tid): a branch created now forks at it. */
  public static final String NEXT_EPOCH =
      "update " + SCHEMA + ".tracked_tables set last_epoch = last_epoch + 1 where tid = $1 returning last_epoch";

  /** The current fork epoch of a table ($1 = tid): the one the capture files pre-images under. */
  public static final String LAST_EPOCH = "select last_epoch from " + SCHEMA + ".tracked_tables where tid = $1";

  public static final String UNREGISTER_OVERLAY = "delete from " + SCHEMA + ".branch_overlays where tid = $1 and bid = $2";

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
  private String withImages(String source) {
    return "(select w.*, case when w.__present then to_jsonb(" + loggedRow("w") + ") end as __before from " + source
        + " w)";
  }

  /**
   * A key already in the log keeps its first before-image; the row is locked, and takes the write's
   * staging: a working-tree write (SQL, an application's) un-stages a staged key, a REST write stages it.
   *
   * @param staged a SQL boolean: false, true, or the capture's {@link #STAGING} variable
   */
  private String logUpsert(String staged) {
    return " on conflict (" + keyList(null) + ") do update set __staged = " + staged + ", __changed_at = now()"
        + " where " + workingLog() + ".__staged <> " + staged;
  }

  /**
   * Set for the rest of a transaction by a REST write on the default branch ({@link #stagingWrites}):
   * the capture records its keys staged, as a REST write is a staging command, not a working-tree edit.
   */
  private static final String STAGING_SETTING = "strata.staging";

  /** The capture functions' variable holding {@link #STAGING_SETTING}; two underscores: no column's name. */
  private static final String STAGING = "__staging";

  /** Makes the capture on T record the transaction's next writes as staged ({@code true}) or not. */
  private static String stagingWrites(boolean on) {
    return "select set_config('" + STAGING_SETTING + "', '" + (on ? "on" : "off") + "', true)";
  }

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
  private String notAmong(String alias, String transition, String relation, String condition) {
    if (key.size() > 1) {
      return "(select true from " + relation + " x where " + keyMatch("x", alias) + " and " + condition + ") is null";
    }
    String k = Sql.quote(key.get(0));
    return alias + "." + k + " not in (select x." + k + " from " + relation + " x where "
        + among("x", "s", transition) + " and " + condition + ")";
  }

  /** Whether the row {@code alias} has the key of a row of {@code transition}: one-column keys only. */
  private String among(String alias, String inner, String transition) {
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

  /** The overlay and working log of this branch, empty: the branch reads as T until they fill. */
  public String createBranchObjects() {
    return createPreimages() + ";create table " + overlay() + " as select * from " + table + " with no data;"
        + " alter table " + overlay() + " add column __deleted boolean not null default false,"
        + " add primary key (" + keyList(null) + ")"
        + (required.isEmpty() ? "" : ", add check (__deleted or (" + required.stream()
            .map(c -> Sql.quote(c) + " is not null").collect(Collectors.joining(" and ")) + "))")
        + ";" + createWorkingLog();
  }

  /**
   * Gives the overlay T's CHECK constraints, as they are now, so a branch refuses the rows T would
   * (a tombstone passes: its columns are empty). NOT VALID: rows already in the overlay came from
   * states that passed them, or predate a check added since.
   */
  public String copyChecks() {
    return "do $strata_c$ declare c record; begin for c in select pg_get_expr(k.conbin, k.conrelid) as expr"
        + " from pg_constraint k where k.conrelid = " + literal(table) + "::regclass and k.contype = 'c' order by k.oid"
        + " loop execute format('alter table " + overlay().replace("'", "''").replace("%", "%%")
        + " add check (__deleted or (%s)) not valid', c.expr); end loop; end $strata_c$";
  }

  /**
   * Fills a fresh overlay so the branch reads as another state: every key in {@code changed} (key,
   * img) gets its image, or a tombstone when the image is null.
   */
  public String fillOverlay(String changedCte) {
    return "with " + changedCte
        + ", rows as (insert into " + overlay() + " select r.*, false"
        + "   from changed, lateral jsonb_populate_record(null::" + table + ", img) r where img is not null order by k"
        + "   returning 1)"
        + " insert into " + overlay() + " (" + keyList(null) + ", __deleted) select " + keyList("r") + ", true"
        + "  from (select (" + keyRecord("k") + ").* from changed where img is null) r";
  }

  private String viewFunction() {
    return SCHEMA + "." + Sql.quote(tid + "__view_" + bid);
  }

  /**
   * The branch's updatable view: its working state, with an INSTEAD OF trigger that records each
   * changed key's first before-image in the branch's working log and writes the overlay (a tombstone
   * for a delete, or for the old key when an UPDATE changes the key).
   */
  public String createView(String viewSchema, String viewName) {
    String view = Sql.quote(viewSchema) + "." + Sql.quote(viewName);
    String oldKey = keyList("OLD");
    String newKey = keyList("NEW");
    String upsertRow = "insert into " + overlay() + " (" + list(columns, null) + ", __deleted) values ("
        + list(columns, "NEW") + ", false) on conflict (" + keyList(null) + ") do update set "
        + assign(columns, "excluded")
        + ", __deleted = false;";
    String tombstoneOld = "insert into " + overlay() + " (" + keyList(null) + ", __deleted) values (" + oldKey
        + ", true) on conflict (" + keyList(null) + ") do update set __deleted = true;";
    String logOld = "insert into " + workingLog() + " (" + list(columns, null) + ", __present) values ("
        + list(columns, "OLD") + ", true)" + logUpsert("false") + ";";
    String logNew = "insert into " + workingLog() + " (" + keyList(null) + ", __present) values (" + newKey
        + ", false)" + logUpsert("false") + ";";
    String duplicate = "if exists (select 1 from " + state() + " s where "
        + key.stream().map(k -> "s." + Sql.quote(k) + " = NEW." + Sql.quote(k)).collect(Collectors.joining(" and "))
        + ") then raise exception 'duplicate key value violates unique constraint of %', TG_TABLE_NAME"
        + " using errcode = '23505'; end if;";
    String keyChanged = "(" + newKey + ") is distinct from (" + oldKey + ")";
    // The log upserts lock the key's working-log row: writers of a key take turns. The row is then
    // read again (a fresh snapshot): if another transaction changed it since this statement read it,
    // this write would silently undo that one, so it fails as a serialization failure to retry, as
    // under REPEATABLE READ — a view has no row locks of its own to wait on.
    String unchanged = "if not exists (select 1 from " + state() + " s where "
        + key.stream().map(k -> "s." + Sql.quote(k) + " = OLD." + Sql.quote(k)).collect(Collectors.joining(" and "))
        + " and to_jsonb(s.*) = to_jsonb(OLD)) then raise exception"
        + " 'could not serialize access due to concurrent update of a row of %', TG_TABLE_NAME"
        + " using errcode = '40001'; end if;";
    return "create schema if not exists " + Sql.quote(viewSchema) + ";"
        + "create view " + view + " as select * from " + state() + " s;"
        + viewDefaults(view)
        + viewFunction(generated -> "create or replace function " + viewFunction() + "() returns trigger language plpgsql"
            + " as $f$ declare g record; v text; begin"
            + (generated ? " if TG_OP <> 'DELETE' then " + computeGeneratedInNew() + " end if;" : "")
            + " if TG_OP = 'DELETE' then " + logOld + unchanged + tombstoneOld + " return OLD; end if;"
            + " if TG_OP = 'INSERT' then " + logNew + duplicate + upsertRow + " return NEW; end if;"
            + logOld + unchanged
            + " if " + keyChanged + " then " + logNew + duplicate + tombstoneOld + " end if;"
            + upsertRow + " return NEW; end $f$")
        + "create trigger strata_write instead of insert or update or delete on " + view
        + " for each row execute function " + viewFunction() + "();";
  }

  /**
   * Creates the view's trigger function, {@code function(true)} when T has stored generated columns:
   * a branch's overlay holds their values as plain columns, so the trigger computes them.
   */
  private String viewFunction(Function<Boolean, String> function) {
    return "do $strata_v$ begin if exists (select 1 from pg_attribute a where a.attrelid = " + literal(table)
        + "::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated <> '') then execute "
        + literal(function.apply(true)) + "; else execute " + literal(function.apply(false)) + "; end if;"
        + " end $strata_v$;";
  }

  /**
   * Sets NEW's stored generated columns as T would compute them: each expression, from the catalog,
   * evaluated over NEW's columns (as text, then into NEW by its column's type).
   */
  private String computeGeneratedInNew() {
    return generatedColumns()
        + " execute format('select (%s)::text from (select ($1).*) x', g.expr) using NEW into v;"
        + " NEW := jsonb_populate_record(NEW, jsonb_build_object(g.attname, v)); end loop;";
  }

  /**
   * Sets the stored generated columns of the rows in {@code relation} (T's columns) as T would compute
   * them: for a branch's overlay, which holds them as plain columns. One UPDATE per such column.
   */
  private String computeGenerated(String relation) {
    return "do $strata_g$ declare g record; begin " + generatedColumns()
        + " execute format('update " + relation.replace("'", "''").replace("%", "%%") + " set %I = (%s)', g.attname,"
        + " g.expr); end loop; end $strata_g$;";
  }

  private String generatedColumns() {
    return "for g in select a.attname, pg_get_expr(d.adbin, d.adrelid) as expr from pg_attribute a join pg_attrdef d"
        + " on d.adrelid = a.attrelid and d.adnum = a.attnum where a.attrelid = " + literal(table) + "::regclass"
        + " and a.attnum > 0 and not a.attisdropped and a.attgenerated = 's' order by a.attnum loop";
  }

  /**
   * Gives the view T's column defaults, identity columns drawing from T's own sequence: an INSERT
   * through a branch's view that leaves such a column out gets the value an INSERT into T would.
   */
  private String viewDefaults(String view) {
    return "do $strata_d$ declare r record; begin for r in select a.attname, a.attidentity <> '' as identity,"
        + " pg_get_expr(d.adbin, d.adrelid) as expr from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid"
        + " and d.adnum = a.attnum where a.attrelid = " + literal(table) + "::regclass and a.attnum > 0"
        + " and not a.attisdropped and a.attgenerated = '' and (a.attidentity <> '' or d.adbin is not null) loop"
        + " execute format('alter view %s alter column %I set default %s', " + literal(view) + ", r.attname,"
        + " case when r.identity then format('nextval(%L::regclass)', pg_get_serial_sequence(" + literal(table)
        + ", r.attname)) else r.expr end); end loop; end $strata_d$;";
  }

  /** Removes this branch's view, overlay and working log. */
  public String dropBranchObjects(String viewSchema, String viewName) {
    return QueryAccess.LOCK + ";" + dropQueryViews()
        + "drop view if exists " + Sql.quote(viewSchema) + "." + Sql.quote(viewName) + ";"
        + "drop function if exists " + viewFunction() + "();"
        + "drop table if exists " + overlay() + ";"
        + "drop table if exists " + workingLog() + ";";
  }

  /** Drops the view schema when this was its last view. */
  public static String dropSchemaIfEmpty(String viewSchema) {
    return "do $d$ begin if not exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        + " where n.nspname = " + literal(viewSchema) + ") then execute 'drop schema if exists "
        + Sql.quote(viewSchema).replace("'", "''") + "'; end if; end $d$";
  }

  private static String literal(String text) {
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

  // ---- row writes (REST) ----

  private String batchTable() {
    return Sql.quote("strata_batch_" + tid);
  }

  /**
   * The rows of a write batch: $1 a JSON array of rows (an upsert's row, a delete's key); $2 per row,
   * its marks: 'u' (upsert) or 'd' (delete), then '1' or '0' per column of T, whether the row gives it
   * (a bytea: O(1) to index, where text is O(n)). The last operation on each key wins (an upsert
   * replaces the whole row), so the batch nets to one operation per key, applied set-wise. An
   * upsert's row takes, for each column it leaves out, the column's default as {@code defaults} gives
   * it ({@link #columnDefaults}; an INSERT into T would), else NULL.
   */
  public String createBatch(Map<String, String> defaults) {
    int stride = columns.size() + 1;
    String row = "(r.__n::int - 1) * " + stride;
    String values = IntStream.range(0, columns.size()).mapToObj(i -> {
          String c = columns.get(i);
          return defaults.containsKey(c) && !key.contains(c)
              ? "case get_byte($2::bytea, " + row + " + " + (i + 1) + ") when 48 then " + defaults.get(c) + " else r."
                  + Sql.quote(c) + " end as " + Sql.quote(c)
              : "r." + Sql.quote(c);
        })
        .collect(Collectors.joining(", "));
    return "create temporary table " + batchTable() + " on commit drop as select distinct on (" + keyList("r") + ")"
        + " case get_byte($2::bytea, " + row + ") when 100 then 'd' else 'u' end as __o, " + values
        + " from json_populate_recordset(null::" + table + ", $1::text::json) with ordinality as r("
        + list(columns, null) + ", __n) order by " + keyList("r") + ", r.__n desc";
  }

  /**
   * The defaults of T's columns that have one, read from the catalog as (column, SQL expression of the
   * column's type): identity and serial columns draw from T's own sequence; stored generated columns
   * have none (they are computed).
   */
  public String columnDefaults() {
    return "select a.attname::text, format('(%s)::%s', case when a.attidentity <> '' then format('nextval(%L::regclass)',"
        + " pg_get_serial_sequence(" + literal(table) + ", a.attname)) else pg_get_expr(d.adbin, d.adrelid) end,"
        + " format_type(a.atttypid, a.atttypmod)) from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid"
        + " and d.adnum = a.attnum where a.attrelid = " + literal(table) + "::regclass and a.attnum > 0"
        + " and not a.attisdropped and a.attgenerated = '' and (a.attidentity <> '' or d.adbin is not null)";
  }

  /**
   * Applies the batch to this branch's working state, after {@link #logBatch}. On the default branch,
   * to T itself: its capture records the changes, staged. On another branch, to its overlay.
   */
  public String applyBatch() {
    String b = batchTable();
    List<String> nonKeyColumns = columns.stream().filter(c -> !key.contains(c)).toList();
    if (bid == null) {
      return stagingWrites(true) + ";"
          + "delete from " + table + " t using " + b + " b where " + keyMatch("t", "b") + " and b.__o = 'd';"
          + writingTable("insert into " + table + " (" + COLUMNS + ") overriding system value select " + VALUES
          + " from " + b + " s where s.__o = 'u' order by " + keyList("s") + " on conflict (" + keyList(null) + ") "
          + ON_CONFLICT) + ";" + stagingWrites(false) + ";";
    }
    // the current row of each key: the overlay's (a tombstone: none), else the table's as the branch
    // forked from it — key probes, so a batch costs O(its rows), whatever the table's size. Every
    // writer of the overlay holds the key's working-log row first, and logBatch took those of all
    // upserted keys: the overlay rows found missing stay missing, and take a plain INSERT (half the
    // cost of the speculative one of ON CONFLICT); the rest an UPDATE
    String set = assign(nonKeyColumns, "b");
    return computeGenerated(b) + ";"
        + "update " + overlay() + " o set " + (set.isEmpty() ? "" : set + ", ") + "__deleted = false from " + b + " b"
        + " where " + keyMatch("o", "b") + (key.size() == 1 ? " and " + among("o", "s", b) : "") + " and b.__o = 'u';"
        + "insert into " + overlay() + " (" + list(columns, null) + ", __deleted) select " + list(columns, "b") + ", false"
        + " from " + b + " b where b.__o = 'u' and " + notAmong("b", b, overlay(), "true") + " order by " + keyList("b") + ";"
        + "insert into " + overlay() + " (" + keyList(null) + ", __deleted) select " + keyList("b") + ", true"
        + " from " + b + " b where b.__o = 'd' order by " + keyList("b") + " on conflict (" + keyList(null)
        + ") do update set __deleted = true;";
  }

  /**
   * Records the first before-image of each key of {@code current} (alias c, from {@link #currentRows})
   * in the branch's working log, staged (a REST write is a staging command), locking their log rows in
   * key order.
   *
   * @param condition a condition on c that logs a key even where it has no row, followed by "or"
   */
  private String logCurrent(String current, String condition) {
    return "insert into " + workingLog() + " (" + list(columns, null) + ", __present, __staged) select "
        + list(columns, "c") + ", c.__found, true from " + current + " where " + condition + " c.__found"
        + " order by " + keyList("c") + logUpsert("true");
  }

  /**
   * The current row of each key of {@code rows} (alias b) on this branch, in T's columns (the key's
   * own where it has no row), and whether it has one ({@code __found}), with {@code extra} columns of
   * b. It is the overlay's (a tombstone: none), else the table's as the branch forked from it: the
   * key's first pre-image since the fork (a tombstone: none), else the table's row. The cost is O(rows)
   * whatever the size of the table or the overlay (see {@link #keyLookup}).
   */
  private String currentRows(String rows, String batch, String extra) {
    // the first relation holding the key decides: its row (a tombstone: no row), in T's columns
    String found = "case when " + present("o") + " then not o.__deleted when " + present("p") + " then not p.__deleted"
        + " else " + present("x") + " end";
    String image = columns.stream().map(c -> (key.contains(c) ? "b." + Sql.quote(c) : "case when " + present("o")
            + " then o." + Sql.quote(c) + " when " + present("p") + " then p." + Sql.quote(c) + " else x." + Sql.quote(c)
            + " end") + " as " + Sql.quote(c))
        .collect(Collectors.joining(", "));
    String sinceFork = " and p.__epoch >= " + forkEpoch();
    String preimage = batch != null && key.size() == 1
        ? " left join (select distinct on (" + Sql.quote(key.get(0)) + ") * from " + preimages() + " p where p."
            + Sql.quote(key.get(0)) + anyKeyOf(batch) + sinceFork + " order by " + Sql.quote(key.get(0)) + ", __epoch) p on "
            + keyMatch("p", "b")
        : " left join lateral (select * from " + preimages() + " p where " + keyMatch("p", "b") + sinceFork
            + " order by p.__epoch limit 1) p on true";
    return "select " + image + ", " + found + " as __found" + extra + " from " + rows + keyLookup(overlay(), "o", batch)
        + preimage + keyLookup(table, "x", batch);
  }

  /**
   * A left join of {@code relation} (as {@code alias}) to the rows b by key, O(rows of b) whatever the
   * relation's size, where the planner left to itself would hash the whole relation for a batch of any
   * size: with a one-column key and a batch table ({@code batch}), one index scan for the batch's keys
   * together ({@code = any}), hash-joined; else one index probe per key (a LATERAL with a LIMIT, which
   * the planner keeps as such), three times slower for a large batch.
   */
  private String keyLookup(String relation, String alias, String batch) {
    if (batch != null && key.size() == 1) {
      return " left join (select * from " + relation + " " + alias + " where " + alias + "." + Sql.quote(key.get(0))
          + anyKeyOf(batch) + ") " + alias + " on " + keyMatch(alias, "b");
    }
    return " left join lateral (select * from " + relation + " " + alias + " where " + keyMatch(alias, "b")
        + " limit 1) " + alias + " on true";
  }

  private String anyKeyOf(String batch) {
    String k = Sql.quote(key.get(0));
    return " = any(array(select " + k + " from " + batch + "))";
  }

  /**
   * Before a batch is applied ({@link #applyBatch}): what it does to the branch's working state, one
   * row of counts — keys it gives a row they had not (inserted), rows it replaces (updated) and rows
   * it deletes. On a branch, it also records the first before-image of every key it writes in the
   * working log, staged; on the default branch the capture on T does that as the batch is applied.
   */
  public String logBatch() {
    String b = batchTable();
    String counts = "select count(*) filter (where c.__o = 'u' and not c.__found) as inserted,"
        + " count(*) filter (where c.__o = 'u' and c.__found) as updated,"
        + " count(*) filter (where c.__o = 'd' and c.__found) as deleted from ";
    if (bid == null) {
      return counts + "(select b.__o, " + present("x") + " as __found from " + b + " b" + keyLookup(table, "x", b)
          + ") c";
    }
    return "with c as (" + currentRows(b + " b", b, ", b.__o") + "), l as (" + logCurrent("c", "c.__o = 'u' or")
        + ") " + counts + "c";
  }

  /**
   * Takes the write lock of the key in $1 (a JSON object) on this branch before a read-modify-write
   * (PATCH): its working-log row on a branch, the row itself on the default branch ({@link #currentRow}).
   */
  public String lockKey() {
    return bid == null
        ? "select 1"
        : logCurrent("(" + currentRows("jsonb_populate_record(null::" + table + ", $1::text::jsonb) b", null, "")
            + ") c", "true or");
  }

  /** The branch's current row with the key in $1 (a JSON object), or no row; locked on the default branch. */
  public String currentRow() {
    return "select to_jsonb(s.*)::text from " + state() + " s, jsonb_populate_record(null::" + table + ", $1::text::jsonb) k"
        + " where " + keyMatch("s", "k") + (bid == null ? " for update of s" : "");
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

  private String dropQueryViews() {
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
   * Working changes of this branch: rows inserted, updated and deleted since the last commit, staged
   * and not, comparing each key's before-image with the current row. A key changed and changed back
   * counts as nothing.
   */
  public String status() {
    return "select w.__staged,"
        + " count(*) filter (where w.__before is null and " + present("t") + ") as inserted,"
        + " count(*) filter (where w.__before is not null and " + present("t") + " and to_jsonb(t.*) <> w.__before) as updated,"
        + " count(*) filter (where w.__before is not null and not (" + present("t") + ")) as deleted"
        + " from " + withImages(workingLog()) + " w left join " + state() + " t on " + keyMatch("t", "w")
        + " group by w.__staged";
  }

  /** Counts of the net changes among working-log rows {@code rows} (a relation or CTE with the log's columns). */
  private String countsOf(String rows) {
    return "select count(*) filter (where s.__before is null and " + present("t") + ") as inserted,"
        + " count(*) filter (where s.__before is not null and " + present("t") + " and to_jsonb(t.*) <> s.__before) as updated,"
        + " count(*) filter (where s.__before is not null and not (" + present("t") + ")) as deleted"
        + " from " + withImages(rows) + " s left join " + state() + " t on " + keyMatch("t", "s");
  }

  /** Marks the working changes staged (or unstaged) and counts the net changes concerned. */
  public String stage(boolean staged) {
    // rows are locked in key order, like every other writer of the working log, so none can deadlock
    return "with l as (select " + keyList(null) + " from " + workingLog() + " where __staged = " + !staged
        + " order by " + keyList(null) + " for update),"
        + " s as (update " + workingLog() + " w set __staged = " + staged + " from l where " + keyMatch("w", "l")
        + " returning w.*) " + countsOf("s");
  }

  /** Counts of every working change, staged or not. */
  public String pending() {
    return countsOf(workingLog());
  }

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

  /** Holds off writers of this branch's working state while it is put back. */
  public String lockWorkingState() {
    return bid == null ? lockAgainstWriters() : "lock table " + overlay() + ", " + workingLog() + " in exclusive mode";
  }

  /**
   * Puts the branch back at its last commit: keys inserted since are deleted, updated and deleted ones
   * restored from their before-images; then the working log is emptied. On the default branch the
   * writes are the projector's own ({@code strata.applying}), so the capture does not record them as
   * working changes (branch overlays still keep their pre-images).
   */
  public String discard() {
    String images = " from " + workingLog() + " w where w.__present";
    if (bid != null) {
      return "insert into " + overlay() + " (" + list(columns, null) + ", __deleted) select " + list(columns, "w")
          + ", false" + images + " order by " + keyList("w") + " on conflict (" + keyList(null) + ") do update set "
          + assign(columns, "excluded")
          + ", __deleted = false;"
          + "insert into " + overlay() + " (" + keyList(null) + ", __deleted) select " + keyList("w") + ", true from "
          + workingLog() + " w where not w.__present order by " + keyList("w") + " on conflict (" + keyList(null)
          + ") do update set __deleted = true;"
          + "delete from " + workingLog() + ";";
    }
    return "select set_config('strata.applying', 'on', true);"
        + lockAgainstWriters() + ";"
        + "delete from " + table + " t using " + workingLog() + " w where " + keyMatch("t", "w") + " and not w.__present;"
        + writingTable("update " + table + " t set " + SETS + " from (select " + list(columns, "w") + images + ") s"
            + " where " + keyMatch("t", "s")) + ";"
        + writingTable("insert into " + table + " (" + COLUMNS + ") overriding system value select " + VALUES
            + " from (select " + list(columns, "w") + images + ") s"
            + " where not exists (select 1 from " + table + " t where " + keyMatch("t", "s") + ")") + ";"
        + "delete from " + workingLog() + ";"
        + "select set_config('strata.applying', 'off', true);";
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

  /**
   * The working-log rows a cross-storage commit attempt captured (and removed) in this database, kept
   * until the commit is appended (then dropped) or abandoned (then put back): one row per key.
   */
  public static final String CREATE_SIDECARS =
      "create table if not exists " + SCHEMA + ".commit_sidecars (attempt text not null, tid text not null,"
          + " key jsonb not null, before jsonb, primary key (attempt, tid, key))";

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

  /** Whether this database has the sidecar table (a storage no cross-storage commit reached has none). */
  public static final String HAS_SIDECARS = "select to_regclass('" + SCHEMA + ".commit_sidecars') is not null";

  public static final String DROP_SIDECAR = "delete from " + SCHEMA + ".commit_sidecars where attempt = $1";

  /** The short id of a tracked table: stable for a repository and table name. */
  public static String tableId(String repository, String name) {
    return "t" + CommitIds.sha256Hex(repository + "\u0000" + name).substring(0, 12);
  }
}
