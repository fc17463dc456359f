package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;
import io.strata.projections.postgres.TableCatalog;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The statements of a table's change sets (see {@link PgChangeSets}): a commit's capture of the
 * staged working-log rows into one, the recovery sidecars of cross-storage commits, and the net
 * changes between two commits.
 */
final class ChangeSetsSql {
  /** The attempts with sidecars in this database, of the tables $1 (tids). */
  static final String SIDECAR_ATTEMPTS = "select attempt from strata.commit_sidecars where tid = any($1)"
      + " union select attempt from strata.merge_sidecars where tid = any($1)";

  /** Drops attempt $1's sidecars, a commit's and a merge's. */
  static final String DROP_SIDECAR = "with c as (delete from strata.commit_sidecars where attempt = $1)"
      + " delete from strata.merge_sidecars where attempt = $1";

  private final OverlaySql s;

  /** @param table the table as the branch whose changes are captured sees it */
  ChangeSetsSql(OverlaySql table) {
    this.s = table;
  }

  /** Taken by a commit of the default branch first (see {@link OverlaySql#commitGate}); none on a branch. */
  Optional<String> lockForCommit() {
    return s.isDefaultBranch() ? Optional.of("lock table " + s.commitGate() + " in exclusive mode") : Optional.empty();
  }

  private String lockedTable() {
    return Sql.quote("strata_locked_" + s.tableId());
  }

  /** The captured rows of a commit, with the columns {@link #summarizeCapture} and {@link #storeCapture} read. */
  String captureTable() {
    return Sql.quote("strata_capture_" + s.tableId());
  }

  /**
   * Locks the staged working-log rows (with {@code all}, every row: staging them first would write
   * each once more) before their after-images are read, and notes their keys: the commit takes those
   * rows and no others. A writer touching one of them waits for this commit and then records a fresh
   * working change, so its write is either in this commit or in the next, never lost. A row staged
   * after this statement (by a REST write, or the stage command) stays for the next commit: taken
   * unlocked, a writer could change it between the capture and its removal from the log.
   */
  String lockStaged(boolean all) {
    return fill("""
        create temporary table {locked} on commit drop as select {key} from {working_log} with no data;
        with l as (select {key} from {working_log}{staged} order by {key} for update)
        insert into {locked} select * from l""",
        "locked", lockedTable(), "key", s.keyList(null), "working_log", s.workingLog(),
        "staged", all ? "" : " where __staged");
  }

  /**
   * How many rows {@link #lockStaged} locked, and how many the table holds as its statistics say: what
   * {@link #capture} reads the after-images by ({@link #readsByKey}).
   */
  String captureSize() {
    return fill("select (select count(*) from {locked}), (select greatest(reltuples, 0)::bigint from pg_class"
        + " where oid = {table_literal}::regclass)", "locked", lockedTable(), "table_literal", OverlaySql.literal(s.table()));
  }

  /**
   * Whether a capture of {@code locked} rows of a table of about {@code tableRows} reads each row's
   * after-image by its key rather than joining the whole state. The planner cannot probe a branch's
   * state (four arms, one a DISTINCT ON) by the keys of a join, so it hashes the whole table: 10 rows
   * of a 1M-row table took 340 ms that way, 0.6 ms by key. By key costs ~10-20 µs a row, the join
   * ~0.3 µs a table row: by key below a thirtieth of the table, and for any capture of up to 1 000 rows.
   */
  static boolean readsByKey(long locked, long tableRows) {
    return locked <= 1000 || locked * 30 < tableRows;
  }

