package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableColumn;
import java.util.List;

/**
 * How Strata's objects of a table follow columns the table gained, inside the transaction that added
 * them (so no write after it is captured in the old columns): {@code strata.follow_columns(tid)}.
 *
 * <ul>
 *   <li>the default branch's working log and the pre-image log gain the columns T has and they lack
 *       (nullable, without default: they hold images; an image logged before holds null there, and a
 *       branch reads only its own columns);
 *   <li>each live branch whose overlay's columns are no longer T's gets a row type of its own, of the
 *       overlay's columns ({@link OverlaySql#rowType}): it keeps reading and writing its own columns;
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
      create or replace function strata.follow_columns(table_id text, regenerate_capture boolean) returns void
      language plpgsql set search_path = pg_catalog, pg_temp as $strata_fc$
      declare t record; c record; b record; definition text; table_definition text; cols text; cols_o text;
      begin
        select tid, format('%I.%I', schema_name, table_name) as rel, capture_template into t
          from strata.tracked_tables where tid = table_id;
        if not found then return; end if;
        for c in select l.log, a.attname, format_type(a.atttypid, a.atttypmod) as type
                 from pg_attribute a
                 cross join unnest(array[format('strata.%I', t.tid || '__w_0'), format('strata.%I', t.tid || '__p')]) l(log)
                 where a.attrelid = t.rel::regclass and a.attnum > 0 and not a.attisdropped
                   and to_regclass(l.log) is not null
                   and not exists (select 1 from pg_attribute x where x.attrelid = to_regclass(l.log)
                                   and x.attname = a.attname and x.attnum > 0 and not x.attisdropped)
                 order by l.log, a.attnum loop
          execute format('alter table %s add column %I %s', c.log, c.attname, c.type);
        end loop;
        select string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' order by a.attnum)
          into table_definition from pg_attribute a
          where a.attrelid = t.rel::regclass and a.attnum > 0 and not a.attisdropped;
        for b in select format('strata.%I', t.tid || '__v_' || o.bid) as overlay,
                        format('strata.%I', t.tid || '__r_' || o.bid) as row_type
                 from strata.branch_overlays o where o.tid = t.tid loop
          continue when to_regtype(b.row_type) is not null or to_regclass(b.overlay) is null;
          select string_agg(format('%I %s', v.attname, format_type(v.atttypid, v.atttypmod)), ', ' order by v.attnum)
            into definition from pg_attribute v
            where v.attrelid = b.overlay::regclass and v.attnum > 0 and not v.attisdropped and v.attname <> '__deleted';
          if definition is distinct from table_definition then
            execute format('create type %s as (%s)', b.row_type, definition);
          end if;
        end loop;
        if regenerate_capture and t.capture_template is not null then
          select string_agg(quote_ident(a.attname), ', ' order by a.attnum),
                 string_agg('o.' || quote_ident(a.attname), ', ' order by a.attnum)
            into cols, cols_o from pg_attribute a
            where a.attrelid = t.rel::regclass and a.attnum > 0 and not a.attisdropped;
          execute replace(replace(t.capture_template, 'o."__strata_columns__"', cols_o), '"__strata_columns__"', cols);
        end if;
      end $strata_fc$;
      revoke all on function strata.follow_columns(text, boolean) from public""";

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
