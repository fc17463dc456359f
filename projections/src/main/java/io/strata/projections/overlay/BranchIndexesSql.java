package io.strata.projections.overlay;

import io.strata.events.CommitIds;
import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The statements that give a branch an index of its own (a rule of kind {@link TableShape#INDEX}): built on its
 * overlay, over the rows the branch writes; the table's rows, which the branch reads through its view, are indexed
 * by the table's own indexes until a merge into the default branch builds the index on the table. The table is
 * not touched; no row is copied.
 */
final class BranchIndexesSql {
  private BranchIndexesSql() {}

  /** The methods a branch's index takes: those that index any column of a base type without an operator class. */
  static final List<String> METHODS = List.of("btree", "hash", "brin");

  /**
   * A definition as PostgreSQL prints one of a branch's indexes after the table's name: a method, then column names
   * (each as {@code quote_ident} prints it), nothing else. Anything else stored as a branch's index is refused before
   * it reaches SQL.
   */
  private static final Pattern DEFINED = Pattern.compile(
      "(btree|hash|brin) \\((?:[a-z_][a-z0-9_]*|\"(?:[^\"]|\"\")+\")(?:, (?:[a-z_][a-z0-9_]*|\"(?:[^\"]|\"\")+\"))*\\)");

  /** The temporary table an index is defined on first: dropped with the caller's transaction. */
  static final String PROBE = "strata_probe_index";

  /**
   * The probe's index as the database defined it: its definition after the table's name ({@code btree (customer)}),
   * its columns' numbers, and the names of the probe's columns by number.
   */
  static final String PROBED = """
      select substr(d, strpos(d, ' USING ') + 7), i.indkey::text,
             (select json_object_agg(a.attnum, a.attname)::text from pg_attribute a
               where a.attrelid = i.indrelid and a.attnum > 0 and not a.attisdropped)
        from pg_index i cross join lateral pg_get_indexdef(i.indexrelid) d
       where i.indexrelid = 'pg_temp.strata_probe_index_i'::regclass""";

  /** Defines an index by {@code method} on {@code columns} (names, quoted) on the probe. */
  static String probe(String method, List<String> columns) {
    if (!METHODS.contains(method)) {
      throw new IllegalArgumentException("not a method a branch's index takes: " + method);
    }
    return "create index strata_probe_index_i on pg_temp." + PROBE + " using " + method + " ("
        + columns.stream().map(Sql::quote).collect(java.util.stream.Collectors.joining(", ")) + ")";
  }

  /** The overlay's index that holds {@code b}'s index {@code name}: a name of Strata's own, one per overlay. */
  static String overlayIndex(OverlaySql b, String name) {
    return "strata_index_" + CommitIds.sha256Hex(b.overlay() + "\u0000" + name).substring(0, 40);
  }

  /** Builds {@code index} on {@code b}'s overlay (made again when it exists: a definition may have changed). */
  static String build(OverlaySql b, TableShape.Constraint index) {
    return drop(b, index.name()) + "; create index " + Sql.quote(overlayIndex(b, index.name())) + " on " + b.overlay()
        + " using " + requireDefinition(index);
  }

  /** Drops {@code b}'s index {@code name} from its overlay, if it has it. */
  static String drop(OverlaySql b, String name) {
    return "drop index if exists " + OverlaySql.SCHEMA + "." + Sql.quote(overlayIndex(b, name));
  }

  /**
   * Builds {@code index} on table {@code qualifiedTable} without holding its writers ({@code CONCURRENTLY}: outside
   * any transaction), under the index's own name; nothing when the table has an index of that name.
   */
  static String buildConcurrently(String qualifiedTable, TableShape.Constraint index) {
    return "create index concurrently if not exists " + Sql.quote(index.name()) + " on " + qualifiedTable + " using "
        + requireDefinition(index);
  }

  /** The definition of {@code index}, refused unless it is one {@link #DEFINITION} writes. */
  static String requireDefinition(TableShape.Constraint index) {
    if (!TableShape.INDEX.equals(index.kind()) || !DEFINED.matcher(index.definition()).matches()) {
      throw new IllegalArgumentException("not a branch's index: " + index);
    }
    return index.definition();
  }
}
