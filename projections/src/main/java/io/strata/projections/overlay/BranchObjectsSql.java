package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import java.util.function.Function;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The statements of a branch's objects of one table (see {@link PgBranchObjects}): its overlay and
 * working log, and the updatable view clients read and write the table through on the branch.
 */
final class BranchObjectsSql {
  /**
   * The live branch overlays of a table ($1 = tid): bid, branch, view schema and name, fork epoch, and
   * the branch's own columns (JSON {name, type, nullable} in order) when it has a row type of its own, and
   * the columns it added through Strata (JSON, shape columns), the columns it shows under other names (JSON).
   */
  static final String OVERLAYS = """
      select o.bid, o.branch, o.view_schema, o.view_name, o.fork_epoch,
             (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                                'nullable', true) order by a.attnum)::text
                from pg_type ty join pg_attribute a on a.attrelid = ty.typrelid and a.attnum > 0 and not a.attisdropped
               where ty.oid = to_regtype(format('strata.%I', o.tid || '__r_' || o.bid))) as own_columns,
             o.added::text as added, o.renamed::text as renamed, o.redefined::text as redefined
      from strata.branch_overlays o
      where o.tid = $1 order by o.bid""";

  /** The table's own columns a registration files as the branch defines them ({@link #OVERLAYS}' {@code redefined}). */
  static List<TableShape.Column> redefined(String json) {
    try {
      return json == null ? List.of() : io.strata.events.EventCodec.mapper().readValue(json,
          new com.fasterxml.jackson.core.type.TypeReference<List<TableShape.Column>>() {});
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("unreadable registration of a branch's redefined columns", e);
    }
  }

  /** The renamed columns a registration files ({@link #OVERLAYS}' {@code renamed}). */
  static java.util.Map<String, String> renamed(String json) {
    try {
      return json == null ? java.util.Map.of() : io.strata.events.EventCodec.mapper().readValue(json,
          new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, String>>() {});
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("unreadable registration of a branch's renamed columns", e);
    }
  }

  static final String REGISTER_OVERLAY = """
      insert into strata.branch_overlays (tid, bid, branch, view_schema, view_name, fork_epoch)
      values ($1, $2, $3, $4, $5, $6)""";

  static final String UNREGISTER_OVERLAY = "delete from strata.branch_overlays where tid = $1 and bid = $2";

  /** Starts a new fork epoch of a table ($1 = tid): a branch created now forks at it. */
  static final String NEXT_EPOCH = """
      update strata.tracked_tables set last_epoch = last_epoch + 1 where tid = $1 returning last_epoch""";

  private final OverlaySql b;

  /** @param branch the table as the branch sees it */
  BranchObjectsSql(OverlaySql branch) {
    if (branch.isDefaultBranch()) {
      throw new IllegalArgumentException("the default branch has no branch objects");
    }
    this.b = branch;
  }

  /**
   * The shared pre-image log if the table has none yet, the branch's row type where its columns are
   * not T's ({@link OverlaySql#rowType}), the branch's overlay (the branch's columns, a tombstone flag,
   * T's key; T's NOT NULL rules for live rows) and its working log.
   */
  String create() {
    // the table's NOT NULL columns (or the branch's, for the table's columns it redefined) in one check, named
    // so that a change of them makes it again; each column the branch added has its own
    List<String> added = b.shape().added().stream().map(TableShape.Column::name).toList();
    List<String> tableRequired = b.shape().required().stream().filter(c -> !added.contains(c)).toList();
    String required = (tableRequired.isEmpty() ? "" : ", add constraint " + Sql.quote(TABLE_REQUIRED)
        + " check (__deleted or (" + tableRequired.stream().map(c -> Sql.quote(c) + " is not null")
            .collect(Collectors.joining(" and ")) + "))")
        + b.shape().required().stream().filter(added::contains).map(c -> ", add constraint "
            + Sql.quote(BranchColumnsSql.requiredConstraint(c)) + " check (__deleted or " + Sql.quote(c)
            + " is not null)").collect(Collectors.joining());
    String rowType = b.shape().hasOwnShape() ? "create type " + b.rowType() + " as (" + b.shape().rowTypeDefinition() + ");" : "";
    return new TrackingSql(b).createPreimages() + ";" + FollowColumnsSql.follow(b, false) + ";" + rowType + fill("""
        create table {overlay} as select * from {rows} with no data;
        alter table {overlay} add column __deleted boolean not null default false,
          add primary key ({key}){required};
        """, "overlay", b.overlay(), "rows", rowsOfBranchShape(b), "key", b.keyList(null), "required", required)
        + new TrackingSql(b).createWorkingLog();
  }

