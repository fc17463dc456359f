package io.strata.projections.overlay;

import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * How a branch's unique rule finds rows: the rows of some keys as the branch reads them, and the other rows it reads
 * with the same values of the rule's columns. The check at the end of a transaction ({@link BranchUniquesSql}) asks
 * it of the keys the transaction touched; a merge asks it of the keys it wrote, to list the rows that share values as
 * conflicts, and of its conflicts' keys, to settle those that no longer do ({@link UniqueViolationsSql}).
 *
 * <p>It reads the key and the rule's columns alone, by name (not the branch's state, whose column list changes with
 * its shape), each row through an index: a touched key's row is its overlay's live row, else the first pre-image
 * since the fork, else the table's row; the rows sharing its values are found among the overlay's live rows (the
 * rule's partial index on the overlay), the table's rows the branch still reads (the table's index the rule
 * requires) and the first pre-images since the fork (the pre-image log's index on the rule's columns).
 */
final class UniqueLookupSql {
  private final OverlaySql b;
  private final List<String> columns;
  private final List<String> key;

  UniqueLookupSql(OverlaySql b, TableShape.Constraint rule) {
    this.b = b;
    this.columns = BranchUniquesSql.columns(rule);
    this.key = b.key();
  }

  /**
   * CTEs {@code t}, the distinct keys {@code keys} yields (a query of the key's columns, by name), and {@code m}, the
   * row of each as the branch reads it: its key ({@code strata_k1}…) and the rule's values ({@code strata_v1}…), named
   * by position so that no column of the table's can clash with them. A key the branch reads no row of is not in m.
   */
  String rowsOf(String keys) {
    String fork = b.forkEpoch();
    return SqlTemplate.fill("""
        t as (select distinct {key} from ({keys}) k),
        m as (
          select {key_t}, r.* from t cross join lateral (
            select {values_o} from {overlay} o where {match_ot} and not o.__deleted
            union all
            select {values_p} from (select * from {preimages} p where {match_pt} and p.__epoch >= {fork}
                                     order by p.__epoch limit 1) p
             where not p.__deleted and not exists (select 1 from {overlay} o where {match_ot})
            union all
            select {values_x} from {table} x where {match_xt}
               and not exists (select 1 from {overlay} o where {match_ot})
               and not exists (select 1 from {preimages} q where {match_qt} and q.__epoch >= {fork})
            limit 1) r)""",
        "key", b.keyList(null), "keys", keys,
        "key_t", IntStream.range(0, key.size()).mapToObj(i -> "t." + Sql.quote(key.get(i)) + " as strata_k" + (i + 1))
            .collect(Collectors.joining(", ")),
        "values_o", values("o"), "values_p", values("p"), "values_x", values("x"),
        "overlay", b.overlay(), "preimages", b.preimages(), "table", b.table(), "fork", fork,
        "match_ot", b.keyMatch("o", "t"), "match_pt", b.keyMatch("p", "t"), "match_xt", b.keyMatch("x", "t"),
        "match_qt", b.keyMatch("q", "t"));
  }

  /** Whether m's values of the rule's columns are all not null: nulls share nothing. */
  String notNull() {
    return IntStream.range(0, columns.size()).mapToObj(i -> "m.strata_v" + (i + 1) + " is not null")
        .collect(Collectors.joining(" and "));
  }

  /** Whether another row the branch reads has m's values. */
  String shared() {
    return others(alias -> "1").stream().map(q -> "exists (" + q + ")").collect(Collectors.joining("\n or "));
  }

  /** The keys (JSON arrays, column {@code strata_other}) of the other rows the branch reads with m's values. */
  String sharing() {
    return String.join("\nunion all\n", others(alias -> b.keyArray(alias) + " as strata_other"));
  }

  /** m's key as a JSON array, as change sets and merge plans name rows. */
  String keyOfM() {
    return "jsonb_build_array(" + IntStream.range(0, key.size()).mapToObj(i -> "m.strata_k" + (i + 1))
        .collect(Collectors.joining(", ")) + ")";
  }

  /** m's key as text, its columns separated by commas. */
  String keyTextOfM() {
    return IntStream.range(0, key.size()).mapToObj(i -> "m.strata_k" + (i + 1) + "::text")
        .collect(Collectors.joining(" || ', ' || "));
  }

  /** The three places another row with m's values may be read from, each a query selecting {@code select}. */
  private List<String> others(Function<String, String> select) {
    String fork = b.forkEpoch();
    return List.of(
        SqlTemplate.fill("select {select} from {overlay} o where not o.__deleted and {same_o} and {other_o}",
            "select", select.apply("o"), "overlay", b.overlay(), "same_o", same("o"), "other_o", other("o")),
        SqlTemplate.fill("""
            select {select} from {table} x where {same_x} and {other_x}
               and not exists (select 1 from {overlay} o where {match_ox})
               and not exists (select 1 from {preimages} q where {match_qx} and q.__epoch >= {fork})""",
            "select", select.apply("x"), "table", b.table(), "overlay", b.overlay(), "preimages", b.preimages(),
            "same_x", same("x"), "other_x", other("x"), "match_ox", b.keyMatch("o", "x"),
            "match_qx", b.keyMatch("q", "x"), "fork", fork),
        SqlTemplate.fill("""
            select {select} from {preimages} p where {same_p} and {other_p} and p.__epoch >= {fork}
               and not p.__deleted
               and not exists (select 1 from {preimages} q where {match_qp} and q.__epoch >= {fork}
                                 and q.__epoch < p.__epoch)
               and not exists (select 1 from {overlay} o where {match_op})""",
            "select", select.apply("p"), "preimages", b.preimages(), "overlay", b.overlay(), "same_p", same("p"),
            "other_p", other("p"), "match_qp", b.keyMatch("q", "p"), "match_op", b.keyMatch("o", "p"), "fork", fork));
  }

  /** The rule's columns of {@code alias} named by position, as m has them. */
  private String values(String alias) {
    return IntStream.range(0, columns.size())
        .mapToObj(i -> alias + "." + Sql.quote(columns.get(i)) + " as strata_v" + (i + 1))
        .collect(Collectors.joining(", "));
  }

  /** Whether row {@code alias} has m's values. */
  private String same(String alias) {
    return IntStream.range(0, columns.size())
        .mapToObj(i -> alias + "." + Sql.quote(columns.get(i)) + " = m.strata_v" + (i + 1))
        .collect(Collectors.joining(" and "));
  }

  /** Whether row {@code alias} has a key other than m's. */
  private String other(String alias) {
    return "(" + IntStream.range(0, key.size()).mapToObj(i -> alias + "." + Sql.quote(key.get(i)))
        .collect(Collectors.joining(", ")) + ") <> ("
        + IntStream.range(0, key.size()).mapToObj(i -> "m.strata_k" + (i + 1)).collect(Collectors.joining(", "))
        + ")";
  }
}
