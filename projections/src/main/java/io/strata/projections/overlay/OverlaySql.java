package io.strata.projections.overlay;

import io.strata.projections.postgres.Sql;
import java.util.List;
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
 *   <li>a guard that refuses {@code TRUNCATE}, which would bypass the capture.
 * </ul>
 */
public final class OverlaySql {
  public static final String SCHEMA = "strata";

  private final String tid;
  private final String table;
  private final List<String> key;
  private final List<String> columns;

  public OverlaySql(String tid, String schema, String table, List<String> key) {
    this(tid, schema, table, key, key);
  }

  public OverlaySql(String tid, String schema, String table, List<String> key, List<String> columns) {
    this.tid = tid;
    this.table = Sql.qualified(schema, table);
    this.key = List.copyOf(key);
    this.columns = List.copyOf(columns);
    key.forEach(Sql::quote); // validates
    columns.forEach(Sql::quote);
  }

  public String workingLog() {
    return SCHEMA + "." + Sql.quote(tid + "__w_0");
  }

  private String function(String op) {
    return SCHEMA + "." + Sql.quote(tid + "__capture_" + op);
  }

  private String trigger(String op) {
    return Sql.quote("strata_" + tid + "_" + op);
  }

  private String keyList(String alias) {
    return key.stream().map(k -> (alias == null ? "" : alias + ".") + Sql.quote(k)).collect(Collectors.joining(", "));
  }

  private String keyMatch(String a, String b) {
    return key.stream().map(k -> a + "." + Sql.quote(k) + " = " + b + "." + Sql.quote(k))
        .collect(Collectors.joining(" and "));
  }

  public static final String CREATE_SCHEMA = "create schema if not exists " + SCHEMA;

  /** The registry of tracked tables in this database: one repository per table. */
  public static final String CREATE_REGISTRY =
      "create table if not exists " + SCHEMA + ".tracked_tables ("
          + " tid text primary key, repository text not null, name text not null,"
          + " schema_name text not null, table_name text not null, tracked_at timestamptz not null default now(),"
          + " unique (schema_name, table_name))";

  public static final String REGISTRY_ENTRY =
      "select tid, repository, name from " + SCHEMA + ".tracked_tables where schema_name = $1 and table_name = $2";

  public static final String REGISTER =
      "insert into " + SCHEMA + ".tracked_tables (tid, repository, name, schema_name, table_name)"
          + " values ($1, $2, $3, $4, $5)";

  public static final String UNREGISTER = "delete from " + SCHEMA + ".tracked_tables where tid = $1";

  /** Blocks writers (not readers) of T while the capture is installed and the rows measured. */
  public String lockAgainstWriters() {
    return "lock table " + table + " in share row exclusive mode";
  }

  /** The working log: T's key columns (same types), the first before-image, staged or not. */
  public String createWorkingLog() {
    return "create table " + workingLog() + " as select " + keyList(null) + " from " + table + " with no data;"
        + " alter table " + workingLog() + " add column __before jsonb,"
        + " add column __staged boolean not null default false,"
        + " add column __changed_at timestamptz not null default now(),"
        + " add primary key (" + keyList(null) + ")";
  }

