package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableColumn;
import java.util.List;

/**
 * How Strata's objects of a table follow columns the table gained, inside the transaction that added
 * them (so no write after it is captured in the old columns): {@code strata.follow_columns(tid)}. The
 * capture functions are always made from a template with T's columns as the catalog has them
 * ({@code strata.capture_from_template}).
 *
 * <ul>
 *   <li>the default branch's working log and the pre-image log gain the columns T has and they lack
 *       (nullable: they hold images; an image logged before reads the column as T's rows did when it was
 *       added — its constant default, or the value T's row of that key was given — and a branch reads only
 *       its own columns);
 *   <li>each live branch whose overlay's columns are no longer T's gets a row type of its own, of the
 *       overlay's columns in the table's order ({@link OverlaySql#rowType}): it keeps reading and writing its
 *       own columns;
 *   <li>the capture functions on T are made again from the template kept with the table's registration
 *       ({@code tracked_tables.capture_template}: the functions as generated, their column lists named
 *       by {@link #COLUMNS}), with T's columns as the catalog has them. The template is the one piece of
 *       generated SQL the function runs; only Strata writes it.
 * </ul>
 *
 * <p>Idempotent: a catalog read when nothing changed.
 */
final class FollowColumnsSql {
  private FollowColumnsSql() {}

  /** The column that stands for T's column list in the capture template: no table's column (two underscores). */
  static final TableColumn COLUMNS = new TableColumn("__strata_columns__", "text", true);

  static final String FUNCTION = """
      -- runs a capture template for table rel with its columns as the catalog has them now
      create or replace function strata.capture_from_template(rel regclass, template text) returns void
      language plpgsql set search_path = pg_catalog, pg_temp as $strata_ct$
      declare cols text; cols_o text;
      begin
        select string_agg(quote_ident(a.attname), ', ' order by a.attnum),
               string_agg('o.' || quote_ident(a.attname), ', ' order by a.attnum)
          into cols, cols_o from pg_attribute a where a.attrelid = rel and a.attnum > 0 and not a.attisdropped;
        execute replace(replace(template, 'o."__strata_columns__"', cols_o), '"__strata_columns__"', cols);
      end $strata_ct$;
      revoke all on function strata.capture_from_template(regclass, text) from public;

      create or replace function strata.follow_columns(table_id text, regenerate_capture boolean) returns void
      language plpgsql set search_path = pg_catalog, pg_temp as $strata_fc$
      declare t record; c record; b record; definition text; table_definition text; key_match text;
      begin
        select tid, format('%I.%I', schema_name, table_name) as rel, capture_template into t
          from strata.tracked_tables where tid = table_id;
        if not found then return; end if;
        -- rows already logged predate the column: they read it as T's own rows did when it was added — its
        -- default where PostgreSQL keeps one for them (a constant), else (a volatile default, identity,
        -- generated) the value T's row of that key was given, copied while nothing else can have changed it
        for c in select l.log, a.attname, format_type(a.atttypid, a.atttypmod) as type,
                        case when a.atthasmissing then pg_get_expr(d.adbin, d.adrelid) end as fast_default,
                        not a.atthasmissing and (d.adbin is not null or a.attidentity <> '') as copied
                 from pg_attribute a
                 left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                 cross join unnest(array[format('strata.%I', t.tid || '__w_0'), format('strata.%I', t.tid || '__p')]) l(log)
                 where a.attrelid = t.rel::regclass and a.attnum > 0 and not a.attisdropped
                   and to_regclass(l.log) is not null
                   and not exists (select 1 from pg_attribute x where x.attrelid = to_regclass(l.log)
                                   and x.attname = a.attname and x.attnum > 0 and not x.attisdropped)
                 order by l.log, a.attnum loop
          execute format('alter table %s add column %I %s', c.log, c.attname, c.type)
            || case when c.fast_default is null then '' else format(' default %s', c.fast_default) end;
          if c.fast_default is not null then
            execute format('alter table %s alter column %I drop default', c.log, c.attname); -- captures name it
          elsif c.copied then
            select string_agg(format('l.%1$I = t.%1$I', k.attname), ' and ') into key_match
              from pg_index i join pg_attribute k on k.attrelid = i.indrelid and k.attnum = any(i.indkey)
              where i.indrelid = c.log::regclass and i.indisprimary and k.attname <> '__epoch';
            execute format('update %s l set %I = t.%I from %s t where %s', c.log, c.attname, c.attname, t.rel, key_match);
          end if;
        end loop;
        select string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' order by a.attnum)
          into table_definition from pg_attribute a
          where a.attrelid = t.rel::regclass and a.attnum > 0 and not a.attisdropped;
        for b in select format('strata.%I', t.tid || '__v_' || o.bid) as overlay,
                        format('strata.%I', t.tid || '__r_' || o.bid) as row_type
                 from strata.branch_overlays o where o.tid = t.tid loop
          continue when to_regtype(b.row_type) is not null or to_regclass(b.overlay) is null;
          -- in the table's order (an overlay's columns may be in another: one dropped on the branch and given back
          -- by a reset or a merge is added at its end), then the overlay's own
          select string_agg(format('%I %s', v.attname, format_type(v.atttypid, v.atttypmod)), ', '
                            order by coalesce(ta.attnum, 32767), v.attnum)
            into definition from pg_attribute v
            left join pg_attribute ta on ta.attrelid = t.rel::regclass and ta.attname = v.attname and ta.attnum > 0
                                     and not ta.attisdropped
            where v.attrelid = b.overlay::regclass and v.attnum > 0 and not v.attisdropped and v.attname <> '__deleted';
          if definition is distinct from table_definition then
            execute format('create type %s as (%s)', b.row_type, definition);
          end if;
        end loop;
        if regenerate_capture and t.capture_template is not null then
          perform strata.capture_from_template(t.rel::regclass, t.capture_template);
        end if;
      end $strata_fc$;
      revoke all on function strata.follow_columns(text, boolean) from public""";

  /**
   * Makes T's capture functions from {@code template} (generated with {@link #COLUMNS}) with T's columns
   * as the catalog has them: never from a caller's list, which may be older than the table.
   */
  static String captureFromTemplate(OverlaySql s, String template) {
    return fill("select strata.capture_from_template({table}::regclass, {template})",
        "table", OverlaySql.literal(s.table()), "template", OverlaySql.literal(template));
  }

  /** Follows T's columns in Strata's logs and branches ({@code regenerate}: and in the capture) for table {@code s}. */
  static String follow(OverlaySql s, boolean regenerate) {
    return fill("select strata.follow_columns({tid}, {regenerate})", "tid", OverlaySql.literal(s.tableId()),
        "regenerate", Boolean.toString(regenerate));
  }

  /** Keeps {@code template} (capture functions generated with {@link #COLUMNS}) with the table's registration. */
  static String keepTemplate(OverlaySql s, String template) {
    return fill("update strata.tracked_tables set capture_template = {template} where tid = {tid}",
        "template", OverlaySql.literal(template), "tid", OverlaySql.literal(s.tableId()));
  }

  /** The table as a capture template names its columns: {@link #COLUMNS} for all of T's. */
  static List<TableColumn> templateColumns() {
    return List.of(COLUMNS);
  }
}
