package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.CommitIds;
import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The statements that hold the rows a branch reads unique on some columns (a rule of kind {@link #KIND}, {@code
 * UNIQUE (a, b)} as {@code pg_get_constraintdef} prints it), once per transaction, at its end.
 *
 * <p>Why at the end: Strata writes a set of rows in several statements (updates, inserts, tombstones; a discard
 * deletes overlay rows and brings the table's back), passing through states that only the last statement makes
 * whole. So statement-level triggers on the overlay only note the keys each statement touched (in a temporary table
 * of the session, {@link #touched}) and mark the overlay pending; a deferred constraint trigger on the session's
 * temporary table of pending overlays (never altered, so DDL on the overlay later in the same transaction is not
 * held up by pending trigger events) runs each rule's check at commit, or when the transaction sets constraints
 * immediate. (A transaction that wrote such a branch cannot be PREPAREd for two-phase commit: it used temporary
 * tables.)
 *
 * <p>Why it is exact under concurrency: the branch's base never moves (rows the default branch changes after the
 * fork are read from the pre-image log), so two rows can only come to share values through writes of the branch.
 * Each check first updates the overlay's row of {@code strata.unique_guards}: the checks of one overlay's writers
 * take turns, and at READ COMMITTED each looks with a snapshot taken after the one before it committed; a REPEATABLE
 * READ transaction whose snapshot is older than such a commit fails to update the row (40001, to retry) rather than
 * look at rows that are no longer there. No lock is taken per row or per value.
 *
 * <p>The check reads the key columns and the rule's columns alone, by name (not the branch's whole state, whose
 * column list changes with the branch's shape): the rows of the touched keys as the branch reads them, then any other
 * row it reads with the same values — among its overlay's live rows (an index on the overlay), the table's rows it
 * still reads (the table's index the rule requires) and the first pre-images since its fork (an index on the
 * pre-image log, made with the first rule on those columns and kept with the log). The table is not touched.
 */
final class BranchUniquesSql {
  private BranchUniquesSql() {}

  /** The kind of a branch's unique rule. */
  static final String KIND = "unique";

  private static final String IDENTIFIER = "(?:[a-z_][a-z0-9_$]*|\"(?:[^\"]|\"\")+\")";

  /** A definition as PostgreSQL prints a branch's unique rule: column names only, nothing else. */
  private static final Pattern DEFINED = Pattern.compile("UNIQUE \\(" + IDENTIFIER + "(?:, " + IDENTIFIER + ")*\\)");

  private static final Pattern NAME = Pattern.compile(IDENTIFIER);

  /** The definition of {@code rule}, refused unless it is one {@link #DEFINED} describes. */
  static String requireDefinition(TableShape.Constraint rule) {
    if (!KIND.equals(rule.kind()) || !DEFINED.matcher(rule.definition()).matches()) {
      throw new IllegalArgumentException("not a branch's unique rule: " + rule);
    }
    return rule.definition();
  }

  /** Whether {@code definition} is one a branch can hold ({@code UNIQUE (a, b)}, column names only). */
  static boolean holdable(String definition) {
    return DEFINED.matcher(definition).matches();
  }

  /** The (stored) names of the columns {@code rule} holds unique, in order. */
  static List<String> columns(TableShape.Constraint rule) {
    String d = requireDefinition(rule);
    Matcher m = NAME.matcher(d.substring("UNIQUE (".length(), d.length() - 1));
    List<String> names = new ArrayList<>();
    while (m.find()) {
      String n = m.group();
      names.add(n.startsWith("\"") ? n.substring(1, n.length() - 1).replace("\"\"", "\"") : n);
    }
    return names;
  }

  /** The overlay's index that finds {@code b}'s written rows by the values of rule {@code name}: one per overlay. */
  static String overlayConstraint(OverlaySql b, String name) {
    // (a branch's rule is named as an identifier; the table's own constraint may be named anything: its characters
    // that are not an identifier's become underscores, the hash tells the names apart)
    String readable = name.substring(0, Math.min(name.length(), 40)).replaceAll("[^A-Za-z0-9_$]", "_");
    return (readable.matches("[A-Za-z_].*") ? readable : "_" + readable) + "__u_"
        + CommitIds.sha256Hex(b.overlay() + "\u0000" + name).substring(0, 16);
  }

  /**
   * Two keys (as text, in order) of rows {@code b} reads that share the values of {@code rule}'s columns, all of them
   * not null (an array of two; no row: none do).
   */
  static String duplicates(OverlaySql b, TableShape.Constraint rule) {
    List<String> columns = columns(rule);
    String cols = columns.stream().map(c -> "s." + Sql.quote(c)).collect(Collectors.joining(", "));
    return "select (array_agg(" + b.keyText("s") + " order by " + b.keyText("s") + "))[1:2] from " + b.state()
        + " s where " + columns.stream().map(c -> "s." + Sql.quote(c) + " is not null")
            .collect(Collectors.joining(" and ")) + " group by " + cols + " having count(*) > 1 limit 1";
  }

  /** The prefix of the functions of {@code b}'s unique rules (in schema strata): dropped with the branch. */
  private static String functionPrefix(OverlaySql b) {
    return b.tableId() + "__u_" + b.bid() + "_";
  }

  /** The function that checks {@code b}'s touched rows against rule {@code name}. */
  static String function(OverlaySql b, String name) {
    return functionPrefix(b) + CommitIds.sha256Hex(name).substring(0, 16);
  }

  /** The function of {@code b}'s statement triggers: notes the keys a statement touched. */
  private static String recorder(OverlaySql b) {
    return OverlaySql.SCHEMA + "." + Sql.quote(functionPrefix(b) + "touched");
  }

  /**
   * The table of the keys {@code b}'s writers touched in the current transaction: a temporary table of the session
   * without an index, emptied by the check (not {@code on commit delete rows}: truncating at every commit cost more
   * than deleting a few rows).
   */
  static String touched(OverlaySql b) {
    return "pg_temp." + Sql.quote("strata_uk_" + CommitIds.sha256Hex(b.overlay()).substring(0, 24));
  }

  /** The pre-image log's index on {@code columns}: found by value among the rows the branch reads from there. */
  private static String preimageIndex(OverlaySql b, List<String> columns) {
    return b.tableId() + "__pu_" + CommitIds.sha256Hex(String.join("\u0000", columns)).substring(0, 16);
  }

  /**
   * Makes the session's temporary table {@code temp} with {@code definition} where it has none; one another role
   * made (in the session of a client who could then run code as Strata's role through it) is refused.
   */
  private static String temporary(String temp, String definition) {
    return fill("""
        if to_regclass({temp_literal}) is null then
              {definition}
            elsif (select c.relowner from pg_class c where c.oid = to_regclass({temp_literal}))
                  <> (select r.oid from pg_roles r where r.rolname = current_user) then
              raise exception 'temporary table % of another role is in the way of a unique constraint of a branch',
                {temp_literal} using errcode = '42501';
            end if;""", "temp_literal", OverlaySql.literal(temp), "definition", definition);
  }

  /**
   * The session's pending checks: one row per overlay written in the transaction (with the table of its touched keys
   * and its recorder), checked when it ends, then deleted (a write after a check the transaction asked for early
   * marks it again). No index, and not {@code on commit delete rows}: a truncation at every commit, with an index
   * rebuilt, cost a millisecond; the recorder truncates it when it has grown and holds nothing.
   */
  private static final String PENDING = "pg_temp.strata_unique_pending";

  /** Makes the session's table of the keys touched on {@code b}'s overlay where it has none (PL/pgSQL). */
  private static String makeTouched(OverlaySql b) {
    return temporary(touched(b), "create temporary table " + touched(b).substring("pg_temp.".length())
        + " as select " + b.keyList(null) + " from " + b.overlay() + " with no data;");
  }

  /** Makes the session's table of pending checks, with the deferred check, where it has none (PL/pgSQL). */
  private static String makePending() {
    return temporary(PENDING, "create temporary table strata_unique_pending (overlay text not null,"
        + " touched text not null, recorder text not null); create constraint trigger strata_unique_check after"
        + " insert on " + PENDING + " deferrable initially deferred for each row execute function"
        + " strata.unique_check();");
  }

  /**
   * Has the check at the end of the calling transaction look at the rows of the keys {@code keys} yields (a query of
   * the key's columns, by name) as if the transaction had written them: by every rule {@code b}'s overlay holds. For
   * a merge's continue: the rows it wrote were taken out of the check while they were its conflicts.
   */
  static String recheck(OverlaySql b, String keys) {
    String body = fill("""
        begin
          {make_touched}
          {make_pending}
          insert into {touched} select {key} from ({keys}) k;
          if found and not exists (select 1 from {pending} where overlay = {overlay_literal}) then
            insert into {pending} (overlay, touched, recorder)
              values ({overlay_literal}, {touched_literal}, {recorder_literal});
          end if;
        end""",
        "make_touched", makeTouched(b), "make_pending", makePending(), "touched", touched(b),
        "key", b.keyList(null), "keys", keys, "pending", PENDING, "overlay_literal", OverlaySql.literal(b.overlay()),
        "touched_literal", OverlaySql.literal(touched(b)), "recorder_literal", OverlaySql.literal(recorder(b) + "()"));
    return "do " + dollarQuoted(body);
  }

  /** A dollar quote for {@code body} that does not occur in it (a column's name could hold any other). */
  private static String dollarQuoted(String body) {
    String tag = "$strata_" + CommitIds.sha256Hex(body).substring(0, 12) + "$";
    return tag + body + tag;
  }

  /**
   * Has {@code b}'s overlay hold the rows branch {@code branch} reads of table {@code schema.table} unique by {@code
   * rule}, from the end of the calling transaction on (see the class comment): its overlay's lookup index, its check,
   * and (with the overlay's first rule) the triggers that note what each statement touched. The pre-image log's index
   * comes after, {@link #indexPreimages}: it holds the default branch's writers while it is built.
   */
  static String hold(OverlaySql b, TableShape.Constraint rule, String branch, String schema, String table,
      boolean pending) {
    return hold(b, rule, branch, schema, table, pending, false);
  }

  /**
   * {@link #hold}, the rule registered as the table's own unique constraint ({@code own}) or one of the branch's: the
   * branch's shape does not list the table's (its commits record them with the table's shape), so merges into the
   * branch read them from the registry ({@link PgUniqueViolations}).
   */
  static String hold(OverlaySql b, TableShape.Constraint rule, String branch, String schema, String table,
      boolean pending, boolean own) {
    List<String> columns = columns(rule);
    String quoted = columns.stream().map(Sql::quote).collect(Collectors.joining(", "));
    // (the table's own constraint is registered under a key no branch's rule has: a rule of the branch's of the same
    // name is held beside it, never in its place)
    String key = own ? OwnUniquesSql.ownKey(rule.name()) : rule.name();
    String function = OverlaySql.SCHEMA + "." + Sql.quote(function(b, key));
    String overlayLiteral = OverlaySql.literal(b.overlay());
    String body = fill("""
        begin
          if TG_OP = 'UPDATE' then
            if not exists (select 1 from strata_new) then
              return null; -- an upsert that inserted only
            end if;
          end if;
          -- both temporary tables there and Strata's own (one look), else made or refused
          if (select count(*) from pg_class c
               where c.oid in (to_regclass({touched_literal}), to_regclass({pending_literal}))
                 and c.relowner = (select r.oid from pg_roles r where r.rolname = current_user)) <> 2 then
            {make_touched}
            {make_pending}
          end if;
          if TG_OP = 'INSERT' then
            insert into {touched} select {key} from strata_new;
          elsif TG_OP = 'UPDATE' then
            insert into {touched} select {key} from strata_new union all select {key} from strata_old;
          else
            insert into {touched} select {key} from strata_old;
          end if;
          if found and not exists (select 1 from {pending} where overlay = {overlay_literal}) then
            -- (nothing pending: no trigger event of this transaction holds it)
            if pg_relation_size({pending_literal}) > 65536 and not exists (select 1 from {pending}) then
              truncate {pending};
            end if;
            insert into {pending} (overlay, touched, recorder)
              values ({overlay_literal}, {touched_literal}, {recorder_literal});
          end if;
          return null;
        end""",
        "touched", touched(b), "touched_literal", OverlaySql.literal(touched(b)), "key", b.keyList(null),
        "pending", PENDING, "pending_literal", OverlaySql.literal(PENDING), "overlay_literal", overlayLiteral,
        "recorder_literal", OverlaySql.literal(recorder(b) + "()"),
        "make_touched", makeTouched(b), "make_pending", makePending());
    return drop(b, key) + ";\n" + fill("""
        create index {index} on {overlay} ({columns}) where not __deleted;
        {check};
        revoke all on function {function}() from public;
        insert into strata.unique_rules (overlay, rule, check_function, pending, own, columns, tid) values (
          {overlay_literal}, {rule_literal}, {function_literal}::regprocedure, {pending}, {own}, {columns_array},
          {tid});
        insert into strata.unique_guards (overlay) values ({overlay_literal})
          on conflict (overlay) do update set n = strata.unique_guards.n + 1;
        create or replace function {recorder}() returns trigger language plpgsql security definer
          set search_path = pg_catalog, pg_temp as {body};
        revoke all on function {recorder}() from public;
        do $strata_t$ begin
          -- made where missing only (dropping a trigger would lock the branch's readers out until the commit)
          if not exists (select 1 from pg_trigger where tgrelid = {overlay_literal}::regclass
                          and tgname = 'strata_unique_ins') then
            create trigger strata_unique_ins after insert on {overlay} referencing new table as strata_new
              for each statement execute function {recorder}();
            create trigger strata_unique_upd after update on {overlay} referencing old table as strata_old
              new table as strata_new for each statement execute function {recorder}();
            create trigger strata_unique_del after delete on {overlay} referencing old table as strata_old
              for each statement execute function {recorder}();
          end if;
        end $strata_t$""",
        "index", Sql.quote(overlayConstraint(b, key)), "overlay", b.overlay(), "columns", quoted,
        "check", check(b, rule, function, branch, schema, table), "function", function,
        "overlay_literal", overlayLiteral, "rule_literal", OverlaySql.literal(key),
        "function_literal", OverlaySql.literal(function + "()"), "recorder", recorder(b), "body", dollarQuoted(body),
        "pending", String.valueOf(pending), "own", String.valueOf(own), "tid", OverlaySql.literal(b.tableId()),
        "columns_array", columns.stream()
            .map(OverlaySql::literal).collect(Collectors.joining(", ", "array[", "]::text[]")));
  }

  /**
   * The rules among $1 (text[]) that {@code b}'s overlay holds pending ({@link #hold} with {@code pending}: a merge in
   * progress carried them) or does not hold at all.
   */
  static String pendingOrUnheld(OverlaySql b) {
    return "select n from unnest($1::text[]) n where not exists (select 1 from strata.unique_rules r where r.overlay = "
        + OverlaySql.literal(b.overlay()) + " and r.rule = n and not r.pending)";
  }

  /** The rules {@code b}'s overlay holds pending. */
  static String pending(OverlaySql b) {
    return "select rule from strata.unique_rules where overlay = " + OverlaySql.literal(b.overlay()) + " and pending";
  }

  /**
   * The rules among $1 (text[]) {@code b}'s overlay holds pending no longer are (the merge that carried them
   * concluded, its rows looked at).
   */
  static String validate(OverlaySql b) {
    return "update strata.unique_rules set pending = false where overlay = " + OverlaySql.literal(b.overlay())
        + " and pending and rule = any($1::text[])";
  }

  /**
   * The pre-image log's index on {@code rule}'s columns, where it has none: the rows the branch reads from there are
   * found by value. Kept with the log (other branches' rules may use it). Built after the rule's first look at the
   * branch's rows, since its lock holds the default branch's writers (their captures file pre-images) until commit.
   */
  static String indexPreimages(OverlaySql b, TableShape.Constraint rule) {
    List<String> columns = columns(rule);
    return fill("""
        do $strata_t$ begin
          if to_regclass({index_literal}) is null then
            create index {index} on {preimages} ({columns});
          end if;
        end $strata_t$""",
        "index_literal", OverlaySql.literal(OverlaySql.SCHEMA + "." + Sql.quote(preimageIndex(b, columns))),
        "index", Sql.quote(preimageIndex(b, columns)), "preimages", b.preimages(),
        "columns", columns.stream().map(Sql::quote).collect(Collectors.joining(", ")));
  }

  /**
   * The check of rule {@code rule}: the rows of the keys the transaction touched, as the branch reads them (its
   * overlay's live row, else the first pre-image since its fork, else the table's row), of which none may share the
   * rule's values (all not null) with another row it reads. Raises 23505 naming the table and the rule as the
   * table's own unique constraint would (a refusal of the rows, not a race of Strata's).
   */
  private static String check(OverlaySql b, TableShape.Constraint rule, String function, String branch, String schema,
      String table) {
    UniqueLookupSql lookup = new UniqueLookupSql(b, rule);
    String body = fill("""
        declare v text;
        begin
          -- each touched key's row as the branch reads it, looked up by key (a nested loop of index probes)
          with {rows}
          select {key_text} into v from m where {not_null} and ({shared}) limit 1;
          if v is not null then
            raise exception using errcode = 'unique_violation', schema = {schema}, table = {table_literal},
              constraint = {name}, message = format('duplicate value of unique constraint %s of branch %s: the row'
                || ' of key %s shares its values with another row the branch reads', {name}, {branch}, v);
          end if;
        end""",
        "rows", lookup.rowsOf("select * from " + touched(b)), "key_text", lookup.keyTextOfM(),
        "not_null", lookup.notNull(), "shared", lookup.shared(),
        "schema", OverlaySql.literal(schema), "table_literal", OverlaySql.literal(table),
        "name", OverlaySql.literal(rule.name()), "branch", OverlaySql.literal(branch));
    return "create function " + function + "() returns void"
        + " language plpgsql security definer set search_path = pg_catalog, pg_temp as " + dollarQuoted(body);
  }

  /**
   * Drops what {@code b}'s overlay holds of unique rule {@code name}, if it holds it; with its last rule, the triggers
   * and the table of touched keys go too. A pending check of this transaction then finds nothing to run.
   */
  static String drop(OverlaySql b, String name) {
    return fill("""
        drop index if exists {schema}.{index};
        drop function if exists {function}();
        delete from strata.unique_rules where overlay = {overlay_literal} and rule = {rule_literal};
        do $strata_u$ begin
          -- (the guard row changes either way: a REPEATABLE READ writer whose snapshot is older fails to serialize
          -- rather than run a check that is gone)
          if not exists (select 1 from strata.unique_rules where overlay = {overlay_literal}) then
            drop function if exists {recorder}() cascade;
            delete from strata.unique_guards where overlay = {overlay_literal};
          else
            update strata.unique_guards set n = n + 1 where overlay = {overlay_literal};
          end if;
        end $strata_u$""",
        "schema", OverlaySql.SCHEMA, "index", Sql.quote(overlayConstraint(b, name)),
        "function", OverlaySql.SCHEMA + "." + Sql.quote(function(b, name)),
        "overlay_literal", OverlaySql.literal(b.overlay()), "rule_literal", OverlaySql.literal(name),
        "recorder", recorder(b));
  }

  /** Drops every unique rule {@code b}'s overlay holds, with their functions and tables (the branch's objects going). */
  static String dropAll(OverlaySql b) {
    return fill("""
        do $strata_u$ declare f regprocedure; begin
          for f in select p.oid::regprocedure from pg_proc p
                    where p.pronamespace = {schema}::regnamespace and starts_with(p.proname, {prefix}) loop
            execute 'drop function ' || f::text || ' cascade';
          end loop;
        end $strata_u$;
        delete from strata.unique_rules where overlay = {overlay_literal};
        delete from strata.unique_guards where overlay = {overlay_literal}""",
        "schema", OverlaySql.literal(OverlaySql.SCHEMA), "prefix", OverlaySql.literal(functionPrefix(b)),
        "overlay_literal", OverlaySql.literal(b.overlay()));
  }
}