  /**
   * The changes of the rows {@link #lockStaged} locked, as rows: key (a JSON array in key order), op
   * (I, U, D, or N for a change that came back to where it was), before- and after-images, and the
   * row hashes that move the content hash. The images are made once per row, below the fence (offset
   * 0), and compared and hashed above it. {@code byKey}: each after-image read by its key (a lateral
   * lookup kept apart by its fence, so that the key reaches every arm of the state), else by a join.
   */
  String capture(boolean byKey) {
    return fill("""
        create temporary table {capture} on commit drop as
        select {key_x}, {key_array} as __key,
               case when x.__before is null and x.__after is null then 'N' when x.__before is null then 'I'
                    when x.__after is null then 'D' when x.__after = x.__before then 'N' else 'U' end as __op,
               x.__before, x.__after,
               case when x.__after is not null then {after_hash} end as __after_hash,
               case when x.__before is not null then {before_hash} end as __before_hash,
               x.__staged
        from (select {key_w}, w.__staged,
                     case when w.__present then to_jsonb({logged_row}) end as __before,
                     case when w.__present then {logged_row}::text end as __before_text,
                     case when {present} then to_jsonb(t.*) end as __after,
                     case when {present} then (t.*)::text end as __after_text
              from {locked} l join {working_log} w on {match_wl}
              {after_images}
              offset 0) x""",
        "capture", captureTable(), "key_x", s.keyList("x"), "key_array", s.keyArray("x"),
        "after_hash", TableCatalog.rowHash("x.__after_text"), "before_hash", TableCatalog.rowHash("x.__before_text"),
        "key_w", s.keyList("w"), "logged_row", s.loggedRow("w"), "present", s.present("t"),
        "locked", lockedTable(), "working_log", s.workingLog(), "match_wl", s.keyMatch("w", "l"),
        "after_images", byKey
            ? fill("left join lateral (select * from {state} t where {match_tw} offset 0) t on true",
                "state", s.state(), "match_tw", s.keyMatch("t", "w"))
            : fill("left join {state} t on {match_tw}", "state", s.state(), "match_tw", s.keyMatch("t", "w")));
  }

  /** Counts, the change set's SHA-256 (canonical: one line per row, sorted by key) and the row-hash sum delta. */
  String summarizeCapture() {
    return fill("""
        select count(*) filter (where __op = 'I'), count(*) filter (where __op = 'U'),
               count(*) filter (where __op = 'D'),
               {hash},
               (coalesce(sum(__after_hash) filter (where __op in ('I', 'U')), 0)
                 - coalesce(sum(__before_hash) filter (where __op in ('U', 'D')), 0))::text
        from {capture} where __op <> 'N'""", "capture", captureTable(), "hash", CHANGE_SET_HASH);
  }

  /**
   * The SHA-256 of a change set's canonical form, an aggregate over its rows ({@code __key}, {@code __op},
   * {@code __before}, {@code __after}): one line per row, sorted by key. Its content address.
   */
  static final String CHANGE_SET_HASH = """
      encode(sha256(convert_to(coalesce(string_agg(__key::text || ' ' || __op || ' '
        || coalesce(__before::text, '-') || ' ' || coalesce(__after::text, '-'), E'\\n'
        order by __key::text collate "C"), ''), 'UTF8')), 'hex')""";

  /**
   * Stores the captured changes as change set $1, unless a commit stored the same content before. A
   * plain INSERT, at two thirds the cost of ON CONFLICT's speculative one: a repository's commits
   * run one at a time, and a table's change sets are its repository's alone.
   */
  String storeCapture() {
    return fill("""
        insert into {changes} (change_set, key, op, before, after)
        select $1, __key, __op, __before, __after from {capture} where __op <> 'N'
          and not exists (select from {changes} where change_set = $1)""",
        "changes", s.changes(), "capture", captureTable());
  }

  String clearCaptured() {
    return fill("delete from {working_log} w using {capture} c where {match}",
        "working_log", s.workingLog(), "capture", captureTable(), "match", s.keyMatch("w", "c"));
  }

  /** Keeps the captured working-log rows of attempt $1 (every key captured, changed or not, and whether staged). */
  String saveSidecar() {
    return fill("""
        insert into strata.commit_sidecars (attempt, tid, key, before, staged)
        select $1, {tid}, __key, __before, __staged from {capture}""",
        "tid", OverlaySql.literal(s.tableId()), "capture", captureTable());
  }

