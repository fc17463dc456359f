package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

/**
 * The conflicts views merges made for a side of a table (the default branch, or a branch: {@code
 * <table>__conflicts}, {@link MergeStateSql#createConflictsView}) read its row type, and stay once made: a change
 * of that type (a column dropped or retyped on the branch, a type promoted into the table) sets them aside first —
 * recorded in {@code pg_temp.strata_conflicts_views}, their grants in {@code pg_temp.strata_view_grants} (the
 * caller's, granted again after), then dropped — and makes them again in the side's new columns after. They are
 * found in the catalog as every view reading the side's conflicts table, which is Strata's own ({@code strata.<tid>__x_
 * <bid>}): a view someone else made over it is made again as a conflicts view, under its name.
 */
final class ConflictsViewsSql {
  private ConflictsViewsSql() {}

  /** Where {@link #makeAgain} puts each view's name in its definition, made a format() pattern. */
  private static final String MARK = "strata_conflicts_view_mark";

  /** Records and drops the conflicts views of {@code side}; {@code pg_temp.strata_view_grants} exists already. */
  static String setAside(OverlaySql side) {
    return fill("""
        create temporary table if not exists strata_conflicts_views (conflicts text, s text, v text) on commit drop;
        insert into pg_temp.strata_conflicts_views
          select distinct {conflicts}, n.nspname::text, c.relname::text
          from pg_depend d join pg_rewrite r on r.oid = d.objid join pg_class c on c.oid = r.ev_class
          join pg_namespace n on n.oid = c.relnamespace
          where d.refobjid = to_regclass({conflicts}) and d.classid = 'pg_rewrite'::regclass and c.relkind = 'v';
        insert into pg_temp.strata_view_grants (statement)
          select format('grant %s on %I.%I to %s%s', a.privilege_type, cv.s, cv.v,
                        case when a.grantee = 0 then 'public' else quote_ident(g.rolname) end,
                        case when a.is_grantable then ' with grant option' else '' end)
          from pg_temp.strata_conflicts_views cv
          join pg_class c on c.oid = format('%I.%I', cv.s, cv.v)::regclass
          cross join lateral aclexplode(c.relacl) a left join pg_roles g on g.oid = a.grantee
          where cv.conflicts = {conflicts} and a.grantee <> c.relowner;
        do $strata_cv$ declare r record; begin
          for r in select s, v from pg_temp.strata_conflicts_views where conflicts = {conflicts} loop
            execute format('drop view %I.%I', r.s, r.v);
          end loop;
        end $strata_cv$;
        """, "conflicts", OverlaySql.literal(new MergeSql(side).conflicts()));
  }

  /** Makes the conflicts views {@link #setAside} recorded for {@code side} again, in its columns now. */
  static String makeAgain(OverlaySql side) {
    String definition = new MergeStateSql(new MergeSql(side)).conflictsViewDefinition(MARK)
        .replace("%", "%%").replace(MARK, "%1$I.%2$I");
    return fill("""
        do $strata_cv$ declare r record; begin
          for r in select s, v from pg_temp.strata_conflicts_views where conflicts = {conflicts} loop
            execute format({definition}, r.s, r.v);
          end loop;
          delete from pg_temp.strata_conflicts_views where conflicts = {conflicts};
        end $strata_cv$;
        """, "conflicts", OverlaySql.literal(new MergeSql(side).conflicts()),
        "definition", OverlaySql.literal(definition));
  }
}
