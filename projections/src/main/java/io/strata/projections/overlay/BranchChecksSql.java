package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import java.util.stream.Collectors;

/**
 * The statements that hold a branch's rows to CHECK constraints it added (not the table's own, which its
 * overlay copies when it is made): each is checked over every row the branch reads first, then its overlay
 * holds the rows it writes to it ({@code __deleted or (check)}: a tombstone's columns are empty). The table is
 * not touched; no row is copied.
 */
final class BranchChecksSql {
  private BranchChecksSql() {}

  /** The probe table a check is defined on: temporary, dropped with the caller's transaction. */
  static final String PROBE = "strata_probe_check";

  /** The name of the probe's constraint. */
  static final String PROBE_CONSTRAINT = "strata_probe";

  /**
   * The probe's constraint as the database defined it: its definition, its expression's node tree (the
   * functions it calls, the columns it names) and the names of the probe's columns by number.
   */
  static final String PROBED = """
      select pg_get_constraintdef(k.oid), k.conbin::text,
             (select json_object_agg(a.attnum, a.attname)::text from pg_attribute a
               where a.attrelid = k.conrelid and a.attnum > 0 and not a.attisdropped)
      from pg_constraint k where k.conrelid = 'pg_temp.strata_probe_check'::regclass and k.conname = 'strata_probe'
        and k.contype = 'c' and k.convalidated and not k.connoinherit""";

  /**
   * The first object the probe's constraint depends on that is not PostgreSQL's own, described (no row: none): a
   * function, operator, type or collation of another schema than {@code pg_catalog} (a type of the probe's columns,
   * or their elements', excepted: an enum of the table's schema compared with a literal; never a domain, whose own
   * CHECK would run whatever functions it calls), or any other relation (a
   * {@code regclass} literal would pin it: its drop would be refused). Read from the dependencies PostgreSQL recorded
   * when it parsed the expression, which nothing has evaluated yet.
   */
  static final String FOREIGN_REFERENCE = """
      with probe as (select 'pg_temp.strata_probe_check'::regclass as rel),
           own_types as (select y.oid as t from pg_attribute a join pg_type y on y.oid = a.atttypid, probe
                          where a.attrelid = probe.rel and a.attnum > 0 and y.typtype <> 'd'
                         union select e.oid from pg_attribute a join pg_type y on y.oid = a.atttypid
                           join pg_type e on e.oid = y.typelem, probe
                          where a.attrelid = probe.rel and a.attnum > 0 and e.typtype <> 'd')
      select pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)
        from pg_depend d, probe
       where d.classid = 'pg_constraint'::regclass
         and d.objid = (select k.oid from pg_constraint k where k.conrelid = probe.rel and k.conname = 'strata_probe')
         and not (d.refclassid = 'pg_class'::regclass and d.refobjid = probe.rel)
         and not (d.refclassid = 'pg_type'::regclass and d.refobjid in (select t from own_types))
         and coalesce(case d.refclassid
               when 'pg_proc'::regclass then (select pronamespace from pg_proc where oid = d.refobjid)
               when 'pg_operator'::regclass then (select oprnamespace from pg_operator where oid = d.refobjid)
               when 'pg_type'::regclass then (select typnamespace from pg_type where oid = d.refobjid)
               when 'pg_collation'::regclass then (select collnamespace from pg_collation where oid = d.refobjid)
             end, 0) <> 'pg_catalog'::regnamespace
       limit 1""";

