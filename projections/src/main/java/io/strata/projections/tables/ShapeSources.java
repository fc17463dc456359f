package io.strata.projections.tables;

import io.strata.events.TableShape;

/**
 * Which recorded shape of a table a branch reads its columns from ({@code from} on each entry of {@code
 * strata_meta.tables.branch_columns}, and per commit {@code strata_meta.commit_shape_from}, V30): the SQL that keeps
 * it as the table's and the branch's shapes change, that lists it for a commit or a live branch, and how a shape at a
 * commit takes its column set.
 */
final class ShapeSources {
  private ShapeSources() {}

  /**
   * {@code base} (a table's shape at a commit's {@code shape_position}) in the columns of {@code from}, the shape of the
   * table its branch read its columns from ({@link #SHAPE_FROM}): the columns that shape has, those of {@code base}
   * defined as there; a branch keeps the definitions, constraints and indexes of the table's columns it forked with
   * (NOT NULL made on the table since leaves the nulls its rows hold; a constraint the table gains is held by the
   * branches created after it only).
   */
  static TableShape columnsFrom(TableShape base, TableShape from) {
    return new TableShape(from.columns().stream().map(c -> base.columns().stream()
        .filter(b -> b.name().equals(c.name())).findFirst().orElse(c)).toList(), base.primaryKey(), base.constraints(),
        base.indexes());
  }

  /**
   * The newest position of table {@code t}'s recorded shape (SQL over {@code strata_meta.tables t}): the shape a branch
   * that reads the table's columns reads them from.
   */
  static final String LATEST = """
      (select max(h.position) from strata_meta.table_shape_history h
        where h.repository = t.repository and h.name = t.name)""";

  /**
   * {@code list} (SQL: a JSON list of branch entries of {@code strata_meta.tables.branch_columns}, those a change of
   * table {@code t}'s shape leaves) with each entry's {@code from}, the position of the table's recorded shape its
   * columns are read from: a branch that had an entry keeps its own (none for an entry filed before V30: unknown), one
   * that read the table's columns until now reads them as the table had them before the change (its newest shape).
   */
  static String withFrom(String list) {
    return """
        (select coalesce(jsonb_agg(case when o.e is null then n.e || jsonb_build_object('from', %s)
                                        when o.e ? 'from' then n.e || jsonb_build_object('from', o.e->'from')
                                        else n.e end order by n.e->>'branch'), '[]'::jsonb)
           from jsonb_array_elements(%s) n(e)
           left join lateral (select x from jsonb_array_elements(t.branch_columns) x
                               where x->>'branch' = n.e->>'branch') o(e) on true)""".formatted(LATEST, list);
  }

  /**
   * For branch $3's entry of table {@code t} replaced by its columns $4 of which it added $5 (SQL of {@code
   * TableBranchSchemaChanged}): {@code {"from": …}}, the oldest shape of the table since its entry's {@code from} that
   * has every column of the table's it reads (its own while it has them; a newer one once it took columns the table
   * gained since: the first that had them, not one with columns the table gained after those); {@code {}} for an entry
   * filed before V30 (unknown); null when it had no entry (it read the table's columns: its newest shape) or no shape
   * since has them all.
   */
  static final String FROM_KEPT = """
      (select case when not (o ? 'from') then '{}'::jsonb
                   else (select jsonb_build_object('from', f.position) from (
                           select min(h.position) as position from strata_meta.table_shape_history h
                            where h.repository = t.repository and h.name = t.name and h.tracked
                              and h.position >= (o->>'from')::bigint
                              and not exists (
                                select from jsonb_array_elements($4::text::jsonb) c
                                 where not exists (select from jsonb_array_elements($5::text::jsonb) a
                                                    where a->>'name' = c->>'name')
                                   and not exists (select from jsonb_array_elements(h.columns) x
                                                    where x->>'name' = c->>'name'))) f
                          where f.position is not null) end
         from jsonb_array_elements(t.branch_columns) o where o->>'branch' = $3)""";

  /**
   * Per table of repository $1 tracked on branch $3, not the default one (nor a table made on a branch), the position
   * of the table's recorded shape the branch reads its columns from — its entry's {@code from}, or the table's newest shape when it reads the
   * table's columns — and the shape commit $2's {@code shape_position} gives (a table tracked after it, or untracked
   * since, left out): rows of (repository, commit, table, position); those that differ ({@link #SHAPE_FROM}) are the
   * commit's {@code strata_meta.commit_shape_from}.
   */
  static final String SHAPE_FROM_ALL = """
      select t.repository, $2::text, t.name, w.position
        from strata_meta.tables t
        cross join lateral (select case when o is null then """ + LATEST + """
                                        else (o->>'from')::bigint end as position
                              from (select (select o from jsonb_array_elements(t.branch_columns) o
                                             where o->>'branch' = $3) as o) e) w
        cross join lateral (select max(h.position) as position from strata_meta.table_shape_history h
                             where h.repository = t.repository and h.name = t.name
                               and h.position <= (select c.shape_position from strata_meta.commits c
                                                   where c.repository = $1 and c.id = $2)) s
       where t.repository = $1 and t.made_on is null and w.position is not null and s.position is not null
         and $3 is distinct from (select r.default_branch from strata_meta.repositories r where r.name = $1)
         -- the table tracked at the commit, as it is tracked now (not untracked in between)
         and exists (select from strata_meta.table_shape_history h
                      where h.repository = t.repository and h.name = t.name and h.position = s.position and h.tracked)
         and not exists (select from strata_meta.table_shape_history h
                          where h.repository = t.repository and h.name = t.name and not h.tracked
                            and h.position > least(s.position, w.position))""";

  /** {@link #SHAPE_FROM_ALL} where the position differs from the commit's. */
  static final String SHAPE_FROM = SHAPE_FROM_ALL + " and w.position <> s.position";
}