  /** A relation with the columns and types of {@code s}'s rows, for CREATE TABLE AS: T, or the branch's row type. */
  static String rowsOfBranchShape(OverlaySql s) {
    return s.shape().hasOwnShape() ? "(select (null::" + s.rowType() + ").*) r" : s.table();
  }

  /**
   * Gives the overlay T's CHECK constraints, as they are now, so a branch refuses the rows T would (a
   * tombstone passes: its columns are empty). NOT VALID: rows already in the overlay came from states
   * that passed them, or predate a check added since.
   */
  String copyChecks() {
    return fill("""
        do $strata_c$ declare c record; begin
          for c in select pg_get_expr(k.conbin, k.conrelid) as expr from pg_constraint k
                   where k.conrelid = {table_literal}::regclass and k.contype = 'c'
                     and not exists (select 1 from pg_attribute a where a.attrelid = k.conrelid
                                     and a.attnum = any(k.conkey) and not ({among})) order by k.oid loop
            execute format('alter table {overlay_in_format} add check (__deleted or (%s)) not valid', c.expr);
          end loop;
        end $strata_c$""",
        "table_literal", OverlaySql.literal(b.table()), "among", b.shape().amongColumns("a.attname"),
        "overlay_in_format", b.overlay().replace("'", "''").replace("%", "%%"));
  }

  /**
   * Fills the fresh overlay so the branch reads as another state: every key in {@code changed} (a CTE
   * of (k, img), see {@link ChangeImagesSql#changed}) gets its image, or a tombstone where the image is null.
   */
  String fillOverlay(String changedCte) {
    return fill("""
        with {changed},
        rows as (
          insert into {overlay}
          select r.*, false from changed, lateral jsonb_populate_record(null::{row_type}, {image}) r
          where img is not null order by k
          returning 1)
        insert into {overlay} ({key}, __deleted)
        select {key_r}, true from (select ({key_record}).* from changed where img is null) r""",
        "changed", changedCte, "overlay", b.overlay(), "row_type", b.rowType(), "image", ChangeImagesSql.completeImage(b, "img", "k"), "key", b.keyList(null),
        "key_r", b.keyList("r"), "key_record", b.keyRecord("k"));
  }

  /** The setting of a branch view's write function: its statements read by keys, whatever the statistics say. */
  static final String KEYED_ONLY = "set enable_seqscan = off";

  /** Gives the view's write function of an existing branch {@link #KEYED_ONLY}: for a layout upgrade. */
  String readByKeysOnly() {
    return "alter function " + viewFunction() + "() " + KEYED_ONLY + ";";
  }

  private String viewFunction() {
    return OverlaySql.SCHEMA + "." + Sql.quote(b.tableId() + "__view_" + b.bid());
  }

