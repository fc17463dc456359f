package io.strata.projections.overlay;

/** The statements that read, record and upgrade the layout version of Strata's objects in a database. */
final class LayoutSql {
  private LayoutSql() {}

  /**
   * The version table, locked for the upgrade: a second server upgrading the same database waits and
   * then finds the version already recorded.
   */
  static final String PREPARE = """
      create schema if not exists strata;
      create table if not exists strata.layout (
        version int primary key,
        upgraded_at timestamptz not null default now());
      lock table strata.layout in exclusive mode""";

  /**
   * The recorded version; with none recorded, 1 where Strata's registry exists (a database written by a
   * build before layout versions, the layout of 65f10d3) and 0 where nothing of Strata's is there yet.
   */
  static final String VERSION = """
      select coalesce(
        (select max(version) from strata.layout),
        case when to_regclass('strata.tracked_tables') is null then 0 else 1 end)""";

  /**
   * The tables every database Strata writes into has, as layout 1 left them (and builds before it
   * patched them): the registry of tracked tables (one repository per table), each live branch's
   * objects per table, and the recovery sidecars — the working-log rows a cross-storage commit attempt
   * captured here, kept until the commit is appended (then dropped) or abandoned (then put back); and
   * (layout 4) a merge attempt's: what it wrote here (undone if its event is never appended), or what a
   * merge in progress had written, set aside by the commit that concludes it.
   */
  static final String BASE = """
      create table if not exists strata.tracked_tables (
        tid text primary key, repository text not null, name text not null,
        schema_name text not null, table_name text not null, tracked_at timestamptz not null default now(),
        unique (schema_name, table_name));
      alter table strata.tracked_tables add column if not exists last_epoch bigint not null default 0;
      alter table strata.tracked_tables add column if not exists capture_template text;
      create table if not exists strata.branch_overlays (
        tid text not null, bid text not null, branch text not null, view_schema text not null,
        view_name text not null, created_at timestamptz not null default now(), primary key (tid, bid));
      alter table strata.branch_overlays add column if not exists fork_epoch bigint not null default 0;
      alter table strata.branch_overlays add column if not exists added jsonb not null default '[]';
      alter table strata.branch_overlays add column if not exists renamed jsonb not null default '{}';
      alter table strata.branch_overlays add column if not exists redefined jsonb not null default '[]';
      create table if not exists strata.commit_sidecars (
        attempt text not null, tid text not null, key jsonb not null, before jsonb,
        primary key (attempt, tid, key));
      alter table strata.commit_sidecars add column if not exists staged boolean;
      create table if not exists strata.merge_sidecars (
        attempt text not null, tid text not null, role text not null, key jsonb not null, ours jsonb, merged jsonb,
        primary key (attempt, tid, role, key))""";