  /**
   * Puts the working-log rows of an abandoned attempt $1 back, staged or not as they were before it. A key
   * written again since keeps its first before-image (the sidecar's) and is unstaged, like any change.
   */
  String restoreSidecar() {
    String values = s.columns().stream().map(c -> (s.key().contains(c) ? "k." : "r.") + Sql.quote(c))
        .collect(Collectors.joining(", "));
    String sets = OverlaySql.assign(s.columns().stream().filter(c -> !s.key().contains(c)).toList(), "excluded");
    return fill("""
        insert into {working_log} ({columns}, __present, __staged)
        select {values}, s.before is not null, coalesce(s.staged, true)
        from strata.commit_sidecars s, lateral {key_record} k,
             lateral jsonb_populate_record(null::{row_type}, s.before) r
        where s.attempt = $1 and s.tid = {tid}
        order by {key_k}
        on conflict ({key}) do update set {sets}__present = excluded.__present, __staged = false,
          __changed_at = now()""",
        "working_log", s.workingLog(), "columns", OverlaySql.list(s.columns(), null), "values", values,
        "key_record", s.keyRecord("s.key"), "table", s.table(), "row_type", s.rowType(), "tid", OverlaySql.literal(s.tableId()),
        "key_k", s.keyList("k"), "key", s.keyList(null), "sets", sets.isEmpty() ? "" : sets + ", ");
  }

  /**
   * The net changes between two commits, given the change sets from their merge base to each ($1 the
   * "from" side's, $2 the "to" side's, text arrays, oldest first): per key, each side's state is the
   * after-image of its last change, else the merge base's (the before-image of the other side's first
   * change). A CTE {@code d (key, b, a, op)}: before, after, and insert, update or delete; followed by
   * {@code select}.
   */
  String netChanges(String select) {
    return fill("""
        with a as {side_a},
        b as {side_b},
        n as (select coalesce(a.key, b.key) as key,
                     case when a.key is not null then a.la else b.fb end as before,
                     case when b.key is not null then b.la else a.fb end as after
              from a full join b on a.key = b.key),
        d as (select key, before as b, after as a,
                     case when before is null then 'insert' when after is null then 'delete' else 'update' end as op
              from n where before is distinct from after)
        {select}""",
        "side_a", ChangeImagesSql.side(s, "$1", false), "side_b", ChangeImagesSql.side(s, "$2", false), "select", select);
  }

  /** Counts of the net changes (see {@link #netChanges}): inserted, updated, deleted. */
  String diffCounts() {
    return netChanges("""
        select count(*) filter (where op = 'insert'), count(*) filter (where op = 'update'),
               count(*) filter (where op = 'delete') from d""");
  }

  /**
   * Which of the columns $3 (a text array) the net changes (see {@link #netChanges}) update: a row whose
   * value there differs between its before and after images. An image made before the column existed has
   * no value for it and changes nothing there; a row inserted or deleted goes with its value (a column's
   * default fills most inserts, and is no change of it). Each column stops at its first.
   */
  String changedColumns() {
    return netChanges("""
        select c from unnest($3::text[]) c
        where exists (select 1 from d where d.a ? c and d.b ? c and d.a -> c <> d.b -> c)""");
  }

  /** Rows added, and the change of the row-hash sum, over the net changes (see {@link #netChanges}). */
  String contentDelta() {
    String hash = "jsonb_populate_record(null::" + s.rowType() + ", %s)::text";
    return netChanges(fill("""
        select count(*) filter (where op = 'insert') - count(*) filter (where op = 'delete'),
               (coalesce(sum({after_hash}) filter (where a is not null), 0)
                 - coalesce(sum({before_hash}) filter (where b is not null), 0))::text
        from d""",
        "after_hash", TableCatalog.rowHash(hash.formatted("a")), "before_hash", TableCatalog.rowHash(hash.formatted("b"))));
  }

  /**
   * The net changed rows (see {@link #netChanges}) in key order (the jsonb key: numbers in numeric
   * order): key, op, before, after, and the columns whose values differ.
   */
  String diffRows() {
    return netChanges("""
        select key::text, op, b::text, a::text,
               array(select k from (select jsonb_object_keys(coalesce(a, '{}')) k
                                    union select jsonb_object_keys(coalesce(b, '{}'))) ks
                     where (a -> k) is distinct from (b -> k) order by k)
        from d order by d.key""");
  }
}
