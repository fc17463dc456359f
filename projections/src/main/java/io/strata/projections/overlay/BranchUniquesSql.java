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
 * UNIQUE (a, b)} as {@code pg_get_constraintdef} prints it): a constraint trigger on its overlay looks each
 * written row's values up among the rows the branch reads — its own through an index on the overlay, the table's
 * through an index of the table on those columns, which the rule requires — at the end of each statement. The branch's base never moves (rows the default branch changes after the fork are read from the
 * pre-image log), so only the branch's own writes can collide. The table is not touched; no row is copied.
 */
final class BranchUniquesSql {
  private BranchUniquesSql() {}

  /** The kind of a branch's unique rule. */
  static final String KIND = "unique";

  /** The most columns a branch's unique rule names. */
  static final int MAX_COLUMNS = 32;

  /** The probe table a unique rule is defined on first: dropped with the caller's transaction. */
  static final String PROBE = "strata_probe_unique";

  private static final String IDENTIFIER = "(?:[a-z_][a-z0-9_$]*|\"(?:[^\"]|\"\")+\")";

  /** A definition as PostgreSQL prints a branch's unique rule: column names only, nothing else. */
  private static final Pattern DEFINED = Pattern.compile("UNIQUE \\(" + IDENTIFIER + "(?:, " + IDENTIFIER + ")*\\)");

  private static final Pattern NAME = Pattern.compile(IDENTIFIER);

  /** Defines a unique constraint on {@code columns} (names, quoted) on the probe. */
  static String probe(List<String> columns) {
    return "alter table pg_temp." + PROBE + " add constraint strata_probe_u unique ("
        + columns.stream().map(Sql::quote).collect(Collectors.joining(", ")) + ")";
  }

  /**
   * Compares the probe's {@code columns} as the lookup does, under the same pinned search path (PostgreSQL's own
   * operators only): a type whose equality is another schema's ({@code citext}) fails here, not at every write.
   */
  static String probeEquality(List<String> columns) {
    return "select 1 from pg_temp." + PROBE + " s, pg_temp." + PROBE + " n where " + columns.stream()
        .map(c -> "s." + Sql.quote(c) + " = n." + Sql.quote(c)).collect(Collectors.joining(" and ")) + " limit 0";
  }

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

  /** The definition of {@code rule}, refused unless it is one {@link #DEFINED} describes. */
  static String requireDefinition(TableShape.Constraint rule) {
    if (!KIND.equals(rule.kind()) || !DEFINED.matcher(rule.definition()).matches()) {
      throw new IllegalArgumentException("not a branch's unique rule: " + rule);
    }
    return rule.definition();
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
    return name.substring(0, Math.min(name.length(), 40)) + "__u_"
        + CommitIds.sha256Hex(b.overlay() + "\u0000" + name).substring(0, 16);
  }

  /** The prefix of the lookup functions of {@code b}'s unique rules (one per rule, in schema strata). */
  private static String functionPrefix(OverlaySql b) {
    return b.tableId() + "__u_" + b.bid() + "_";
  }

  /** The function (and trigger) that looks {@code b}'s written rows up among the table's for rule {@code name}. */
  static String function(OverlaySql b, String name) {
    return functionPrefix(b) + CommitIds.sha256Hex(name).substring(0, 16);
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

  /**
   * Has {@code b}'s overlay hold the rows the branch writes unique by {@code rule}: a constraint trigger whose
   * function, owned by Strata and reading its objects alone, looks each written row's values up among every row the
   * branch reads (its other rows, through an index on the overlay; the table's, through the table's index) and raises
   * SQLSTATE 23505 naming the rule. Writers of the same values wait for each other on a transaction-scoped advisory
   * lock of the values first, so two transactions cannot both write them: the second looks after the first ended.
   */
  static String hold(OverlaySql b, TableShape.Constraint rule) {
    List<String> columns = columns(rule);
    String index = Sql.quote(overlayConstraint(b, rule.name()));
    String function = OverlaySql.SCHEMA + "." + Sql.quote(function(b, rule.name()));
    String trigger = Sql.quote(function(b, rule.name()));
    String quoted = columns.stream().map(Sql::quote).collect(Collectors.joining(", "));
    String notNull = columns.stream().map(c -> "new." + Sql.quote(c) + " is not null")
        .collect(Collectors.joining(" and "));
    String same = columns.stream().map(c -> "s." + Sql.quote(c) + " = new." + Sql.quote(c))
        .collect(Collectors.joining(" and "));
    String otherKey = "(" + b.key().stream().map(k -> "s." + Sql.quote(k)).collect(Collectors.joining(", "))
        + ") is distinct from (" + b.key().stream().map(k -> "new." + Sql.quote(k)).collect(Collectors.joining(", "))
        + ")";
    String values = "row(" + columns.stream().map(c -> "new." + Sql.quote(c)).collect(Collectors.joining(", "))
        + ")::text";
    return drop(b, rule.name()) + ";\n" + fill("""
        create index {index} on {overlay} ({columns}) where not __deleted;
        create function {function}() returns trigger language plpgsql security definer
          set search_path = pg_catalog, pg_temp as $strata_u$
        begin
          if not new.__deleted and {not_null} then
            perform pg_advisory_xact_lock(hashtextextended({lock_key} || {values}, 0));
            if exists (select 1 from {state} s where {same} and {other_key}) then
              raise exception using errcode = '23505',
                message = format('duplicate value of unique constraint %s of the branch: the row of key %s',
                                 {name_literal}, {new_key});
            end if;
          end if;
          return null;
        end $strata_u$;
        revoke all on function {function}() from public;
        create constraint trigger {trigger} after insert or update on {overlay} deferrable initially immediate
          for each row execute function {function}()""",
        "index", index, "overlay", b.overlay(), "columns", quoted, "function", function, "not_null", notNull,
        "lock_key", OverlaySql.literal(function(b, rule.name()) + ":"), "values", values, "state", b.state(),
        "same", same, "other_key", otherKey, "name_literal", OverlaySql.literal(rule.name()),
        "new_key", b.keyText("new"), "trigger", trigger);
  }

  /** Drops what {@code b}'s overlay holds of unique rule {@code name}, if it holds it. */
  static String drop(OverlaySql b, String name) {
    return fill("""
        drop index if exists {schema}.{index};
        drop trigger if exists {trigger} on {overlay};
        drop function if exists {function}()""",
        "schema", OverlaySql.SCHEMA, "overlay", b.overlay(), "index", Sql.quote(overlayConstraint(b, name)),
        "trigger", Sql.quote(function(b, name)), "function", OverlaySql.SCHEMA + "." + Sql.quote(function(b, name)));
  }

  /** Drops the lookup functions of every unique rule {@code b}'s overlay holds (the branch's objects going). */
  static String dropAll(OverlaySql b) {
    return fill("""
        do $strata_u$ declare f regprocedure; begin
          for f in select p.oid::regprocedure from pg_proc p
                    where p.pronamespace = {schema}::regnamespace and starts_with(p.proname, {prefix}) loop
            execute 'drop function ' || f::text || ' cascade';
          end loop;
        end $strata_u$""",
        "schema", OverlaySql.literal(OverlaySql.SCHEMA), "prefix", OverlaySql.literal(functionPrefix(b)));
  }
}
