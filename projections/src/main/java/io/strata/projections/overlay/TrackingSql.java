package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.function.Function;

/**
 * The statements of what versions a tracked table T (see {@link PgTracking}): its working log,
 * change-set table, commit gate and pre-image log, and the capture functions and triggers on T that
 * record every write to it.
 */
final class TrackingSql {
  /** The registration of table $1.$2 (schema, table) in this database: tid, repository, name. */
  static final String REGISTRY_ENTRY = """
      select tid, repository, name from strata.tracked_tables where schema_name = $1 and table_name = $2""";

  static final String REGISTER = """
      insert into strata.tracked_tables (tid, repository, name, schema_name, table_name) values ($1, $2, $3, $4, $5)""";

  static final String UNREGISTER = "delete from strata.tracked_tables where tid = $1";

  /** Forgets the branch objects of table $1 (tid), once dropped. */
  static final String UNREGISTER_OVERLAYS = "delete from strata.branch_overlays where tid = $1";

  /** The current fork epoch of a table ($1 = tid): the one the capture files pre-images under. */
  static final String LAST_EPOCH = "select last_epoch from strata.tracked_tables where tid = $1";

  /** The capture functions' variable holding {@link OverlaySql#STAGING_SETTING}; two underscores: no column's name. */
  private static final String STAGING = "__staging";

  /** Under READ COMMITTED, each statement of a capture function reads the logs afresh. */
  private static final String READ_COMMITTED = "current_setting('transaction_isolation') = 'read committed'";

  private final OverlaySql s;

  /** @param table the table as the branch whose objects are made sees it (the default branch's, for the capture) */
  TrackingSql(OverlaySql table) {
    this.s = table;
  }

  /**
   * The working log: per changed key, its first before-image since the last commit in T's own columns
   * and types (none where the key had no row: {@code __present} false), staged or not. Typed, so a
   * first write of a key copies its old row as it is, where a JSON image would cost more than the
   * write. The default branch's comes with the table's commit gate.
   */
  String createWorkingLog() {
    return (s.isDefaultBranch() ? createCommitGate() + ";" : "") + fill("""
        create table {working_log} as select * from {rows} with no data;
        alter table {working_log} add column __present boolean not null,
          add column __staged boolean not null default false,
          add column __changed_at timestamptz not null default now(),
          add primary key ({key})""",
        "working_log", s.workingLog(), "rows", BranchObjectsSql.rowsOfBranchShape(s), "key", s.keyList(null));
  }

  /** Content-addressed change sets of the table: every committed row change, stored once. */
  String createChanges() {
    return fill("""
        create table if not exists {changes} (change_set text not null, key jsonb not null,
          op char(1) not null, before jsonb, after jsonb, primary key (change_set, key))""",
        "changes", s.changes());
  }

  /** The commit gate (see {@link OverlaySql#commitGate}). */
  String createCommitGate() {
    return "create table if not exists " + s.onBranch(null).commitGate() + " ()";
  }

  /**
   * The shared pre-image log, if the table has none yet: T's columns (without their NOT NULL rules:
   * a tombstone has only its key), the fork epoch and a tombstone flag; keyed by key and epoch, and
   * indexed by epoch ({@link #indexPreimagesByEpoch}).
   */
  String createPreimages() {
    return fill("""
        do $d$ begin
          if to_regclass({preimages_literal}) is null then
            create table {preimages} as select * from {table} with no data;
            alter table {preimages} add column __epoch bigint not null,
              add column __deleted boolean not null default false, add primary key ({key}, __epoch);
          end if;
        end $d$""",
        "preimages_literal", OverlaySql.literal(s.preimages()), "preimages", s.preimages(), "table", s.table(),
        "key", s.keyList(null)) + ";" + indexPreimagesByEpoch();
  }

