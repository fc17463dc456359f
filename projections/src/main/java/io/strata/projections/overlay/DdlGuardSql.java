package io.strata.projections.overlay;

/**
 * The DDL guard of a database Strata writes into (layout 8): event triggers that look at every DDL
 * command on a tracked table in the command's own transaction. What the overlay model follows (indexes,
 * constraints that keep the key, defaults, NOT NULL on other columns, comments, grants) goes through and
 * is filed in {@code strata.ddl_followed}, where the server finds it and records the table's new shape
 * as an event: the row commits with the DDL or not at all, so nothing is missed. What it does not follow
 * yet (a column added, dropped, renamed or retyped; the key changed; the table renamed, moved or dropped;
 * Strata's capture triggers dropped or disabled) is refused with an error naming the command, the table
 * and why, and PostgreSQL rolls the statement back: never a broken view.
 *
 * <p>{@code SET strata.ddl_check = off} lets a session's DDL through unlooked-at when the session's login
 * role is Strata's own (or a member of it, a superuser among them): Strata's own DDL, and an
 * administrator's who means it (commands on the table then answer 422 until the change is recorded or
 * undone; the table's schema endpoint gives the statements). Any other role's setting is ignored. Event triggers need a superuser to create: in a database where
 * Strata's role is not one, the guard is not installed and drift is found after the fact as before.
 */
final class DdlGuardSql {
  private DdlGuardSql() {}

  /**
   * Lets the transaction's DDL on branches' views through (not that on tracked tables): Strata making them again
   * around a column's new type, which the guard is to look at; {@link #BRANCH_VIEWS_DONE} after.
   */
  static final String BRANCH_VIEWS_REMADE = "SET LOCAL strata.branch_views = 'remade'";

  static final String BRANCH_VIEWS_DONE = "SET LOCAL strata.branch_views = ''";

  /** The channel the guard notifies when it filed a followed command (at the DDL's commit). */
  static final String CHANNEL = "strata_ddl";

  /** Lets the DDL of the transaction through unlooked-at: Strata's own tracking and untracking. */
  static final String UNCHECKED = "SET LOCAL strata.ddl_check = 'off'";

  /**
   * The followed commands of repository $1's tables (every repository's when null), oldest first: id,
   * repository, Strata's table name, schema, table, command, object, actor, time.
   */
  static final String FOLLOWED = """
      select d.id, r.repository, r.name, r.schema_name, r.table_name, d.command, d.object, d.actor, d.at
      from strata.ddl_followed d join strata.tracked_tables r on r.tid = d.tid
      where $1::text is null or r.repository = $1 order by d.id limit 1000""";

  static final String FORGET = "delete from strata.ddl_followed where id = any($1)";

  /**
   * The commands filed for table $1 (tid), as it is untracked: the same table tracked again has the same
   * tid, and must not inherit them.
   */
  static final String FORGET_TABLE = "delete from strata.ddl_followed where tid = $1";

  /** Commands filed for tables no longer tracked: nobody will record them. */
  static final String FORGET_UNTRACKED = """
      delete from strata.ddl_followed d where not exists (select 1 from strata.tracked_tables r where r.tid = d.tid)""";