  /**
   * The branch's updatable view {@code viewSchema.viewName}: its working state, with an INSTEAD OF
   * trigger that records each changed key's first before-image in the branch's working log and writes
   * the overlay (a tombstone for a delete, or for the old key when an UPDATE changes the key).
   */
  String createView(String viewSchema, String viewName) {
    String view = Sql.quote(viewSchema) + "." + Sql.quote(viewName);
    return fill("""
        create schema if not exists {view_schema};
        create view {view} as select {shown} from {state} s;
        {defaults}
        {function}
        create trigger strata_write instead of insert or update or delete on {view}
          for each row execute function {function_name}();
        {gate}
        """,
        "gate", GateSql.trigger(viewSchema, viewName, b.bid()),
        "view_schema", Sql.quote(viewSchema), "view", view, "state", b.state(), "shown", shown(),
        "defaults", viewDefaults(view) + redefinedDefaults(view),
        "function", writeFunction(), "function_name", viewFunction());
  }

  /**
   * Gives the branch's view {@code viewSchema.viewName} this instance's columns in place (a column the
   * branch added comes last): CREATE OR REPLACE keeps its trigger, grants and the defaults it had; the
   * write function is made again for the new column list, and the added columns' defaults are set.
   */
  String replaceView(String viewSchema, String viewName) {
    String view = Sql.quote(viewSchema) + "." + Sql.quote(viewName);
    return fill("""
        create or replace view {view} as select {shown} from {state} s;
        {added_defaults}
        {function}
        """, "view", view, "state", b.state(), "shown", shown(), "added_defaults", addedDefaults(view),
        "function", writeFunction());
  }

  /** The view's select list: every column, under the name the branch shows it by. */
  private String shown() {
    return b.shape().renamesColumns() ? b.shape().shownColumns("s") : "*";
  }

  /** The columns of row {@code row} (NEW, OLD) of the view: named as the branch shows them, in the branch's order. */
  private String viewRow(String row) {
    return b.columns().stream().map(c -> row + "." + Sql.quote(b.shape().shown(c))).collect(Collectors.joining(", "));
  }

  /** The overlay's check of the NOT NULL columns of the table's own (or as the branch redefined them). */
  static final String TABLE_REQUIRED = "strata_table_required";

  /**
   * The defaults the branch gave columns of the table's own ({@link OverlaySql#redefined}) on its view
   * {@code view}, in place of the table's: set, or dropped.
   */
  String redefinedDefaults(String view) {
    StringBuilder defaults = new StringBuilder();
    for (TableShape.Column c : b.shape().redefined()) {
      defaults.append("alter view ").append(view).append(" alter column ").append(Sql.quote(b.shape().shown(c.name())))
          .append(c.defaultValue() == null ? " drop default;" : " set default " + BranchShape.addedValue(c) + ";");
    }
    return defaults.toString();
  }

  /** The defaults of the columns the branch added, on its view {@code view}: an insert that leaves one out. */
  String addedDefaults(String view) {
    StringBuilder defaults = new StringBuilder();
    for (TableShape.Column c : b.shape().added()) {
      if (c.defaultValue() != null) {
        defaults.append(fill("alter view {view} alter column {column} set default {value};",
            "view", view, "column", Sql.quote(b.shape().shown(c.name())), "value", BranchShape.addedValue(c)));
      }
    }
    return defaults.toString();
  }