  /**
   * An index of the pre-image log by epoch, where the log exists: every statement on a branch asks
   * whether anything was filed since its fork ({@link BranchStateSql}), and without it that question
   * reads every pre-image older branches still keep — a sequential scan per statement, point lookups
   * included.
   */
  String indexPreimagesByEpoch() {
    return fill("""
        do $d$ begin
          if to_regclass({preimages_literal}) is not null then
            create index if not exists {index} on {preimages} (__epoch);
          end if;
        end $d$""",
        "preimages_literal", OverlaySql.literal(s.preimages()), "preimages", s.preimages(),
        "index", Sql.quote(s.tableId() + "__p_epoch"));
  }

  /** Drops the pre-images no live branch reads: those filed before the oldest live fork (all, with none). */
  String collectPreimages() {
    return fill("""
        delete from {preimages} where __epoch < coalesce(
          (select min(b.fork_epoch) from strata.branch_overlays b where b.tid = {tid}), 9223372036854775807)""",
        "preimages", s.preimages(), "tid", OverlaySql.literal(s.tableId()));
  }

  private String function(String op) {
    return OverlaySql.SCHEMA + "." + Sql.quote(s.tableId() + "__capture_" + op);
  }

  private String trigger(String op) {
    return Sql.quote("strata_" + s.tableId() + "_" + op);
  }