  static final String INSTALL = """
      create table if not exists strata.ddl_followed (
        id bigserial primary key, tid text not null, command text not null, object text not null,
        actor text not null, at timestamptz not null default now());

      -- a relation's columns as 'name type' in order, the working log's own three (__present, __staged,
      -- __changed_at) left out: a table's column whose name starts with two underscores is compared too
      create or replace function strata.ddl_columns(rel oid) returns text[]
      language sql stable set search_path = pg_catalog, pg_temp as $c$
        select coalesce(array_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)) order by a.attnum),
                        '{}')
        from pg_attribute a where a.attrelid = rel and a.attnum > 0 and not a.attisdropped
          and a.attname not in ('__present', '__staged', '__changed_at')
      $c$;

      -- files a DDL command on tracked table tid, named by its tag and the object it touched (never the
      -- statement's text: a script may hold other commands, a password among them)
      create or replace function strata.ddl_file(tid text, command text, object text) returns void
      language plpgsql volatile set search_path = pg_catalog, pg_temp as $f$
      begin
        insert into strata.ddl_followed (tid, command, object, actor)
          values (ddl_file.tid, ddl_file.command, left(ddl_file.object, 1000), session_user);
        -- branches stop holding the table's own unique constraints the change dropped (or made otherwise)
        perform strata.unique_unhold_gone(ddl_file.tid);
      end
      $f$;

      -- whether key still identifies rel's rows: NOT NULL columns covered exactly by a valid unique index
      create or replace function strata.ddl_key_holds(rel oid, key text[]) returns boolean
      language sql stable set search_path = pg_catalog, pg_temp as $k$
        select cardinality(key) > 0
          and not exists (select 1 from pg_attribute a
                          where a.attrelid = rel and a.attname = any(key) and not a.attisdropped and not a.attnotnull)
          and exists (select 1 from pg_index i
                      where i.indrelid = rel and i.indisunique and i.indisvalid and i.indpred is null
                        and i.indexprs is null and i.indnkeyatts = cardinality(key)
                        and (select array_agg(a.attname::text order by a.attname)
                             from unnest(i.indkey::int2[]) with ordinality k(attnum, pos)
                             join pg_attribute a on a.attrelid = rel and a.attnum = k.attnum
                             where k.pos <= i.indnkeyatts)
                          = (select array_agg(c order by c) from unnest(key) c))
      $k$;

      -- the branch whose view rel is: its repository, table, branch and registered place. Known by its registered
      -- name, or (renamed, moved) by a trigger on it running the branch's write function, whatever the trigger's
      -- name: one command cannot both rename the view and change its triggers
      create or replace function strata.ddl_branch_view(rel oid)
      returns table (repository text, name text, branch text, view_schema text, view_name text)
      language sql stable set search_path = pg_catalog, pg_temp as $v$
        select r.repository, r.name, o.branch, o.view_schema, o.view_name
        from strata.branch_overlays o join strata.tracked_tables r on r.tid = o.tid
        where to_regclass(format('%I.%I', o.view_schema, o.view_name)) = rel
           or exists (select 1 from pg_trigger g join pg_proc p on p.oid = g.tgfoid
                      where g.tgrelid = rel and p.pronamespace = 'strata'::regnamespace
                        and p.proname = o.tid || '__view_' || o.bid)
        limit 1
      $v$;

      -- refuses DDL command tag on the view of branch bv (strata.ddl_branch_view): a branch's shape is changed by
      -- Strata's schema operations on the branch, which make its view, write function and registration together;
      -- DDL on the view alone would leave the others behind it (a column renamed there fails every write after)
      create or replace function strata.ddl_refuse_on_branch_view(tag text, bv record) returns void
      language plpgsql stable set search_path = pg_catalog, pg_temp as $r$
      begin
        raise exception 'Strata: % on %.% changes the view of branch "%" of table "%" (repository "%"), whose shape'
          ' only Strata''s schema operations on the branch change', tag, quote_ident(bv.view_schema),
          quote_ident(bv.view_name), bv.branch, bv.name, bv.repository
          using errcode = 'feature_not_supported', detail = 'statement: ' || left(current_query(), 1000),
            hint = format('POST /api/v1/repositories/%s/branches/%s/tables/%s/schema with {"statements": ["ALTER'
              ' TABLE …"]} (the same DDL, read into operations) or {"operations": [...]} (add_column, drop_column,'
              ' alter_column, rename_column, add_constraint, drop_constraint, add_index, drop_index); DELETE the'
              ' branch to drop its view', bv.repository, replace(bv.branch, '/', '%2F'), bv.name);
      end
      $r$;

      -- security definer: it runs as Strata's user, whoever runs the DDL (a table's owner need not read
      -- Strata's registry or write its log); the search path is pinned so no one else's objects stand in
      -- who may turn the check off: Strata's own role (the owner of its schema) and its members, superusers
      -- among them; the session's login role is asked (security definer functions run as Strata's user)
      create or replace function strata.may_skip_ddl_check() returns boolean language sql stable
      set search_path = pg_catalog, pg_temp as $m$
        select pg_has_role(session_user, (select nspowner from pg_namespace where nspname = 'strata'), 'member')
      $m$;
      -- whether this transaction's Strata makes branches' views again (around a new type of a column of the table,
      -- the table's own DDL guarded meanwhile): only Strata's own role may say so
      create or replace function strata.branch_views_remade() returns boolean language sql stable
      set search_path = pg_catalog, pg_temp as $w$
        select coalesce(current_setting('strata.branch_views', true), '') = 'remade' and strata.may_skip_ddl_check()
      $w$;
      create or replace function strata.ddl_guard_end() returns event_trigger language plpgsql security definer
      set search_path = pg_catalog, pg_temp as $g$
      declare
        cmd record; t record; rel oid; wlog regclass; place record; now_cols text[]; kept_cols text[];
        key text[]; added text[]; gone text[]; problem text; filed boolean := false; bv record;
      begin
        if current_setting('strata.ddl_check', true) = 'off' and strata.may_skip_ddl_check() then return; end if;
        for cmd in select * from pg_event_trigger_ddl_commands() loop
          rel := case cmd.classid
            when 'pg_class'::regclass then coalesce((select indrelid from pg_index where indexrelid = cmd.objid), cmd.objid)
            when 'pg_trigger'::regclass then (select tgrelid from pg_trigger where oid = cmd.objid)
            when 'pg_constraint'::regclass then (select nullif(conrelid, 0) from pg_constraint where oid = cmd.objid)
            when 'pg_rewrite'::regclass then (select ev_class from pg_rewrite where oid = cmd.objid)
            when 'pg_attrdef'::regclass then (select adrelid from pg_attrdef where oid = cmd.objid)
            when 'pg_policy'::regclass then (select polrelid from pg_policy where oid = cmd.objid)
            when 'pg_statistic_ext'::regclass then (select stxrelid from pg_statistic_ext where oid = cmd.objid)
          end;
          -- a schema renamed under a tracked table: its registered place no longer names it
          if cmd.classid = 'pg_namespace'::regclass then
            -- or a branch's view: the schema it is registered in no longer has that name
            select b.* into bv from pg_class c cross join lateral strata.ddl_branch_view(c.oid) b
            where c.relnamespace = cmd.objid and c.relkind = 'v'
              and b.view_schema <> (select nspname from pg_namespace where oid = cmd.objid)
            limit 1;
            if found then
              perform strata.ddl_refuse_on_branch_view(cmd.command_tag, bv);
            end if;
            select r.tid, r.repository, r.name, r.schema_name, r.table_name into t from strata.tracked_tables r
            join pg_trigger g on g.tgname = 'strata_' || r.tid || '_ins' join pg_class c on c.oid = g.tgrelid
            join pg_namespace n on n.oid = c.relnamespace
            where c.relnamespace = cmd.objid and n.nspname <> r.schema_name limit 1;
            if found then
              raise exception 'Strata: % % moves %.% (table "%" of repository "%") to schema %, which Strata does not'
                ' follow yet', cmd.command_tag, cmd.object_identity, quote_ident(t.schema_name), quote_ident(t.table_name),
                t.name, t.repository, cmd.object_identity
                using errcode = 'feature_not_supported', detail = 'statement: ' || left(current_query(), 1000),
                  hint = 'untrack the table first';
            end if;
          end if;
          continue when rel is null;
          select n.nspname::text as schema_name, c.relname::text as table_name, c.relkind into place
          from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = rel;
          -- a branch's view: changed by Strata's own DDL only (comments and grants on it aside)
          if found and place.relkind = 'v' then
            if cmd.command_tag not in ('COMMENT', 'SECURITY LABEL', 'GRANT', 'REVOKE') and not strata.branch_views_remade()
            then
              select * into bv from strata.ddl_branch_view(rel);
              if found then
                perform strata.ddl_refuse_on_branch_view(cmd.command_tag, bv);
              end if;
            end if;
            continue;
          end if;
          -- only tables are tracked; Strata's own objects (schema strata) are none of them
          continue when not found or place.relkind not in ('r', 'p') or place.schema_name = 'strata';
          -- a table that inherits from a tracked one, or is its partition: rows written into it are the
          -- tracked table's, and its capture never sees them
          select r.tid, r.repository, r.name, r.schema_name, r.table_name into t from pg_inherits i
          join strata.tracked_tables r on to_regclass(format('%I.%I', r.schema_name, r.table_name)) = i.inhparent
          where i.inhrelid = rel limit 1;
          if found then
            raise exception 'Strata: % on %.% makes it a child of %.% (table "%" of repository "%"), whose capture would'
              ' not see its rows, which Strata does not follow yet', cmd.command_tag, quote_ident(place.schema_name),
              quote_ident(place.table_name), quote_ident(t.schema_name), quote_ident(t.table_name), t.name, t.repository
              using errcode = 'feature_not_supported', detail = 'statement: ' || left(current_query(), 1000),
                hint = 'untrack the table first';
          end if;
          -- the tracked table by its registered name, or (renamed, moved) by the capture trigger Strata put on it
          for t in select r.tid, r.repository, r.name, r.schema_name, r.table_name from strata.tracked_tables r
                   where (r.schema_name = place.schema_name and r.table_name = place.table_name)
                      or r.tid = (select substring(g.tgname from '^strata_(.*)_ins$') from pg_trigger g
                                  where g.tgrelid = rel and g.tgname like 'strata\\_%\\_ins' limit 1)
          loop
            wlog := to_regclass(format('strata.%I', t.tid || '__w_0'));
            continue when wlog is null;
            problem := null;
            if place.schema_name <> t.schema_name or place.table_name <> t.table_name then
              problem := format('renames or moves it (to %I.%I)', place.schema_name, place.table_name);
            end if;
            now_cols := strata.ddl_columns(rel);
            kept_cols := strata.ddl_columns(wlog);
            if problem is null and now_cols is distinct from kept_cols then
              added := array(select c from unnest(now_cols) c where c <> all(kept_cols));
              gone := array(select c from unnest(kept_cols) c where c <> all(now_cols));
              -- columns added after the others (none of Strata's own names: those start with two
              -- underscores) are followed: the logs and the capture take them in this transaction
              -- (strata.follow_columns), so no write after it is captured without them, and each branch
              -- reading the table keeps the columns it had (a row type of its own)
              if cardinality(gone) = 0 and now_cols[1:cardinality(kept_cols)] = kept_cols
                 and not exists (select 1 from unnest(added) c where c like '\\_\\_%') then
                perform strata.follow_columns(t.tid, true);
              else
                problem := 'changes its columns'
                  || case when cardinality(added) > 0 then format(' (new: %s)', array_to_string(added, ', ')) else '' end
                  || case when cardinality(gone) > 0 then format(' (gone: %s)', array_to_string(gone, ', ')) else '' end;
              end if;
            end if;
            key := (select array_agg(a.attname::text order by k.pos)
                    from pg_index i cross join unnest(i.indkey::int2[]) with ordinality k(attnum, pos)
                    join pg_attribute a on a.attrelid = wlog and a.attnum = k.attnum
                    where i.indrelid = wlog and i.indisprimary);
            if problem is null and not strata.ddl_key_holds(rel, key) then
              problem := format('leaves its key (%s) without a valid unique index over exactly those NOT NULL columns',
                                array_to_string(key, ', '));
            end if;
            -- the capture's four statement triggers there and enabled, and none of Strata's disabled (the
            -- row trigger that notes a key moved by an UPDATE included)
            if problem is null and ((select count(*) from pg_trigger g where g.tgrelid = rel and g.tgenabled in ('O', 'A')
                  and g.tgname = any(array['strata_' || t.tid || '_ins', 'strata_' || t.tid || '_upd',
                                           'strata_' || t.tid || '_del', 'strata_' || t.tid || '_truncate'])) <> 4
                or exists (select 1 from pg_trigger g where g.tgrelid = rel and g.tgenabled not in ('O', 'A')
                           and g.tgname like 'strata\\_%')) then
              problem := 'disables Strata''s capture of its writes';
            end if;
            if problem is not null then
              raise exception 'Strata: % on %.% (table "%" of repository "%") %, which Strata does not follow yet',
                cmd.command_tag, quote_ident(t.schema_name), quote_ident(t.table_name), t.name, t.repository, problem
                using errcode = 'feature_not_supported',
                  detail = 'statement: ' || left(current_query(), 1000),
                  hint = 'untrack the table first, or (as Strata''s own role) SET strata.ddl_check = off to make the change'
                    || ' anyway (Strata then refuses to work on the table until it is recorded or undone)';
            end if;
            -- Strata's own trigger (re)created with its capture is nothing to record
            continue when cmd.classid = 'pg_trigger'::regclass
              and (select tgname from pg_trigger where oid = cmd.objid) like 'strata\\_%';
            perform strata.ddl_file(t.tid, cmd.command_tag, coalesce(cmd.object_identity, cmd.command_tag));
            filed := true;
          end loop;
        end loop;
        if filed then perform pg_notify({channel}, ''); end if;
      end $g$;

      -- what a drop takes from a tracked table: the table, a column (a dropped type or domain cascading to
      -- it), Strata's capture triggers: refused; an index, a constraint, a policy or a rule: its key must
      -- still hold, and the drop is filed. The table of a dropped index is no longer in the catalog, but
      -- dropping it locked that table (AccessExclusive, ShareUpdateExclusive when concurrently) in this
      -- transaction: the tracked tables of the index's schema this transaction holds so are looked at,
      -- and one whose shape did not change records nothing
      create or replace function strata.ddl_guard_drop() returns event_trigger language plpgsql security definer
      set search_path = pg_catalog, pg_temp as $d$
      declare obj record; t record; what text; key text[]; wlog regclass; filed boolean := false; locked oid[];
        bv record;
      begin
        if current_setting('strata.ddl_check', true) = 'off' and strata.may_skip_ddl_check() then return; end if;
        if exists (select 1 from pg_event_trigger_dropped_objects() where object_type = 'index') then
          locked := array(select l.relation from pg_locks l
                          where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.granted
                            and l.mode in ('AccessExclusiveLock', 'ShareUpdateExclusiveLock'));
        end if;
        for obj in select * from pg_event_trigger_dropped_objects()
                   where object_type in ('table', 'table column', 'trigger', 'index', 'table constraint', 'policy', 'rule')
                     and address_names[1] <> 'strata' loop
          for t in select r.tid, r.repository, r.name, r.schema_name, r.table_name from strata.tracked_tables r
                   where r.schema_name = obj.address_names[1]
                     and (obj.object_type = 'index'
                          and to_regclass(format('%I.%I', r.schema_name, r.table_name)) = any(locked)
                          or r.table_name = obj.address_names[2]) loop
            what := case
              when obj.object_type = 'table' then 'the table'
              when obj.object_type = 'table column' then format('its column %I', obj.address_names[3])
              when obj.object_type = 'trigger' and obj.address_names[3] like 'strata\\_%'
                then format('its capture trigger %I', obj.address_names[3])
            end;
            if what is not null then
              raise exception 'Strata: % on %.% (table "%" of repository "%") drops %, which Strata versions', tg_tag,
                quote_ident(t.schema_name), quote_ident(t.table_name), t.name, t.repository, what
                using errcode = 'feature_not_supported',
                  detail = 'statement: ' || left(current_query(), 1000),
                  hint = 'untrack the table first';
            end if;
            wlog := to_regclass(format('strata.%I', t.tid || '__w_0'));
            continue when wlog is null or to_regclass(format('%I.%I', t.schema_name, t.table_name)) is null;
            key := (select array_agg(a.attname::text order by k.pos)
                    from pg_index i cross join unnest(i.indkey::int2[]) with ordinality k(attnum, pos)
                    join pg_attribute a on a.attrelid = wlog and a.attnum = k.attnum
                    where i.indrelid = wlog and i.indisprimary);
            if not strata.ddl_key_holds(to_regclass(format('%I.%I', t.schema_name, t.table_name)), key) then
              raise exception 'Strata: % on %.% (table "%" of repository "%") leaves its key (%) without a valid unique'
                ' index over exactly those NOT NULL columns, which Strata does not follow yet', tg_tag,
                quote_ident(t.schema_name), quote_ident(t.table_name), t.name, t.repository, array_to_string(key, ', ')
                using errcode = 'feature_not_supported',
                  detail = 'statement: ' || left(current_query(), 1000),
                  hint = 'untrack the table first';
            end if;
            perform strata.ddl_file(t.tid, tg_tag, obj.object_identity);
            filed := true;
          end loop;
        end loop;
        -- a branch's view, its write trigger, its rule or a column's default (a function or sequence it calls dropped
        -- with CASCADE): the branch goes through Strata (DELETE), not DDL (but
        -- for the views Strata makes again around a column's new type, strata.branch_views_remade)
        for obj in select * from pg_event_trigger_dropped_objects() where object_type in ('view', 'trigger', 'rule', 'default value')
                     and not strata.branch_views_remade() loop
          select r.repository, r.name, o.branch, o.view_schema, o.view_name into bv
          from strata.branch_overlays o join strata.tracked_tables r on r.tid = o.tid
          where o.view_schema = obj.address_names[1] and o.view_name = obj.address_names[2] limit 1;
          if found then
            perform strata.ddl_refuse_on_branch_view(tg_tag, bv);
          end if;
        end loop;
        if filed then perform pg_notify({channel}, ''); end if;
      end $d$;

      do $e$ begin
        if (select rolsuper from pg_roles where rolname = current_user) then
          if not exists (select 1 from pg_event_trigger where evtname = 'strata_ddl_guard_end') then
            create event trigger strata_ddl_guard_end on ddl_command_end execute function strata.ddl_guard_end();
          end if;
          if not exists (select 1 from pg_event_trigger where evtname = 'strata_ddl_guard_drop') then
            create event trigger strata_ddl_guard_drop on sql_drop execute function strata.ddl_guard_drop();
          end if;
        else
          raise notice 'Strata''s role is not a superuser here: DDL on tracked tables is not guarded';
        end if;
      end $e$"""
      .replace("{channel}", "'" + CHANNEL + "'");

  /** Whether table $1.$2's key $3 still identifies its rows (false when the table is gone). */
  static final String KEY_HOLDS =
      "select coalesce(strata.ddl_key_holds(to_regclass(format('%I.%I', $1::text, $2::text)), $3::text[]), false)";

  /** Whether the guard's event triggers are installed (and enabled) in this database. */
  static final String INSTALLED = """
      select count(*) = 2 from pg_event_trigger
      where evtname in ('strata_ddl_guard_end', 'strata_ddl_guard_drop') and evtenabled <> 'D'""";
}