  /** Makes the view's write function, for this instance's columns. */
  private String writeFunction() {
    String[] holes = {
        "overlay", b.overlay(), "working_log", b.workingLog(), "state", b.state(),
        "columns", OverlaySql.list(b.columns(), null), "new_columns", viewRow("NEW"),
        "old_columns", viewRow("OLD"), "key", b.keyList(null),
        "old_key", b.keyList("OLD"), "new_key", b.keyList("NEW"),
        "set_all", OverlaySql.assign(b.columns(), "excluded"),
        "log_upsert", b.logUpsert("false"),
        "new_matches", keyMatch("s", "NEW"), "old_matches", keyMatch("s", "OLD"),
        // the state's row and OLD in one set of names (the stored ones)
        "state_row", "to_jsonb(s.*)", "old_row", b.shape().renamesColumns() ? b.shape().storedJson("OLD") : "to_jsonb(OLD)"};
    String upsertRow = fill("""
        insert into {overlay} ({columns}, __deleted) values ({new_columns}, false)
          on conflict ({key}) do update set {set_all}, __deleted = false;
        """, holes);
    String tombstoneOld = fill("""
        insert into {overlay} ({key}, __deleted) values ({old_key}, true)
          on conflict ({key}) do update set __deleted = true;
        """, holes);
    String logOld = fill("""
        insert into {working_log} ({columns}, __present) values ({old_columns}, true){log_upsert};
        """, holes);
    String logNew = fill("""
        insert into {working_log} ({key}, __present) values ({new_key}, false){log_upsert};
        """, holes);
    String duplicate = fill("""
        if exists (select 1 from {state} s where {new_matches}) then
          raise exception 'duplicate key value violates unique constraint of %', TG_TABLE_NAME
            using errcode = '23505';
        end if;
        """, holes);
    // The log upserts lock the key's working-log row: writers of a key take turns. The row is then
    // read again (a fresh snapshot): if another transaction changed it since this statement read it,
    // this write would silently undo that one, so it fails as a serialization failure to retry, as
    // under REPEATABLE READ — a view has no row locks of its own to wait on.
    String unchanged = fill("""
        if not exists (select 1 from {state} s where {old_matches} and {state_row} = {old_row}) then
          raise exception 'could not serialize access due to concurrent update of a row of %', TG_TABLE_NAME
            using errcode = '40001';
        end if;
        """, holes);
    String keyChanged = "(" + b.keyList("NEW") + ") is distinct from (" + b.keyList("OLD") + ")";
    // Each row written asks the branch's state about its key. Those statements are planned from the
    // statistics of the pre-image log, which may still say "empty" long after main filed 100K rows in it
    // (autovacuum has not analysed it yet): a sequential scan of the log per row, minutes for a bulk
    // UPDATE. Every statement here reads by a key, so the function never plans a sequential scan.
    Function<Boolean, String> function = generated -> fill("""
        create or replace function {function}() returns trigger language plpgsql
        """ + KEYED_ONLY + """
         as $f$
        declare g record; v text;
        begin
          {generated}
          if TG_OP = 'DELETE' then {log_old}{unchanged}{tombstone_old} return OLD; end if;
          if TG_OP = 'INSERT' then {log_new}{duplicate}{upsert_row} return NEW; end if;
          {log_old}{unchanged}
          if {key_changed} then {log_new}{duplicate}{tombstone_old} end if;
          {upsert_row} return NEW;
        end $f$""",
        "function", viewFunction(),
        "generated", generated ? "if TG_OP <> 'DELETE' then " + computeGeneratedInNew() + " end if;" : "",
        "log_old", logOld, "log_new", logNew, "unchanged", unchanged, "tombstone_old", tombstoneOld,
        "duplicate", duplicate, "upsert_row", upsertRow, "key_changed", keyChanged);
    return withGeneratedColumns(function);
  }

  private String keyMatch(String alias, String row) {
    return b.key().stream().map(k -> alias + "." + Sql.quote(k) + " = " + row + "." + Sql.quote(k))
        .collect(Collectors.joining(" and "));
  }

  /**
   * Creates the view's trigger function, {@code function(true)} when T has stored generated columns:
   * a branch's overlay holds their values as plain columns, so the trigger computes them.
   */
  private String withGeneratedColumns(Function<Boolean, String> function) {
    return fill("""
        do $strata_v$ begin
          if exists (select 1 from pg_attribute a where a.attrelid = {table_literal}::regclass and a.attnum > 0
                     and not a.attisdropped and a.attgenerated <> '') then
            execute {with_generated};
          else
            execute {without_generated};
          end if;
        end $strata_v$;""",
        "table_literal", OverlaySql.literal(b.table()),
        "with_generated", OverlaySql.literal(function.apply(true)),
        "without_generated", OverlaySql.literal(function.apply(false)));
  }

