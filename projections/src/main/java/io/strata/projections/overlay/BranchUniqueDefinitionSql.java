package io.strata.projections.overlay;

import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How a branch's unique rule is defined before it is held ({@link PgUniqueDefinition#define}): by the table's
 * database, as a constraint on an empty temporary table of the branch's columns (the probe), whose printed definition
 * is the rule's; its columns' types must have PostgreSQL's own equality, and the table an index to look rows up
 * through. Then {@link BranchUniquesSql} holds it.
 */
final class BranchUniqueDefinitionSql {
  private BranchUniqueDefinitionSql() {}

  /** The probe table a unique rule is defined on first: dropped with the caller's transaction. */
  static final String PROBE = "strata_probe_unique";

  /** Defines a unique constraint on {@code columns} (names, quoted) on the probe. */
  static String probe(List<String> columns) {
    return "alter table pg_temp." + PROBE + " add constraint strata_probe_u unique ("
        + columns.stream().map(Sql::quote).collect(Collectors.joining(", ")) + ")";
  }

  /**
   * The probe's columns among $1 (text[]) whose type, or a domain's base type, is neither PostgreSQL's own nor an
   * enum (name, type): their equality is another schema's ({@code citext}), which the check, under a search path
   * pinned to PostgreSQL's own objects, would not use.
   */
  static final String FOREIGN_EQUALITY = "select a.attname::text, format_type(a.atttypid, a.atttypmod)"
      + " from pg_attribute a join pg_type t on t.oid = a.atttypid left join pg_type d on d.oid = nullif(t.typbasetype, 0)"
      + " where a.attrelid = 'pg_temp." + PROBE + "'::regclass and a.attnum > 0 and a.attname::text = any($1)"
      + " and coalesce(d.typnamespace, t.typnamespace) <> 'pg_catalog'::regnamespace"
      + " and coalesce(d.typtype, t.typtype) <> 'e' order by a.attnum limit 1";

  /** The probe's constraint as the database printed it. */
  static final String PROBED = "select pg_get_constraintdef(k.oid) from pg_constraint k"
      + " where k.conrelid = 'pg_temp." + PROBE + "'::regclass and k.conname = 'strata_probe_u'";

  /**
   * Whether table $1 (regclass text) has a valid, non-partial btree index whose first key columns are exactly the
   * columns $2 (text[], $3 of them), in any order: the index every written row's values are looked up through.
   */
  static final String LOOKUP_INDEX = """
      select exists (
        select 1 from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am m on m.oid = c.relam
         where i.indrelid = $1::regclass and i.indisvalid and i.indpred is null and m.amname = 'btree'
           and (select array_agg(a.attname::text order by a.attname::text)
                  from unnest(i.indkey::int2[]) with ordinality k(n, ord)
                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n
                 where k.ord <= $3)
             = (select array_agg(x order by x) from unnest($2::text[]) x))""";
}
