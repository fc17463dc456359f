package io.strata.projections.overlay;

/**
 * The objects every database Strata writes into has for branches' unique rules ({@link BranchUniquesSql}), made with
 * its layout ({@link StrataLayout}): the rules' registry and the overlays' guard rows, the turn each overlay's writers
 * take at their checks, and the deferred check itself.
 */
final class BranchUniquesLayoutSql {
  private BranchUniquesLayoutSql() {}

  /**
   * The objects every database Strata writes into has for branch unique rules (layout 17): per overlay holding any, its
   * guard row; per rule, its check; and the deferred check run for each overlay a transaction wrote. Nothing in them is
   * a client's to write: the check runs only functions named by Strata's registry, as {@code regprocedure}.
   */
  static final String INSTALL = """
      create table if not exists strata.unique_guards (overlay text primary key, n bigint not null default 0);
      create table if not exists strata.unique_rules (
        overlay text not null, rule text not null, check_function regprocedure not null, primary key (overlay, rule));
      -- (layout 18) a rule a merge in progress carried: its rows that share values are the merge's conflicts
      alter table strata.unique_rules add column if not exists pending boolean not null default false;
      -- (layout 19) a rule that is the table's own unique constraint (held on the branch from its creation), and the
      -- columns every rule holds unique (stored names, in order)
      alter table strata.unique_rules add column if not exists own boolean not null default false,
        add column if not exists columns text[] not null default '{}',
        add column if not exists tid text not null default '';
      -- (layout 23) the table's own unique constraints a branch was to hold and could not (its writers held its objects
      -- past the lock timeout, a look at its rows past its limit): tried again by the server's rounds, each time later
      create table if not exists strata.unique_holds_owed (
        tid text not null, branch text not null, attempts integer not null default 1,
        next_at timestamptz not null default now() + interval '10 seconds', primary key (tid, branch));
      revoke all on strata.unique_guards, strata.unique_rules, strata.unique_holds_owed from public;
      -- the turn of overlay p_overlay's checks: waited for at most the lock timeout (only this wait: the checks
      -- themselves wait as any statement does); false when the overlay holds no rule (its guard row is not there)
      create or replace function strata.unique_turn(p_overlay text) returns boolean language plpgsql
        set search_path = pg_catalog, pg_temp set lock_timeout = '5s' as $strata_u$
      begin
        update strata.unique_guards set n = n + 1 where overlay = p_overlay;
        return found;
      exception when lock_not_available then
        raise exception 'could not serialize access: another transaction writing the branch held its turn'
          using errcode = '40001';
      end $strata_u$;
      revoke all on function strata.unique_turn(text) from public;
      -- (layout 19) the table's own unique constraints branches of table p_tid hold that the table no longer has as
      -- they were (DDL dropped one, or made it again on other columns): no longer held, by the DDL's transaction
      -- (strata.ddl_file); their check functions and overlay indexes go with the branch
      create or replace function strata.unique_unhold_gone(p_tid text) returns void language plpgsql
        set search_path = pg_catalog, pg_temp as $strata_u$
      declare rel regclass;
      begin
        if not exists (select 1 from strata.unique_rules where own and tid = p_tid) then
          return;
        end if;
        select to_regclass(format('%I.%I', t.schema_name, t.table_name)) into rel
          from strata.tracked_tables t where t.tid = p_tid;
        delete from strata.unique_rules r
         where r.own and r.tid = p_tid
           and not exists (select 1 from pg_constraint k
                            where k.conrelid = rel and k.contype = 'u' and not k.condeferrable
                              and r.rule = 'table:' || k.conname
                              and array(select a.attname::text from unnest(k.conkey) with ordinality n(attnum, pos)
                                          join pg_attribute a on a.attrelid = k.conrelid and a.attnum = n.attnum
                                         order by n.pos) = r.columns);
      end $strata_u$;
      revoke all on function strata.unique_unhold_gone(text) from public;
      -- (layout 23) what a hold of the table's own unique constraints on a branch may fail at, answered rather than
      -- raised: a failure its client saw would leave the caller's transaction failed for the client's driver (Vert.x
      -- rolls it back at its commit), savepoint or not. The locks against writers of the relations p_relations, each
      -- waited for at most p_timeout: false past it, none of them taken and the lock timeout as it was
      create or replace function strata.lock_against_writers_within(p_relations regclass[], p_timeout text)
        returns boolean language plpgsql set search_path = pg_catalog, pg_temp as $strata_u$
      declare rel regclass; before text := current_setting('lock_timeout');
      begin
        perform set_config('lock_timeout', p_timeout, true);
        foreach rel in array p_relations loop
          execute format('lock table %s in share row exclusive mode', rel);
        end loop;
        perform set_config('lock_timeout', before, true);
        return true;
      exception when lock_not_available then
        return false;
      end $strata_u$;
      revoke all on function strata.lock_against_writers_within(regclass[], text) from public;
      -- (layout 23) the boolean Strata's query p_query answers, or null when it ran past the statement timeout (or was
      -- cancelled): a look at a branch's rows given up, not a failure of the caller's transaction
      create or replace function strata.exists_within(p_query text) returns boolean language plpgsql as $strata_u$
      declare answer boolean;
      begin
        execute p_query into answer;
        return answer;
      exception when query_canceled then
        return null;
      end $strata_u$;
      revoke all on function strata.exists_within(text) from public;
      create or replace function strata.unique_check() returns trigger language plpgsql security definer
        set search_path = pg_catalog, pg_temp as $strata_u$
      declare f regprocedure;
      begin
        delete from pg_temp.strata_unique_pending where overlay = new.overlay;
        -- Strata's own recovery puts rows back as they were, whatever was written since
        -- (the setting unset is '' here, not null: a null would have the role asked at every commit, ~0.1 ms)
        if coalesce(current_setting('strata.unique_check', true), '') = 'off' and strata.may_skip_ddl_check() then
          execute format('delete from %s', new.touched::regclass); -- (not left for the session's next transaction)
          return null;
        end if;
        -- the checks of one overlay's writers take turns; a REPEATABLE READ snapshot older than the last one's commit
        -- (or than the rules) fails here (40001) rather than miss the rows it wrote; a client holding the turn makes
        -- others wait at most the lock timeout (then 40001 too: to retry)
        if not strata.unique_turn(new.overlay) then
          execute format('delete from %s', new.touched::regclass);
          if to_regprocedure(new.recorder) is not null then
            raise exception 'could not serialize access: the unique constraints of a branch changed since this'
              ' transaction began' using errcode = '40001';
          end if;
          return null; -- its last rule was dropped in this transaction
        end if;
        for f in select check_function from strata.unique_rules where overlay = new.overlay order by rule loop
          execute format('select %s', f); -- (a regprocedure prints with its argument list)
        end loop;
        -- emptied for the next transaction; after a large batch, truncated (the next check plans again)
        execute format(case when pg_relation_size(new.touched::regclass) > 131072 then 'truncate %s' else 'delete from %s'
          end, new.touched::regclass);
        return null;
      end $strata_u$;
      revoke all on function strata.unique_check() from public""";

  /** {@code SET LOCAL} for Strata's own recovery: the rows it puts back are not refused by branch unique rules. */
  static final String UNCHECKED = "set local strata.unique_check = 'off'";
}