  /**
   * Sets NEW's stored generated columns as T would compute them: each expression, from the catalog,
   * evaluated over NEW's columns (as text, then into NEW by its column's type).
   */
  private String computeGeneratedInNew() {
    if (!b.shape().renamesColumns()) {
      return TableWritesSql.generatedColumns(b) + """
           execute format('select (%s)::text from (select ($1).*) x', g.expr) using NEW into v;
            NEW := jsonb_populate_record(NEW, jsonb_build_object(g.attname, v));
          end loop;""";
    }
    // NEW names the columns as the branch shows them, the expressions as they are stored: evaluated over NEW
    // in the stored names, the value set in the name the branch shows
    String stored = "jsonb_populate_record(null::" + b.rowType() + ", " + b.shape().storedJson("NEW") + ")";
    String renamed = OverlaySql.literal(io.strata.events.EventCodec.mapper().valueToTree(b.shape().renamed()).toString());
    return TableWritesSql.generatedColumns(b) + fill("""
         execute format('select (%s)::text from (select ($1).*) x', g.expr) using {stored} into v;
          NEW := jsonb_populate_record(NEW, jsonb_build_object(coalesce({renamed}::jsonb ->> g.attname::text,
            g.attname::text), v));
        end loop;""", "stored", stored, "renamed", renamed);
  }

  /**
   * Gives the view T's column defaults, identity columns drawing from T's own sequence: an INSERT
   * through a branch's view that leaves such a column out gets the value an INSERT into T would.
   */
  private String viewDefaults(String view) {
    return fill("""
        do $strata_d$ declare r record; begin
          for r in select a.attname, a.attidentity <> '' as identity, pg_get_expr(d.adbin, d.adrelid) as expr
                   from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                   where a.attrelid = {table_literal}::regclass and a.attnum > 0 and not a.attisdropped
                     and a.attgenerated = '' and (a.attidentity <> '' or d.adbin is not null) and {among} loop
            execute format('alter view %s alter column %I set default %s', {view_literal},
              coalesce({renamed}::jsonb ->> r.attname::text, r.attname),
              case when r.identity then format('nextval(%L::regclass)', pg_get_serial_sequence({table_literal}, r.attname))
                   else r.expr end);
          end loop;
        end $strata_d$;""",
        "table_literal", OverlaySql.literal(b.table()), "view_literal", OverlaySql.literal(view),
        "among", b.shape().amongColumns("a.attname"),
        "renamed", OverlaySql.literal(io.strata.events.EventCodec.mapper().valueToTree(b.shape().renamed()).toString()));
  }

  /**
   * Removes the branch's view, its trigger function, overlay and working log, its query views, and what
   * merges into it kept (their conflicts, with their view).
   */
  String drop(String viewSchema, String viewName) {
    return fill("""
        {query_access_lock};
        {drop_query_views}
        drop view if exists {view_schema}.{view_name};
        drop function if exists {function}();
        {drop_uniques};
        drop table if exists {overlay};
        drop table if exists {working_log};
        drop table if exists {merge_conflicts} cascade;
        drop table if exists {merge_written};
        drop type if exists {row_type};
        """, "row_type", b.ownRowType(),
        "merge_conflicts", new MergeSql(b).conflicts(), "merge_written", new MergeSql(b).written(),
        "query_access_lock", PgQueryAccess.LOCK, "drop_query_views", new QueryAccessSql(b).dropViews(),
        "view_schema", Sql.quote(viewSchema), "view_name", Sql.quote(viewName), "function", viewFunction(),
        "overlay", b.overlay(), "working_log", b.workingLog(), "drop_uniques", BranchUniquesSql.dropAll(b));
  }

  /** Drops the view schema when this was its last view. */
  static String dropSchemaIfEmpty(String viewSchema) {
    return fill("""
        do $d$ begin
          if not exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                         where n.nspname = {schema_literal}) then
            execute {drop};
          end if;
        end $d$""",
        "schema_literal", OverlaySql.literal(viewSchema),
        "drop", OverlaySql.literal("drop schema if exists " + Sql.quote(viewSchema)));
  }
}
