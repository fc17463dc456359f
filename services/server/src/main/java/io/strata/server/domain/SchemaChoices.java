package io.strata.server.domain;

import io.strata.events.TableShape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a merge (revert, cherry-pick) settles its schema conflicts: each conflict a resolution names — by its table and
 * its column, or its check or index — to one side or, a column's, to a given definition; every other conflict to the
 * strategy's side ({@code schema_strategy}; none: left open, and an open conflict refuses the operation, 409). The
 * strategy alone also decides what is no conflict but goes one side's way only with it: {@code ours} keeps every
 * column and check of the target's that the source dropped. A resolution that names no conflict of the operation
 * refuses it (422), so that a mistyped name never settles nothing silently ({@link #requireAllUsed}).
 *
 * <p>Consulted while one operation settles its schema; it notes which resolutions a conflict took, so it is made
 * per request.
 */
public final class SchemaChoices {
  /** No strategy, no resolution: every conflict stays open. */
  public static final SchemaChoices NONE = new SchemaChoices(null, List.of());

  /**
   * One conflict's settlement: of column {@code column} (or of check or index {@code constraint}) of table {@code
   * table}, to side {@code take}, or to {@code definition} (a column's: its name is the column's; {@code take} null).
   */
  public record Resolution(String table, String column, String constraint, SchemaMerge.Side take,
      TableShape.Column definition) {}

  private final SchemaMerge.Side strategy;
  private final List<Resolution> resolutions;
  private final Set<Resolution> used;
  /** Which columns (by table and name) the resolutions may settle here: a view's scope ({@link #within}). */
  private final java.util.function.BiPredicate<String, String> scope;

  private SchemaChoices(SchemaMerge.Side strategy, List<Resolution> resolutions) {
    this(strategy, List.copyOf(resolutions), Collections.newSetFromMap(new IdentityHashMap<>()), (t, c) -> true);
  }

  private SchemaChoices(SchemaMerge.Side strategy, List<Resolution> resolutions, Set<Resolution> used,
      java.util.function.BiPredicate<String, String> scope) {
    this.strategy = strategy;
    this.resolutions = resolutions;
    this.used = used;
    this.scope = scope;
  }

  /**
   * These choices where the column conflicts of table {@code table} that {@code columns} names are settled (the
   * others are no conflicts the operation lists: a resolution naming one is not taken, and counts as naming none);
   * the same record of the resolutions taken.
   */
  public SchemaChoices within(String table, Set<String> columns) {
    return new SchemaChoices(strategy, resolutions, used, (t, c) -> !t.equals(table) || columns.contains(c));
  }

  public static SchemaChoices of(SchemaMerge.Side strategy, List<Resolution> resolutions) {
    return strategy == null && resolutions.isEmpty() ? NONE : new SchemaChoices(strategy, resolutions);
  }

  /** Every conflict to {@code strategy}'s side (null: left open). */
  public static SchemaChoices all(SchemaMerge.Side strategy) {
    return of(strategy, List.of());
  }

  /** The side every conflict no resolution names takes, and what ours keeps: null when none was given. */
  public SchemaMerge.Side strategy() {
    return strategy;
  }

  public List<Resolution> resolutions() {
    return resolutions;
  }

  /**
   * The side a conflict on column {@code column} of table {@code table} settles to (null: open): its resolution's,
   * else the strategy's. A column given a definition answers null here: {@link #definition} tells it.
   */
  public SchemaMerge.Side column(String table, String column) {
    Resolution r = find(table, column, null);
    return r == null ? strategy : r.take();
  }

  /** The definition a resolution gives column {@code column} of table {@code table}, or null. */
  public TableShape.Column definition(String table, String column) {
    Resolution r = find(table, column, null);
    return r == null || r.definition() == null ? null : r.definition().named(column);
  }

  /**
   * The side a conflict on column {@code column} of table {@code table} settles to where a definition cannot settle
   * it ({@code what}: the conflict, as the refusal names it): a resolution giving one refuses the operation (422).
   */
  public SchemaMerge.Side sideOnly(String table, String column, String what) {
    Resolution r = find(table, column, null);
    if (r != null && r.definition() != null) {
      throw new StrataException(ErrorCode.ValidationError, "the conflict on column '" + column + "' of table '"
          + table + "' is " + what + ", which a definition does not settle: take ours or theirs; nothing changed",
          Map.of("table", table, "column", column, "field", "schema_resolutions"));
    }
    return r == null ? strategy : r.take();
  }

  /** The side a conflict on check or index {@code name} of table {@code table} settles to (null: open). */
  public SchemaMerge.Side constraint(String table, String name) {
    Resolution r = find(table, null, name);
    return r == null ? strategy : r.take();
  }

  /**
   * Counts the resolutions {@code settledAlready} accepts as taken though they met no conflict: their conflict was
   * settled as they ask by an earlier attempt of the operation (a retry sends the same resolutions again).
   */
  public void takenAlready(java.util.function.Predicate<Resolution> settledAlready) {
    resolutions.stream().filter(r -> !used.contains(r) && settledAlready.test(r)).forEach(used::add);
  }

  /** Refuses (422) when a resolution named no conflict the operation met. */
  public void requireAllUsed(String source, String target) {
    List<Resolution> unused = new ArrayList<>(resolutions);
    unused.removeIf(used::contains);
    if (!unused.isEmpty()) {
      Resolution r = unused.get(0);
      String what = r.column() != null ? "column '" + r.column() + "'" : "check or index '" + r.constraint() + "'";
      throw new StrataException(ErrorCode.ValidationError, "schema_resolutions names " + what + " of table '"
          + r.table() + "', on which merging '" + source + "' into '" + target + "' has no schema conflict; nothing"
          + " changed", Map.of("table", r.table(), "field", "schema_resolutions"));
    }
  }

  private Resolution find(String table, String column, String constraint) {
    if (column != null && !scope.test(table, column)) {
      return null;
    }
    for (Resolution r : resolutions) {
      if (r.table().equals(table) && (column != null ? column.equals(r.column()) : constraint.equals(r.constraint()))) {
        used.add(r);
        return r;
      }
    }
    return null;
  }
}
