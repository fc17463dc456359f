package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The statements over a branch's working state of one table (see {@link PgWorkingState}): its
 * working changes (status, staging, discard), REST row writes, and the one primitive both of them
 * write with, {@link #applyImages}.
 */
final class WorkingStateSql {
  /** How {@link #applyImages} records what it overwrites. */
  enum Recording {
    /** Not at all: the writes put the working state back (a discard). */
    NONE,
    /**
     * As staged working changes: on the default branch the capture on T records them as the writes
     * happen; on a branch, {@link #logBatch} has recorded them before.
     */
    STAGED
  }

  private final OverlaySql s;

  /** @param table the table as the branch sees it */
  WorkingStateSql(OverlaySql table) {
    this.s = table;
  }

  // ---- working changes ----

  /**
   * Working changes of this branch: rows inserted, updated and deleted since the last commit, staged
   * and not, comparing each key's before-image with the current row. A key changed and changed back
   * counts as nothing.
   */
  String status() {
    return fill("""
        select w.__staged, {counts}
        from {logged} w left join {state} t on {key_match}
        group by w.__staged""",
        "counts", counts("w"), "logged", s.withImages(s.workingLog()), "state", s.state(),
        "key_match", s.keyMatch("t", "w"));
  }

  /** The net-change counts of working-log rows {@code w} (with images) left joined to the state's rows t. */
  private String counts(String w) {
    return fill("""
        count(*) filter (where {w}.__before is null and {present}) as inserted,
        count(*) filter (where {w}.__before is not null and {present} and to_jsonb(t.*) <> {w}.__before) as updated,
        count(*) filter (where {w}.__before is not null and not ({present})) as deleted""",
        "w", w, "present", s.present("t"));
  }

  /** Counts of the net changes among working-log rows {@code rows} (a relation or CTE with the log's columns). */
  private String countsOf(String rows) {
    return fill("select {counts} from {logged} l left join {state} t on {key_match}",
        "counts", counts("l"), "logged", s.withImages(rows), "state", s.state(), "key_match", s.keyMatch("t", "l"));
  }

  /** Marks the working changes staged (or unstaged) and counts the net changes concerned. */
  String stage(boolean staged) {
    // rows are locked in key order, like every other writer of the working log, so none can deadlock
    return fill("""
        with locked as (
          select {key} from {working_log} where __staged = {was} order by {key} for update),
        s as (
          update {working_log} w set __staged = {now} from locked where {key_match} returning w.*)
        {counts}""",
        "key", s.keyList(null), "working_log", s.workingLog(), "was", String.valueOf(!staged),
        "now", String.valueOf(staged), "key_match", s.keyMatch("w", "locked"), "counts", countsOf("s"));
  }

  /** Counts of every working change, staged or not. */
  String pending() {
    return countsOf(s.workingLog());
  }

  /** Holds off writers of this branch's working state while it is put back. */
  String lockWorkingState() {
    return s.isDefaultBranch() ? s.lockAgainstWriters()
        : fill("lock table {overlay}, {working_log} in exclusive mode", "overlay", s.overlay(),
            "working_log", s.workingLog());
  }

  /**
   * Puts the branch back at its last commit: every logged key gets its before-image back (a key that
   * had none is deleted), unrecorded, then the working log is emptied. Run under {@link #lockWorkingState}.
   */
  String discard() {
    return discard(false);
  }

  /**
   * {@link #discard()}; {@code recorded}: with the capture on, where the writes may change other rows
   * (a trigger, a cascading foreign key): those changes are working changes of their tables then.
   */
  String discard(boolean recorded) {
    return applyImages(s.workingLog(), "__present", recorded ? Recording.STAGED : Recording.NONE)
        + fill("delete from {working_log};", "working_log", s.workingLog());
  }

  // ---- the primitive ----

  /**
   * Writes images to this branch's working state: per key of {@code source} (T's columns, and a column
   * saying whether the key has a row: {@code present}, a condition on one row of the source without
   * alias), its row where {@code present} holds, else no row. One key appears once in the source. On
   * the default branch the writes go to T (its identity and generated columns as T keeps them), and
   * the capture on T records them as {@code recording} says; on another branch they go to its overlay
   * (tombstones for deletes). O(rows of the source), whatever the size of the table or the overlay.
   */
  String applyImages(String source, String present, Recording recording) {
    if (s.isDefaultBranch()) {
      String capture = recording == Recording.NONE ? "strata.applying" : OverlaySql.STAGING_SETTING;
      // writingTable names the source's columns as s.<column>
      return fill("""
          select set_config('{capture}', 'on', true);
          delete from {table} t using {source} s where {key_match} and not (s.{present});
          """, "capture", capture, "table", s.table(), "row_type", s.rowType(), "source", source, "key_match", s.keyMatch("t", "s"),
          "present", present)
          + TableWritesSql.writingTable(s, fill("""
              insert into {table} ({columns}) overriding system value
              select {values} from {source} s where s.{present} order by {key_s}
              on conflict ({key}) {on_conflict}""",
              "table", s.table(), "row_type", s.rowType(), "source", source, "present", present, "key_s", s.keyList("s"),
              "key", s.keyList(null),
              // holes writingTable fills as it runs, with T's writable columns then
              "columns", OverlaySql.COLUMNS, "values", OverlaySql.VALUES, "on_conflict", OverlaySql.ON_CONFLICT))
          + fill(";select set_config('{capture}', 'off', true);", "capture", capture);
    }
    // every writer of the overlay holds the key's working-log row (or, in a discard, the overlay
    // itself) first: overlay rows found missing stay missing and take a plain INSERT (half the cost
    // of ON CONFLICT's speculative one); the rest an UPDATE
    List<String> nonKey = s.columns().stream().filter(c -> !s.key().contains(c)).toList();
    String set = OverlaySql.assign(nonKey, "b");
    return fill("""
        update {overlay} o set {set}__deleted = false from {source} b
          where {key_match}{among} and b.{present};
        insert into {overlay} ({columns}, __deleted)
          select {columns_b}, false from {source} b where b.{present} and {missing} order by {key_b};
        insert into {overlay} ({key}, __deleted)
          select {key_b}, true from {source} b where not (b.{present}) order by {key_b}
          on conflict ({key}) do update set __deleted = true;
        """,
        "overlay", s.overlay(), "set", set.isEmpty() ? "" : set + ", ", "source", source,
        "key_match", s.keyMatch("o", "b"),
        "among", s.key().size() == 1 ? " and " + KeyFilters.among(s, "o", "i", source) : "", "present", present,
        "columns", OverlaySql.list(s.columns(), null), "columns_b", OverlaySql.list(s.columns(), "b"),
        "missing", KeyFilters.notAmong(s, "b", source, s.overlay(), "true"), "key_b", s.keyList("b"), "key", s.keyList(null));
  }

  // ---- row writes (REST) ----

  private String batchTable() {
    return Sql.quote("strata_batch_" + s.tableId());
  }

  /**
   * The rows of a write batch: $1 a JSON array of rows (an upsert's row, a delete's key); $2 per row,
   * its marks: 'u' (upsert) or 'd' (delete), then '1' or '0' per column of T, whether the row gives it
   * (a bytea: O(1) to index, where text is O(n)). The last operation on each key wins (an upsert
   * replaces the whole row), so the batch nets to one operation per key, applied set-wise. An
   * upsert's row takes, for each column it leaves out, the column's default as {@code defaults} gives
   * it ({@link #columnDefaults}; an INSERT into T would), else NULL.
   */
  String createBatch(Map<String, String> defaults) {
    List<String> columns = s.columns();
    int stride = columns.size() + 1;
    String row = "(r.__n::int - 1) * " + stride;
    String values = IntStream.range(0, columns.size()).mapToObj(i -> {
          String c = columns.get(i);
          return defaults.containsKey(c) && !s.key().contains(c)
              ? "case get_byte($2::bytea, " + row + " + " + (i + 1) + ") when 48 then " + defaults.get(c) + " else r."
                  + Sql.quote(c) + " end as " + Sql.quote(c)
              : "r." + Sql.quote(c);
        })
        .collect(Collectors.joining(", "));
    return fill("""
        create temporary table {batch} on commit drop as
        select distinct on ({key_r}) case get_byte($2::bytea, {row}) when 100 then 'd' else 'u' end as __o, {values}
        from json_populate_recordset(null::{row_type}, $1::text::json) with ordinality as r({columns}, __n)
        order by {key_r}, r.__n desc""",
        "batch", batchTable(), "key_r", s.keyList("r"), "row", row, "values", values, "table", s.table(), "row_type", s.rowType(),
        "columns", OverlaySql.list(columns, null));
  }

  /** A batch ({@link #createBatch}'s shape) deleting every key of the branch's working state. */
  String clearBatch() {
    return fill("""
        create temporary table {batch} on commit drop as
        select 'd'::text as __o, {values} from {state} x""",
        "batch", batchTable(), "values", OverlaySql.list(s.columns(), "x"), "state", s.state());
  }

  /**
   * The defaults of T's columns that have one, read from the catalog as (column, SQL expression of the
   * column's type): identity and serial columns draw from T's own sequence; stored generated columns
   * have none (they are computed).
   */
  String columnDefaults() {
    return fill("""
        select a.attname::text,
               format('(%s)::%s',
                 case when a.attidentity <> '' then format('nextval(%L::regclass)', pg_get_serial_sequence({table_literal}, a.attname))
                      else pg_get_expr(d.adbin, d.adrelid) end,
                 format_type(a.atttypid, a.atttypmod))
        from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = {table_literal}::regclass and a.attnum > 0 and not a.attisdropped
          and a.attgenerated = '' and (a.attidentity <> '' or d.adbin is not null)""",
        "table_literal", OverlaySql.literal(s.table()));
  }

  /**
   * The defaults of the columns this branch added that have one (column, its constant), as {@link
   * #columnDefaults}, and of the table's own it redefined: its default, or none (NULL) where it dropped the
   * table's ({@code null} value: the caller's catalog default removed).
   */
  Map<String, String> addedDefaults() {
    Map<String, String> defaults = new java.util.HashMap<>();
    s.shape().added().stream().filter(c -> c.defaultValue() != null).forEach(c -> defaults.put(c.name(), BranchShape.addedValue(c)));
    s.shape().redefined().forEach(c -> defaults.put(c.name(), c.defaultValue() == null ? null : BranchShape.addedValue(c)));
    return defaults;
  }

  /** Applies the batch to this branch's working state, after {@link #logBatch}, staged. */
  String applyBatch() {
    return applyRows(batchTable());
  }

  /** Applies rows of the batch's shape ({@code __o}, then T's columns) after {@link #logRows}, staged. */
  String applyRows(String source) {
    // a branch's overlay holds T's stored generated columns as plain ones: computed here, as T would
    return (s.isDefaultBranch() ? "" : TableWritesSql.computeGenerated(s, source) + ";")
        + applyImages(source, "__o = 'u'", Recording.STAGED);
  }

  /** Applies rows of the batch's shape in {@code source}, recording nothing: the state of a new head. */
  String advanceRows(String source) {
    return (s.isDefaultBranch() ? "" : TableWritesSql.computeGenerated(s, source) + ";")
        + applyImages(source, "__o = 'u'", Recording.NONE);
  }

  /**
   * Records the first before-image of each key of {@code current} (alias c, from {@link #currentRows})
   * in the branch's working log, staged (a REST write is a staging command), locking their log rows in
   * key order.
   *
   * @param condition a condition on c that logs a key even where it has no row, followed by "or"
   */
  private String logCurrent(String current, String condition) {
    return fill("""
        insert into {working_log} ({columns}, __present, __staged)
        select {columns_c}, c.__found, true from {current} where {condition} c.__found
        order by {key_c}{log_upsert}""",
        "working_log", s.workingLog(), "columns", OverlaySql.list(s.columns(), null),
        "columns_c", OverlaySql.list(s.columns(), "c"), "current", current, "condition", condition,
        "key_c", s.keyList("c"), "log_upsert", s.logUpsert("true"));
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
    String found = fill("""
        case when {o} then not o.__deleted when {p} then not p.__deleted else {x} end""",
        "o", s.present("o"), "p", s.present("p"), "x", s.present("x"));
    String image = s.columns().stream().map(c -> (s.key().contains(c) ? "b." + Sql.quote(c)
            : fill("case when {o} then o.{c} when {p} then {p_c} else {x_c} end", "o", s.present("o"),
                "p", s.present("p"), "c", Sql.quote(c), "p_c", s.shape().baseColumn(c, "p"), "x_c", s.shape().baseColumn(c, "x")))
            + " as " + Sql.quote(c))
        .collect(Collectors.joining(", "));
    String preimage = " " + (batch != null && s.key().size() == 1
        ? fill("""
             left join (select distinct on ({k}) * from {preimages} p
                        where p.{k}{any_key} and p.__epoch >= {fork_epoch} order by {k}, __epoch) p on {match}""",
            "k", Sql.quote(s.key().get(0)), "preimages", s.preimages(), "any_key", anyKeyOf(batch),
            "fork_epoch", s.forkEpoch(), "match", s.keyMatch("p", "b"))
        : fill("""
             left join lateral (select * from {preimages} p where {match} and p.__epoch >= {fork_epoch}
                                order by p.__epoch limit 1) p on true""",
            "preimages", s.preimages(), "match", s.keyMatch("p", "b"), "fork_epoch", s.forkEpoch()));
    return "select " + image + ", " + found + " as __found" + extra + " from " + rows
        + keyLookup(s.overlay(), "o", batch) + preimage + keyLookup(s.table(), "x", batch);
  }

  /**
   * A left join of {@code relation} (as {@code alias}) to the rows b by key, O(rows of b) whatever the
   * relation's size, where the planner left to itself would hash the whole relation for a batch of any
   * size: with a one-column key and a batch table ({@code batch}), one index scan for the batch's keys
   * together ({@code = any}), hash-joined; else one index probe per key (a LATERAL with a LIMIT, which
   * the planner keeps as such), three times slower for a large batch.
   */
  private String keyLookup(String relation, String alias, String batch) {
    if (batch != null && s.key().size() == 1) {
      return fill(" left join (select * from {relation} {alias} where {alias}.{k}{any_key}) {alias} on {match}",
          "relation", relation, "alias", alias, "k", Sql.quote(s.key().get(0)), "any_key", anyKeyOf(batch),
          "match", s.keyMatch(alias, "b"));
    }
    return fill(" left join lateral (select * from {relation} {alias} where {match} limit 1) {alias} on true",
        "relation", relation, "alias", alias, "match", s.keyMatch(alias, "b"));
  }

  private String anyKeyOf(String batch) {
    return fill(" = any(array(select {k} from {batch}))", "k", Sql.quote(s.key().get(0)), "batch", batch);
  }

  /**
   * Before a batch is applied ({@link #applyBatch}): what it does to the branch's working state, one
   * row of counts — keys it gives a row they had not (inserted), rows it replaces (updated) and rows
   * it deletes. On a branch, it also records the first before-image of every key it writes in the
   * working log, staged; on the default branch the capture on T does that as the batch is applied.
   */
  String logBatch() {
    return logRows(batchTable());
  }

  /** {@link #logBatch} of rows of the batch's shape in {@code b}. */
  String logRows(String b) {
    String counts = """
        select count(*) filter (where c.__o = 'u' and not c.__found) as inserted,
               count(*) filter (where c.__o = 'u' and c.__found) as updated,
               count(*) filter (where c.__o = 'd' and c.__found) as deleted from """;
    if (s.isDefaultBranch()) {
      return counts + fill(" (select b.__o, {x} as __found from {batch} b{lookup}) c",
          "x", s.present("x"), "batch", b, "lookup", keyLookup(s.table(), "x", b));
    }
    return "with c as (" + currentRows(b + " b", b, ", b.__o") + "), l as (" + logCurrent("c", "c.__o = 'u' or")
        + ") " + counts + " c";
  }

  /**
   * Takes the write lock of the key in $1 (a JSON object) on this branch before a read-modify-write
   * (PATCH): its working-log row on a branch, the row itself on the default branch ({@link #currentRow}).
   */
  String lockKey() {
    return s.isDefaultBranch()
        ? "select 1"
        : logCurrent("(" + currentRows("jsonb_populate_record(null::" + s.rowType() + ", $1::text::jsonb) b", null, "")
            + ") c", "true or");
  }

  /** The branch's current row with the key in $1 (a JSON object), or no row; locked on the default branch. */
  String currentRow() {
    return fill("""
        select to_jsonb(s.*)::text from {state} s, jsonb_populate_record(null::{row_type}, $1::text::jsonb) k
        where {match}{lock}""",
        "state", s.state(), "table", s.table(), "row_type", s.rowType(), "match", s.keyMatch("s", "k"),
        "lock", s.isDefaultBranch() ? " for update of s" : "");
  }

  /**
   * Analyzes the working log when it holds more than twice the rows its statistics say (and over a
   * thousand). Staging, commits and discards join the log with itself and with the branch's state;
   * planned from statistics taken when the log was nearly empty (as it is after every commit), a
   * bulk write's million rows look like one, and a nested loop over them would run for hours. The
   * check reads at most twice the rows the statistics count.
   */
  static String analyzeIfStale(OverlaySql o) {
    return fill("""
        do $strata_a$ declare expected bigint; n bigint; begin
          select greatest(reltuples, 0)::bigint * 2 + 1000 into expected from pg_class where oid = {log_literal}::regclass;
          select count(*) into n from (select from {working_log} limit expected) x;
          if n >= expected then analyze {working_log}; end if;
        end $strata_a$""", "log_literal", OverlaySql.literal(o.workingLog()), "working_log", o.workingLog());
  }
}