  /**
   * Capture functions and triggers. A key's first before-image since the last commit is kept (a later
   * write only touches the row, which also takes its lock, and un-stages it); keys that did not exist
   * get a null before-image.
   */
  public String createCapture() {
    String skip = "if current_setting('strata.applying', true) = 'on' then return null; end if;";
    // A key already in the log keeps its first before-image. The conflicting row is locked either way
    // (that is what orders writers with commits); it is only rewritten when it has to be un-staged.
    String upsert = " on conflict (" + keyList(null) + ") do update set __staged = false, __changed_at = now()"
        + " where " + workingLog() + ".__staged";
    // Rows go in key order: the order in which a commit locks the working log, so they cannot deadlock.
    String fromOld = "insert into " + workingLog() + " (" + keyList(null) + ", __before)"
        + " select " + keyList("o") + ", to_jsonb(o) from strata_old o order by " + keyList("o") + upsert + ";";
    String fromNewOnly = "insert into " + workingLog() + " (" + keyList(null) + ", __before)"
        + " select " + keyList("n") + ", null from strata_new n"
        + " where not exists (select 1 from strata_old o where " + keyMatch("o", "n") + ")"
        + " order by " + keyList("n") + upsert + ";";
    String fromNew = "insert into " + workingLog() + " (" + keyList(null) + ", __before)"
        + " select " + keyList("n") + ", null from strata_new n order by " + keyList("n") + upsert + ";";
    return fn("ins", skip + fromNew)
        + fn("upd", skip + fromOld + fromNewOnly)
        + fn("del", skip + fromOld)
        + "create or replace function " + function("truncate") + "() returns trigger language plpgsql as $f$ begin"
        + " raise exception 'Strata tracks %: TRUNCATE would bypass its change capture; use DELETE', TG_TABLE_NAME"
        + " using errcode = '0A000'; end $f$;"
        + "create trigger " + trigger("ins") + " after insert on " + table
        + " referencing new table as strata_new for each statement execute function " + function("ins") + "();"
        + "create trigger " + trigger("upd") + " after update on " + table
        + " referencing old table as strata_old new table as strata_new for each statement execute function "
        + function("upd") + "();"
        + "create trigger " + trigger("del") + " after delete on " + table
        + " referencing old table as strata_old for each statement execute function " + function("del") + "();"
        + "create trigger " + trigger("truncate") + " before truncate on " + table
        + " for each statement execute function " + function("truncate") + "();";
  }

  private String fn(String op, String body) {
    return "create or replace function " + function(op) + "() returns trigger language plpgsql as $f$ begin "
        + body + " return null; end $f$;";
  }

  /** Removes every Strata object of this table (the table and its data stay). */
  public String dropAll() {
    StringBuilder sql = new StringBuilder();
    for (String op : List.of("ins", "upd", "del", "truncate")) {
      sql.append("drop trigger if exists ").append(trigger(op)).append(" on ").append(table).append(';');
      sql.append("drop function if exists ").append(function(op)).append("();");
    }
    sql.append("drop table if exists ").append(workingLog()).append(';');
    sql.append("drop table if exists ").append(changes()).append(';');
    return sql.toString();
  }

  /**
   * Working changes of the default branch: rows inserted, updated and deleted since the last commit,
   * staged and not, comparing each key's before-image with T's current row. A key changed and
   * changed back counts as nothing.
   */
  public String status() {
    return "select w.__staged,"
        + " count(*) filter (where w.__before is null and t.ctid is not null) as inserted,"
        + " count(*) filter (where w.__before is not null and t.ctid is not null and to_jsonb(t) <> w.__before) as updated,"
        + " count(*) filter (where w.__before is not null and t.ctid is null) as deleted"
        + " from " + workingLog() + " w left join " + table + " t on " + keyMatch("t", "w")
        + " group by w.__staged";
  }

  /** Counts of the net changes among working-log rows {@code s} (with key columns and __before). */
  private String countsOf(String rows) {
    return "select count(*) filter (where s.__before is null and t.ctid is not null) as inserted,"
        + " count(*) filter (where s.__before is not null and t.ctid is not null and to_jsonb(t) <> s.__before) as updated,"
        + " count(*) filter (where s.__before is not null and t.ctid is null) as deleted"
        + " from " + rows + " s left join " + table + " t on " + keyMatch("t", "s");
  }

  /** Marks the working changes staged (or unstaged) and counts the net changes concerned. */
  public String stage(boolean staged) {
    // rows are locked in key order, like every other writer of the working log, so none can deadlock
    return "with l as (select " + keyList(null) + " from " + workingLog() + " where __staged = " + !staged
        + " order by " + keyList(null) + " for update),"
        + " s as (update " + workingLog() + " w set __staged = " + staged + " from l where " + keyMatch("w", "l")
        + " returning " + keyList("w") + ", w.__before) " + countsOf("s");
  }

  /** Counts of every working change, staged or not. */
  public String pending() {
    return countsOf(workingLog());
  }