  /**
   * The three-way merge of one row (layout 3), as JSON images of the table's row (null: no row) at the
   * merge base, on the target (ours) and on the source (theirs), for a key both sides changed. Field by
   * field: a field changed on one side takes that side; changed alike on both, that value; changed
   * differently, a conflict on the field, which keeps ours. Columns in {@code derived_columns} (stored
   * generated ones) are not compared: the write computes them from the merged fields. In the columns
   * named in {@code json_columns},
   * objects on all three sides merge key by key (a key changed differently is a conflict on the column).
   * Row level: deleted on one side and changed on the other is {@code modify_delete} (ours deleted) or
   * {@code delete_modify} (theirs deleted); inserted on both with different rows is {@code add_add}; each
   * keeps ours and lists the columns that differ. NULL is a value like any other. Answers the merged
   * image, the conflict's kind (null: none) and the conflicting columns.
   */
  static final String MERGE_FUNCTION = """
      create or replace function strata.merge_object(b jsonb, o jsonb, t jsonb, out merged jsonb, out clash boolean)
      language plpgsql immutable as $strata_mo$
      declare k text; bk jsonb; ok jsonb; tk jsonb;
      begin
        merged := '{}'::jsonb; clash := false;
        for k in select jsonb_object_keys(b) union select jsonb_object_keys(o) union select jsonb_object_keys(t) loop
          bk := b -> k; ok := o -> k; tk := t -> k;
          if ok is not distinct from tk or tk is not distinct from bk then
            if ok is not null then merged := merged || jsonb_build_object(k, ok); end if;
          elsif ok is not distinct from bk then
            if tk is not null then merged := merged || jsonb_build_object(k, tk); end if;
          else
            clash := true; return;
          end if;
        end loop;
      end $strata_mo$;
      create or replace function strata.merge_images(base jsonb, ours jsonb, theirs jsonb, json_columns text[],
        derived_columns text[], out merged jsonb, out kind text, out fields text[])
      language plpgsql immutable as $strata_mi$
      declare c text; b jsonb; o jsonb; t jsonb; sub record;
      begin
        fields := '{}';
        if ours is not distinct from theirs or theirs is not distinct from base then merged := ours; return; end if;
        if ours is not distinct from base then merged := theirs; return; end if;
        merged := ours;
        if ours is not null and theirs is not null and base is null then
          -- inserted on both: an image recorded before its table gained a column does not name it, and leaves
          -- it to the other side; the columns both name and differ in are the conflict
          merged := theirs || ours;
          fields := array(select k from (select jsonb_object_keys(ours) k) ks where theirs ? k
                          and (ours -> k) is distinct from (theirs -> k) and k <> all(derived_columns) order by k);
          if cardinality(fields) > 0 then kind := 'add_add'; merged := ours; end if;
          return;
        end if;
        if ours is null or theirs is null or base is null then
          kind := case when ours is null then 'modify_delete' when theirs is null then 'delete_modify' else 'add_add' end;
          fields := array(select k from (select jsonb_object_keys(coalesce(ours, theirs, base)) k) ks
                          where (ours -> k) is distinct from (theirs -> k) and k <> all(derived_columns) order by k);
          return;
        end if;
        -- an image recorded before its table gained a column does not name it: that side left it alone
        for c in select jsonb_object_keys(ours) union select jsonb_object_keys(theirs) loop
          b := base -> c; o := ours -> c; t := theirs -> c;
          if c = any(derived_columns) or not theirs ? c then
            continue; -- computed from the others when the row is written; or theirs left it as ours has it
          elsif not ours ? c then
            merged := merged || jsonb_build_object(c, t); -- ours left it: theirs'
          elsif o is not distinct from t or t is not distinct from b then
            continue;
          elsif o is not distinct from b then
            merged := jsonb_set(merged, array[c], t);
          elsif c = any(json_columns) and jsonb_typeof(b) = 'object' and jsonb_typeof(o) = 'object'
              and jsonb_typeof(t) = 'object' then
            sub := strata.merge_object(b, o, t);
            if sub.clash then fields := fields || c; else merged := jsonb_set(merged, array[c], sub.merged); end if;
          else
            fields := fields || c;
          end if;
        end loop;
        if cardinality(fields) > 0 then kind := 'modify_modify'; end if;
      end $strata_mi$;
      -- the defaults of rel's columns that image (a JSON row) does not name, as a JSON object: what a row
      -- inserted from an image recorded before those columns existed takes for them (none: no default)
      create or replace function strata.column_defaults(rel regclass, image jsonb) returns jsonb
      language plpgsql volatile set search_path = pg_catalog, pg_temp as $strata_cd$
      declare q text; r jsonb;
      begin
        select string_agg(format('%s as %I', pg_get_expr(d.adbin, d.adrelid), a.attname), ', ') into q
          from pg_attribute a join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         where a.attrelid = rel and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
           and not image ? a.attname::text;
        if q is null then return '{}'::jsonb; end if;
        execute 'select to_jsonb(x) from (select ' || q || ') x' into r;
        return r;
      end $strata_cd$""";

  static final String RECORD = "insert into strata.layout (version) values ($1)";

  /** The tables tracked in this database: tid, schema and table. */
  static final String TRACKED = "select tid, schema_name, table_name from strata.tracked_tables order by tid";

  /**
   * The layout a tracked table was given when it was tracked, as its working log keeps it ($1: the
   * working log; $2: the table): the columns in order, whether each may be NULL in the table, and the
   * position of each key column in the primary key (null: not a key column).
   */
  static final String TRACKED_LAYOUT = """
      select a.attname, format_type(a.atttypid, a.atttypmod), not coalesce(t.attnotnull, false),
             array_position(i.indkey::int2[], a.attnum)
      from pg_attribute a
      join pg_index i on i.indrelid = a.attrelid and i.indisprimary
      left join pg_attribute t on t.attrelid = $2::regclass and t.attname = a.attname and not t.attisdropped
      where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped and a.attname !~ '^__'
      order by a.attnum""";
}
