package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A merge's rows that share the values of a unique rule its target branch holds ({@link BranchUniquesSql}) with other
 * rows the branch reads: {@code constraint_violation} conflicts, listed with every row of each group (the client may
 * change either side), instead of the refusal the check at the merge's commit would be. A group's conflicts settle
 * when its rows no longer share the values — a resolution giving one new values, or a row changed or deleted in SQL
 * — as the merge's resolutions look again ({@link #settle}); its continue has the check look at every row the merge
 * wrote again, by every rule ({@link #recheckWritten}).
 */
final class UniqueViolationsSql {
  private final MergeSql merge;
  private final OverlaySql s;
  private final TableShape.Constraint rule;
  private final UniqueLookupSql lookup;

  UniqueViolationsSql(MergeSql merge, TableShape.Constraint rule) {
    this.merge = merge;
    this.s = merge.table();
    this.rule = rule;
    this.lookup = new UniqueLookupSql(s, rule);
  }

  /** Whether the session has the table of the keys this transaction touched on the overlay (no write: none). */
  static String touchedExists(MergeSql merge) {
    return "select to_regclass(" + OverlaySql.literal(BranchUniquesSql.touched(merge.table())) + ") is not null";
  }

  /**
   * Makes each row the merge wrote (the keys the transaction touched) whose values another row the branch reads
   * shares, and each of those other rows, a {@code constraint_violation} conflict of the plan, as {@link
   * MergeSql#markViolations} does a check's: {@code fields} the (stored) names of the rule's columns, {@code
   * refused_by} its name; a key the plan merged without conflict, or whose conflict a strategy settled, becomes
   * the violation; another open conflict stays as it is; a key the plan does not have is added (ours the row).
   */
  String mark(List<String> fields) {
    return marked(fill("""
        {rows},
        pairs as (select {key_m} as a, r.strata_other as b from m cross join lateral ({sharing}) r where {not_null}),
        keys as (select a as key from pairs union select b from pairs)""",
        "rows", lookup.rowsOf("select * from " + BranchUniquesSql.touched(s)), "key_m", lookup.keyOfM(),
        "sharing", lookup.sharing(), "not_null", lookup.notNull()), fields);
  }

  /**
   * {@link #mark} for a rule the merge carried (or a dry run would carry), whose rows the branch had before were not
   * looked at: every row the branch reads that shares the rule's values with another, one read of its state.
   */
  String markAll(List<String> fields) {
    List<String> columns = BranchUniquesSql.columns(rule);
    String values = columns.stream().map(c -> "s." + Sql.quote(c))
        .collect(Collectors.joining(", "));
    return marked(fill("""
        keys as (select x.key from (select {key_s} as key, count(*) over (partition by {values}) as n
                                    from {state} s where {not_null}) x where x.n > 1)""",
        "key_s", s.keyArray("s"), "values", values, "state", s.state(),
        "not_null", columns.stream().map(c -> "s." + Sql.quote(c) + " is not null")
            .collect(Collectors.joining(" and "))), fields);
  }

  /** The keys of CTE {@code keys} (after the CTEs {@code ctes} ending with it) made the rule's conflicts. */
  private String marked(String ctes, List<String> fields) {
    return fill("""
        with {ctes},
        failing as (
          select k.key, cur.row from keys k
          cross join lateral jsonb_populate_record(null::{row_type}, {key_object}) kr
          left join lateral (select to_jsonb(x.*) as row from {state} x where {key_match} limit 1) cur on true),
        marked as (update {plan} p set kind = 'constraint_violation', fields = {fields}, refused_by = {name},
                     settled = false, merged = f.row
                   from failing f where p.key = f.key and (p.kind is null or p.settled))
        insert into {plan} (key, base, ours, theirs, merged, kind, fields, refused_by, settled)
        select f.key, null, f.row, null, f.row, 'constraint_violation', {fields}, {name}, false
        from failing f where not exists (select from {plan} p where p.key = f.key)""",
        "ctes", ctes, "row_type", s.rowType(), "key_object", s.keyObject("k.key"), "state", s.state(),
        "key_match", s.keyMatch("x", "kr"), "plan", merge.plan(), "fields", OverlaySql.textArray(fields),
        "name", OverlaySql.literal(rule.name()));
  }

  /**
   * After {@link #mark} of every rule: the touched keys the plan has open conflicts of leave the touched ones, so
   * that the check at the commit lets the merge stop with them (they are its conflicts; every touched key was just
   * looked at, and those left are checked there as any write).
   */
  static String forgetConflicting(MergeSql merge) {
    OverlaySql s = merge.table();
    return fill("""
        delete from {touched} t
         where exists (select 1 from {plan} p where p.key = {key_array_t} and p.kind is not null and not p.settled)""",
        "touched", BranchUniquesSql.touched(s), "plan", merge.plan(), "key_array_t", s.keyArray("t"));
  }

  /**
   * At a merge's continue: the rows the merge in progress wrote (and its resolutions since) looked at again by every
   * unique rule the overlay holds, at the end of the calling transaction — those {@link #forgetConflicting} took out
   * of the check, where a row could share another rule's values than its conflict named, or a row another
   * transaction wrote meanwhile.
   */
  static String recheckWritten(MergeSql merge) {
    OverlaySql s = merge.table();
    return BranchUniquesSql.recheck(s, fill("""
        select {key_kr} from {written} w cross join lateral jsonb_populate_record(null::{row_type}, {key_object}) kr""",
        "key_kr", s.keyList("kr"), "written", merge.written(), "row_type", s.rowType(),
        "key_object", s.keyObject("w.key")));
  }

  /**
   * Forgets the kept {@code constraint_violation} conflicts of the rule (a merge in progress's) whose rows no longer
   * share its values with another row the branch reads: the other rows of their group were given new values or
   * deleted, or they were. Those that still share them stay, to be resolved.
   */
  String settle() {
    return fill("""
        with {rows},
        sharing as (select {key_m} as key from m where {not_null} and ({shared}))
        delete from {conflicts} c where c.kind = 'constraint_violation' and c.refused_by = {name}
          and not exists (select 1 from sharing x where x.key = c.key)""",
        "rows", lookup.rowsOf(fill("""
            select {key_kr} from {conflicts} c
            cross join lateral jsonb_populate_record(null::{row_type}, {key_object}) kr
            where c.kind = 'constraint_violation' and c.refused_by = {name}""",
            "key_kr", s.keyList("kr"), "conflicts", merge.conflicts(), "row_type", s.rowType(),
            "key_object", s.keyObject("c.key"), "name", OverlaySql.literal(rule.name()))),
        "key_m", lookup.keyOfM(), "not_null", lookup.notNull(), "shared", lookup.shared(),
        "conflicts", merge.conflicts(), "name", OverlaySql.literal(rule.name()));
  }
}