  /**
   * Puts T back at the last commit: rows inserted since are deleted, updated and deleted ones are
   * restored from their before-images; then the working log is emptied. The writes are the projector's
   * own ({@code strata.applying}), so the capture does not record them.
   */
  public String discard() {
    String record = "(jsonb_populate_record(null::" + table + ", w.__before)).*";
    String assignments = columns.stream().map(c -> Sql.quote(c) + " = r." + Sql.quote(c)).collect(Collectors.joining(", "));
    return "select set_config('strata.applying', 'on', true);"
        + lockAgainstWriters() + ";"
        + "delete from " + table + " t using " + workingLog() + " w where " + keyMatch("t", "w") + " and w.__before is null;"
        + "update " + table + " t set " + assignments + " from (select " + record + " from " + workingLog() + " w"
        + "  where w.__before is not null) r where " + keyMatch("t", "r") + ";"
        + "insert into " + table + " overriding system value select " + record + " from " + workingLog() + " w"
        + " where w.__before is not null and not exists (select 1 from " + table + " t where " + keyMatch("t", "w") + ");"
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

  public String stageAll() {
    return "with l as (select " + keyList(null) + " from " + workingLog() + " where not __staged"
        + " order by " + keyList(null) + " for update)"
        + " update " + workingLog() + " w set __staged = true from l where " + keyMatch("w", "l");
  }

  /**
   * Locks the staged working-log rows before their after-images are read: a writer touching one of
   * them waits for this commit and then records a fresh working change, so its write is either in
   * this commit or in the next, never lost.
   */
  public String lockStaged() {
    return "select 1 from " + workingLog() + " where __staged order by " + keyList(null) + " for update";
  }

  private String captureTable() {
    return Sql.quote("strata_capture_" + tid);
  }

  /**
   * The staged changes as rows: key (a JSON array in key order), op (I, U, D, or N for a change that
   * came back to where it was), before- and after-images, and the row hashes that move the content hash.
   */
  public String capture() {
    String before = "jsonb_populate_record(null::" + table + ", w.__before)::text";
    return "create temporary table " + captureTable() + " on commit drop as select " + keyList("w") + ","
        + " jsonb_build_array(" + keyList("w") + ") as __key,"
        + " case when w.__before is null and t.ctid is null then 'N' when w.__before is null then 'I'"
        + "  when t.ctid is null then 'D' when to_jsonb(t) = w.__before then 'N' else 'U' end as __op,"
        + " w.__before, case when t.ctid is null then null else to_jsonb(t) end as __after,"
        + " case when t.ctid is null then null else " + io.strata.projections.postgres.TableCatalog.rowHash("t::text")
        + " end as __after_hash,"
        + " case when w.__before is null then null else " + io.strata.projections.postgres.TableCatalog.rowHash(before)
        + " end as __before_hash"
        + " from " + workingLog() + " w left join " + table + " t on " + keyMatch("t", "w") + " where w.__staged";
  }

  /** Counts, the change set's SHA-256 (canonical: one line per row, sorted by key) and the row-hash sum delta. */
  public String summarizeCapture() {
    return "select count(*) filter (where __op = 'I'), count(*) filter (where __op = 'U'),"
        + " count(*) filter (where __op = 'D'),"
        + " encode(sha256(convert_to(coalesce(string_agg(__key::text || ' ' || __op || ' '"
        + "   || coalesce(__before::text, '-') || ' ' || coalesce(__after::text, '-'), E'\\n' order by __key::text), ''),"
        + "   'UTF8')), 'hex'),"
        + " (coalesce(sum(__after_hash) filter (where __op in ('I', 'U')), 0)"
        + "  - coalesce(sum(__before_hash) filter (where __op in ('U', 'D')), 0))::text"
        + " from " + captureTable() + " where __op <> 'N'";
  }

  public String storeCapture() {
    return "insert into " + changes() + " (change_set, key, op, before, after)"
        + " select $1, __key, __op, __before, __after from " + captureTable() + " where __op <> 'N'"
        + " on conflict do nothing";
  }

  public String clearCaptured() {
    return "delete from " + workingLog() + " w using " + captureTable() + " c where " + keyMatch("w", "c");
  }

  /** The short id of a tracked table: stable for a repository and table name. */
  public static String tableId(String repository, String name) {
    return "t" + io.strata.events.CommitIds.sha256Hex(repository + "\u0000" + name).substring(0, 12);
  }
}