  /**
   * Why a client's CHECK text is refused before the database sees it (null: it is not): it must be one
   * expression that stays inside the {@code CHECK ( … )} it is put in — no statement separator, comment, dollar
   * quote or backslash escape, quotes closed, parentheses balanced and never closed below the expression's own
   * level — so nothing but the expression (no further ALTER TABLE subcommand, whose defaults would be evaluated)
   * reaches the database.
   */
  static String refusal(String check) {
    int depth = 0;
    char quote = 0;
    for (int i = 0; i < check.length(); i++) {
      char c = check.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          if (i + 1 < check.length() && check.charAt(i + 1) == quote) {
            i++; // a doubled quote stays inside
          } else {
            quote = 0;
          }
        } else if (c == '\\') {
          return "a backslash is not taken in a check";
        }
        continue;
      }
      switch (c) {
        case '\'', '"' -> quote = c;
        case '(' -> depth++;
        case ')' -> {
          if (--depth < 0) {
            return "a parenthesis closes one the check did not open";
          }
        }
        case ';' -> {
          return "a check is one expression: no semicolon";
        }
        case '$' -> {
          return "a check takes no dollar quoting or positional parameter";
        }
        case '\\' -> {
          return "a backslash is not taken in a check";
        }
        case '-', '/' -> {
          if (i + 1 < check.length() && (check.charAt(i + 1) == c || c == '/' && check.charAt(i + 1) == '*')) {
            return "a check takes no comment";
          }
        }
        default -> { }
      }
    }
    return quote != 0 ? "a quote the check opens is not closed" : depth != 0 ? "a parenthesis the check opens is not"
        + " closed" : null;
  }

  /** The expression of a CHECK definition as PostgreSQL prints it ({@code CHECK ((qty > 0))}). */
  static String expression(TableShape.Constraint c) {
    String d = c.definition();
    if (!d.startsWith("CHECK (") || d.endsWith(" NOT VALID")) {
      throw new IllegalArgumentException("not a CHECK definition: " + d);
    }
    return d.substring("CHECK ".length());
  }

  /** The overlay's constraint that holds a branch's rows to its CHECK {@code name}: a name of Strata's own. */
  static String overlayConstraint(String name) {
    return "strata_check_" + io.strata.events.CommitIds.sha256Hex(name).substring(0, 40);
  }

  /**
   * The key (as text) of a row {@code b} reads that fails {@code c}, if any. One statement, run on its own
   * (extended protocol): the expression, as the database printed it, can be nothing but an expression.
   */
  static String violating(OverlaySql b, TableShape.Constraint c) {
    return "select " + b.keyText("s") + " from " + b.state() + " s where not " + expression(c)
        + " limit 1";
  }

  /** The key (as text) of a before-image {@code b}'s working log keeps that fails {@code c}, if any. */
  static String violatingLogged(OverlaySql b, TableShape.Constraint c) {
    return "select " + b.keyText("s") + " from " + b.workingLog() + " s where s.__present and not "
        + expression(c) + " limit 1";
  }

  /**
   * Has {@code b}'s overlay hold the rows the branch writes to {@code c} (one statement, as {@link #violating});
   * {@code pending}: NOT VALID, the rows the overlay holds already not looked at — a merge that carries the check lists those of the branch's rows that fail it as conflicts
   * ({@code constraint_violation}) and validates it when it concludes ({@link #pending}, {@link #validate}).
   */
  static String hold(OverlaySql b, TableShape.Constraint c, boolean pending) {
    String constraint = Sql.quote(overlayConstraint(c.name()));
    return "alter table " + b.overlay() + " drop constraint if exists " + constraint + ", add constraint "
        + constraint + " check (__deleted or " + expression(c) + ")" + (pending ? " not valid" : "");
  }

  /**
   * The overlay constraint names among $1 (text[]) that {@code b}'s overlay holds NOT VALID: checks pending; with
   * {@code orAbsent}, those it does not hold too (an abort took them off the overlay before it put rows back).
   */
  static String pending(OverlaySql b, boolean orAbsent) {
    return fill("""
        select n from unnest($1::text[]) n
        where {absent} exists (select from pg_constraint where conrelid = to_regclass({overlay_literal})
                                    and contype = 'c' and conname = n and {validity})
        order by n""",
        "absent", orAbsent ? "not" : "", "validity", orAbsent ? "convalidated" : "not convalidated",
        "overlay_literal", OverlaySql.literal(b.overlay()));
  }

  /**
   * Drops every check of Strata's own that {@code b}'s overlay holds NOT VALID (pending: a merge's): an abort puts
   * back the rows the merge wrote, which may fail them, and the checks leave the branch with it.
   */
  static String dropPending(OverlaySql b) {
    return eachPending(b, "drop");
  }

  /**
   * Validates every check of Strata's own that {@code b}'s overlay holds NOT VALID (a merge's, pending): a row of the
   * overlay that fails one fails it (23514). T's own checks, copied NOT VALID to hold what the branch writes, stay.
   */
  static String validate(OverlaySql b) {
    return eachPending(b, "validate");
  }

  /** {@code alter table … <action> constraint} of each pending check of Strata's own on {@code b}'s overlay. */
  private static String eachPending(OverlaySql b, String action) {
    return fill("""
        do $strata_p$ declare c text; begin
          for c in select conname from pg_constraint where conrelid = to_regclass({overlay_literal}) and contype = 'c'
                     and not convalidated and conname like 'strata\\_check\\_%' order by conname loop
            execute format('alter table {overlay_in_format} {action} constraint %I', c);
          end loop;
        end $strata_p$""",
        "overlay_literal", OverlaySql.literal(b.overlay()), "action", action,
        "overlay_in_format", b.overlay().replace("'", "''").replace("%", "%%"));
  }

  /** Drops the overlay's hold of the branch's CHECK {@code name}. */
  static String drop(OverlaySql b, String name) {
    return "alter table " + b.overlay() + " drop constraint if exists " + Sql.quote(overlayConstraint(name));
  }
}
