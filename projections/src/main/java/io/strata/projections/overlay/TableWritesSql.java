package io.strata.projections.overlay;

import static io.strata.projections.overlay.OverlaySql.COLUMNS;
import static io.strata.projections.overlay.OverlaySql.ON_CONFLICT;
import static io.strata.projections.overlay.OverlaySql.SETS;
import static io.strata.projections.overlay.OverlaySql.VALUES;
import static io.strata.projections.overlay.OverlaySql.literal;
import static io.strata.projections.overlay.SqlTemplate.fill;

import java.util.stream.Collectors;

/**
 * Writes of Strata's own whose columns depend on T's catalog when they run (one table, {@link
 * OverlaySql}): writes to T by its writable columns, and the stored generated columns a branch's
 * overlay holds as plain columns.
 */
final class TableWritesSql {
  private TableWritesSql() {}

  /**
   * A write of Strata's own to T, run (a DO block) with T's writable columns as the catalog has them
   * when it runs: {@code COLUMNS} becomes the columns an INSERT names (all but stored generated ones,
   * which T computes), {@code VALUES} the same of alias {@code s}, {@code SETS} the assignments {@code c =
   * s.c} of the non-key columns an UPDATE may set (nor identity columns GENERATED ALWAYS, which keep
   * their values), {@code ON_CONFLICT} "do update set" of those from {@code excluded}, or "do nothing".
   * A statement that needs {@code SETS} is skipped when there are none.
   */
  static String writingTable(OverlaySql s, String statement) {
    String keys = s.key().stream().map(OverlaySql::literal).collect(Collectors.joining(", ", "array[", "]::name[]"));
    String template = literal(statement.replace("%", "%%").replace(COLUMNS, "%1$s").replace(VALUES, "%2$s")
        .replace(SETS, "%3$s").replace(ON_CONFLICT, "%4$s"));
    boolean needsSets = statement.contains(SETS);
    return fill("""
        do $strata_w$ declare cols text; vals text; sets text; conflict text; begin
          select string_agg(quote_ident(a.attname), ', ' order by a.attnum),
                 string_agg('s.' || quote_ident(a.attname), ', ' order by a.attnum),
                 string_agg(quote_ident(a.attname) || ' = s.' || quote_ident(a.attname), ', ' order by a.attnum)
                   filter (where a.attidentity <> 'a' and a.attname <> all({keys})),
                 coalesce('do update set ' || string_agg(quote_ident(a.attname) || ' = excluded.' || quote_ident(a.attname),
                   ', ' order by a.attnum) filter (where a.attidentity <> 'a' and a.attname <> all({keys})), 'do nothing')
          into cols, vals, sets, conflict
          from pg_attribute a
          where a.attrelid = {table_literal}::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
          {if_sets} execute format({template}, cols, vals, sets, conflict); {end_if}
        end $strata_w$""",
        "keys", keys, "table_literal", literal(s.table()), "template", template,
        "if_sets", needsSets ? "if sets is not null then" : "", "end_if", needsSets ? "end if;" : "");
  }

  /**
   * Sets the stored generated columns of the rows in {@code relation} (T's columns) as T would compute
   * them: for a branch's overlay, which holds them as plain columns. One UPDATE per such column.
   */
  static String computeGenerated(OverlaySql s, String relation) {
    return fill("""
        do $strata_g$ declare g record; begin
          {generated_columns}
            execute format('update {relation_in_format} set %I = (%s)', g.attname, g.expr);
          end loop;
        end $strata_g$;""",
        "generated_columns", generatedColumns(s),
        "relation_in_format", relation.replace("'", "''").replace("%", "%%"));
  }

  /** The head of a PL/pgSQL loop over T's stored generated columns ({@code g.attname}, {@code g.expr}). */
  static String generatedColumns(OverlaySql s) {
    return fill("""
        for g in select a.attname, pg_get_expr(d.adbin, d.adrelid) as expr
                 from pg_attribute a join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                 where a.attrelid = {table_literal}::regclass and a.attnum > 0 and not a.attisdropped
                   and a.attgenerated = 's' and {among} order by a.attnum loop""", "table_literal", literal(s.table()),
        "among", s.shape().amongColumns("a.attname"));
  }
}