  /**
   * Set (to the end of the transaction) by a row trigger that fires only for an UPDATE changing a
   * row's key: until then, an UPDATE's new keys are its old ones, and the statement capture skips
   * looking for others. It is installed with the capture functions that rely on it.
   */
  private String keyMovedSetting() {
    return "strata.moved_" + s.tableId();
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
   * writer. So a writer that gets the table's commit gate shared without waiting ({@link
   * ChangeSetsSql#lockForCommit}) skips such keys with one index probe instead: holding that lock to
   * its end, it is waited for by any commit as a whole. While a commit holds it, writers take the
   * locking path; so do writers in REPEATABLE READ or SERIALIZABLE transactions, whose probe would
   * read an old log.
   *
   * <p>Under READ COMMITTED each statement of a capture function reads the logs afresh, and writers of
   * a key take turns on T's own locks (row locks, or its unique index for a new key): a key a statement
   * finds absent from a log stays absent until it inserts it, so a plain INSERT does, at half the cost
   * of ON CONFLICT's speculative one. A REPEATABLE READ writer reads the logs as its transaction began
   * and takes the conflict path. The working log is also cleared by commits, so there a writer also
   * needs the commit gate shared.
   *
   * @param branches whether the table has live branch overlays
   * @param epoch the current fork epoch ({@link #LAST_EPOCH})
   */
  String createCapture(boolean branches, long epoch) {
    String template = captureTemplate(branches, epoch);
    return FollowColumnsSql.follow(s, false) + ";" + FollowColumnsSql.captureFromTemplate(s, template) + ";"
        + FollowColumnsSql.keepTemplate(s, template);
  }

  /** Keeps the template of {@link #createCapture}'s functions with the table's registration (once registered). */
  String keepCaptureTemplate(boolean branches, long epoch) {
    return FollowColumnsSql.keepTemplate(s, captureTemplate(branches, epoch));
  }

  private String captureTemplate(boolean branches, long epoch) {
    return new TrackingSql(s.onBranch(null).withTableColumns(FollowColumnsSql.templateColumns()))
        .captureFunctions(branches, epoch);
  }

  /**
   * The capture functions and triggers of {@link #createCapture}, generated with {@link
   * FollowColumnsSql#COLUMNS} as T's columns: the template they are made from, with T's columns as the
   * catalog has them, when the capture is regenerated and when T gains a column.
   */
  private String captureFunctions(boolean branches, long epoch) {
    OverlaySql main = s.onBranch(null);
    String w = main.workingLog();
    String[] holes = {
        "working_log", w, "columns", OverlaySql.list(main.columns(), null), "columns_o", OverlaySql.list(main.columns(), "o"),
        "key", s.keyList(null), "key_o", s.keyList("o"), "key_n", s.keyList("n"), "staging", STAGING,
        "upsert", main.logUpsert(STAGING), "gate", s.commitGate(), "read_committed", READ_COMMITTED,
        "preimages", s.preimages(), "epoch", Long.toString(epoch), "match_on", s.keyMatch("o", "n")};
    // the gate is tried in a block of its own: LOCK ... NOWAIT is the only way to try a table lock, and a
    // writer without privilege on it (an application role granted only T and the logs) takes the locking path
    String gated = fill("""
        strata_gated := false;
        if {read_committed} then
          begin lock table {gate} in row exclusive mode nowait; strata_gated := true;
          exception when lock_not_available or insufficient_privilege then null; end;
        end if;
        """, holes);
    Function<String, String> logOld = where -> fill("""
        insert into {working_log} ({columns}, __present, __staged)
        select {columns_o}, true, {staging} from strata_old o{where} order by {key_o}{upsert};
        """, SqlTemplate.with(holes, "where", where));
    String fromOld = gated + "if strata_gated then "
        + logOld.apply(" where " + KeyFilters.notAmong(s, "o", "strata_old", w, "x.__staged = " + STAGING))
        + " else " + logOld.apply("") + " end if;";
    String newKeys = fill("""
        insert into {working_log} ({key}, __present, __staged) select {key_n}, false, {staging} from strata_new n""",
        holes);
    String fromNewOnly = newKeys + fill("""
         where not exists (select 1 from strata_old o where {match_on}) order by {key_n}{upsert};
        """, holes);
    String fromNew = newKeys + fill(" order by {key_n}{upsert};", holes);
    // an inserted key already logged keeps its first before-image; a staged one is un-staged (by one
    // index scan of the statement's keys: with a composite key, the upsert stays cheaper)
    String fromNewSkipping = s.key().size() > 1 ? fromNew : gated + "if strata_gated then "
        + fill("""
            update {working_log} w set __staged = {staging}, __changed_at = now()
            where {among} and w.__staged <> {staging};
            """, SqlTemplate.with(holes, "among", KeyFilters.among(s, "w", "n", "strata_new")))
        + newKeys + " where " + KeyFilters.notAmong(s, "n", "strata_new", w, "true") + fill(" order by {key_n};", holes)
        + " else " + fromNew + " end if;";
    String keepOld = "";
    String tombstoneNewOnly = "";
    String tombstoneNew = "";
    if (branches) {
      // a key already filed in this epoch is skipped: its first pre-image is the one a branch reads
      String filed = "x.__epoch = " + epoch;
      keepOld = firstInEpoch(fill("""
          insert into {preimages} ({columns}, __epoch) select {columns_o}, {epoch} from strata_old o
          where {not_filed} order by {key_o}""",
          SqlTemplate.with(holes, "not_filed", KeyFilters.notAmong(s, "o", "strata_old", s.preimages(), filed))));
      String tomb = fill("""
          insert into {preimages} ({key}, __epoch, __deleted) select {key_n}, {epoch}, true from strata_new n""",
          holes);
      tombstoneNewOnly = tomb + fill("""
           where not exists (select 1 from strata_old o where {match_on}) order by {key_n} on conflict do nothing;
          """, holes);
      tombstoneNew = firstInEpoch(tomb + " where " + KeyFilters.notAmong(s, "n", "strata_new", s.preimages(), filed)
          + fill(" order by {key_n}", holes));
    }
    String logged = "if current_setting('strata.applying', true) is distinct from 'on' then ";
    // the keys an UPDATE gives rows anew (anti-joins of the transition tables) only once one did
    String moved = "if current_setting(" + OverlaySql.literal(keyMovedSetting()) + ", true) = 'on' then "
        + tombstoneNewOnly + logged + fromNewOnly + " end if; end if;";
    return fn("ins", tombstoneNew + logged + fromNewSkipping + " end if;")
        + fn("upd", keepOld + logged + fromOld + " end if;" + moved)
        + fn("del", keepOld + logged + fromOld + " end if;")
        + fill("""
            create or replace function {moved_fn}() returns trigger language plpgsql as $f$
            begin perform set_config({moved_setting}, 'on', true); return NEW; end $f$;
            create or replace trigger {moved_trigger} before update on {table} for each row
              when (({key_old}) is distinct from ({key_new})) execute function {moved_fn}();
            create or replace function {truncate_fn}() returns trigger language plpgsql as $f$
            begin
              raise exception 'Strata tracks %: TRUNCATE would bypass its change capture; use DELETE', TG_TABLE_NAME
                using errcode = '0A000';
            end $f$;
            """,
            "moved_fn", function("moved"), "moved_setting", OverlaySql.literal(keyMovedSetting()),
            "moved_trigger", trigger("moved"), "table", s.table(), "key_old", s.keyList("OLD"),
            "key_new", s.keyList("NEW"), "truncate_fn", function("truncate"));
  }


  /** A filing of pre-images: a plain INSERT under READ COMMITTED, else one that skips keys filed since. */
  private static String firstInEpoch(String insert) {
    return "if " + READ_COMMITTED + " then " + insert + "; else " + insert + " on conflict do nothing; end if;";
  }

  /**
   * A capture function. Its statements are planned once per session and the plans kept, whatever the
   * working log and pre-image log grow to since: their probes into those logs are index scans by the
   * statement's keys or correlated scalar subqueries (never turned into joins), and with sequential
   * scans off they stay index lookups, where a plan made while a log was small would scan it whole.
   */
  private String fn(String op, String body) {
    return fill("""
        create or replace function {function}() returns trigger language plpgsql set enable_seqscan = off as $f$
        declare {staging} boolean := coalesce(current_setting({setting}, true) = 'on', false); strata_gated boolean;
        begin
          {body}
          return null;
        end $f$;
        """,
        "function", function(op), "staging", STAGING, "setting", OverlaySql.literal(OverlaySql.STAGING_SETTING),
        "body", body);
  }

  String createTriggers() {
    return fill("""
        create trigger {ins} after insert on {table}
          referencing new table as strata_new for each statement execute function {ins_fn}();
        create trigger {upd} after update on {table}
          referencing old table as strata_old new table as strata_new for each statement execute function {upd_fn}();
        create trigger {del} after delete on {table}
          referencing old table as strata_old for each statement execute function {del_fn}();
        create trigger {truncate} before truncate on {table} for each statement execute function {truncate_fn}();
        """,
        "table", s.table(), "ins", trigger("ins"), "ins_fn", function("ins"), "upd", trigger("upd"),
        "upd_fn", function("upd"), "del", trigger("del"), "del_fn", function("del"),
        "truncate", trigger("truncate"), "truncate_fn", function("truncate"));
  }

  /** Removes every Strata object of this table (the table and its data stay); branch objects go first. */
  String dropAll() {
    StringBuilder sql = new StringBuilder(new QueryAccessSql(s).dropViews());
    for (String op : List.of("ins", "upd", "del", "truncate", "moved")) {
      sql.append(fill("drop trigger if exists {trigger} on {table}; drop function if exists {function}();",
          "trigger", trigger(op), "table", s.table(), "function", function(op)));
    }
    return sql.append(fill("""
        drop function if exists {state_function}{arguments};
        drop function if exists {changed_keys}{arguments};
        drop table if exists {working_log};
        drop table if exists {gate};
        drop table if exists {changes};
        drop table if exists {preimages};
        do $strata_m$ declare r record; begin
          for r in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                   where n.nspname = 'strata' and c.relkind = 'r'
                     and (c.relname like {merge_tables} or c.relname like {written_tables}) loop
            execute format('drop table if exists strata.%I cascade', r.relname); -- with the conflicts views
          end loop;
        end $strata_m$;
        """,
        "merge_tables", OverlaySql.literal(s.tableId() + "\\_\\_x\\_%"),
        "written_tables", OverlaySql.literal(s.tableId() + "\\_\\_xk\\_%"),
        "state_function", QueryAccessSql.stateFunction(s), "changed_keys", QueryAccessSql.changedKeysFunction(s),
        "arguments", QueryAccessSql.STATE_ARGUMENTS, "working_log", s.onBranch(null).workingLog(),
        "gate", s.onBranch(null).commitGate(), "changes", s.changes(), "preimages", s.preimages())).toString();
  }
}
