package io.strata.projections.overlay;

import io.strata.events.ColumnTypes;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The columns of a tracked table {@code T} as one branch has them ({@link OverlaySql#shape}): which columns, in which
 * types and under which names it shows them, which it added or defines otherwise, and how the rows it has not written
 * (T's, pre-images) read in them. The default branch's are T's own.
 */
final class BranchShape {
  private final List<String> key;
  /** T's columns, as the default branch has them. */
  private final List<TableColumn> tableColumns;
  /**
   * The columns of the branch, where they differ from T's (a branch forked before T gained a column keeps its own);
   * null when they are T's.
   */
  private final List<TableColumn> branchShape;
  /**
   * The branch's columns as given, before its redefinitions typed them ({@link #retyped}): what another instance
   * of it is made from, so a type it no longer redefines is the table's again.
   */
  private final List<TableColumn> givenShape;
  /**
   * The columns among the branch's that it added through Strata, by name: rows it has not written (T's,
   * pre-images) read each as its constant default ({@link #baseColumns}).
   */
  private final Map<String, TableShape.Column> added;
  /** Whether these are a branch's columns (false: the default branch's, T's own). */
  private final boolean onBranch;
  /**
   * The columns the branch shows under another name (stored name to shown name): only its view, its query
   * views and its rows read through the API show them so ({@link #shown}); every other statement, and every
   * image, names the stored column.
   */
  private final Map<String, String> renamed;
  /**
   * The table's own columns the branch defines otherwise (NOT NULL set or dropped, a default set or dropped),
   * by stored name: its overlay's NOT NULL rules ({@link #required}) and its view's and writes' defaults follow
   * them; the rows it reads from the table are the table's.
   */
  private final Map<String, TableShape.Column> redefined;

  BranchShape(List<String> key, List<TableColumn> tableColumns, List<TableColumn> branchShape,
      List<TableShape.Column> added, boolean onBranch, Map<String, String> renamed,
      List<TableShape.Column> redefined) {
    this.key = List.copyOf(key);
    this.onBranch = onBranch;
    this.redefined = new LinkedHashMap<>();
    (redefined == null ? List.<TableShape.Column>of() : redefined).forEach(c -> this.redefined.put(c.name(), c));
    this.renamed = renamed == null ? Map.of() : Map.copyOf(renamed);
    this.renamed.forEach((from, to) -> Sql.quote(to)); // validates
    this.tableColumns = List.copyOf(tableColumns);
    this.added = new LinkedHashMap<>();
    (added == null ? List.<TableShape.Column>of() : added).forEach(c -> this.added.put(c.name(), c));
    // a branch's columns take the types it gave the table's own (its redefinitions say so, wherever it is described
    // from); a branch of the table's columns in the table's types reads the table's row type
    this.givenShape = branchShape == null ? null : List.copyOf(branchShape);
    List<TableColumn> shaped = !onBranch ? branchShape : retyped(branchShape == null ? tableColumns : branchShape,
        this.redefined);
    this.branchShape = shaped == null || typed(shaped).equals(typed(tableColumns)) && this.added.isEmpty()
        ? null : List.copyOf(shaped);
    tableColumns.forEach(c -> Sql.quote(c.name()));
    if (this.branchShape != null) {
      this.branchShape.forEach(c -> Sql.quote(c.name()));
      if (!names(this.branchShape).containsAll(key)) {
        throw new IllegalArgumentException("a branch's columns must hold the key " + key);
      }
      if (!names(this.branchShape).containsAll(this.added.keySet())) {
        throw new IllegalArgumentException("a branch's added columns must be among its columns");
      }
    }
  }

  /** The same columns, seen from another branch ({@code onBranch}) or with other renames or redefinitions. */
  BranchShape with(boolean onBranch, Map<String, String> renamed, List<TableShape.Column> redefined) {
    return new BranchShape(key, tableColumns, givenShape, List.copyOf(added.values()), onBranch, renamed, redefined);
  }

  /**
   * The same, the branch's columns being {@code columns} (its own row type's; null: the table's), of which it added
   * {@code added}.
   */
  BranchShape withColumns(List<TableColumn> columns, List<TableShape.Column> added) {
    return new BranchShape(key, tableColumns, columns, added, onBranch, renamed,
        redefinedAmong(columns == null ? tableColumns : columns));
  }

  /** The redefinitions these columns were given, whoever sees them. */
  List<TableShape.Column> givenRedefinitions() {
    return List.copyOf(redefined.values());
  }

  private static List<String> names(List<TableColumn> columns) {
    return columns.stream().map(TableColumn::name).toList();
  }

  /** {@code columns} in the types {@code redefined} gives those it names. */
  private static List<TableColumn> retyped(List<TableColumn> columns, Map<String, TableShape.Column> redefined) {
    return redefined.isEmpty() ? columns : columns.stream().map(c -> redefined.containsKey(c.name())
        && !ColumnTypes.same(redefined.get(c.name()).type(), c.type())
        ? new TableColumn(c.name(), redefined.get(c.name()).type(), c.nullable()) : c).toList();
  }

  private static List<String> typed(List<TableColumn> columns) {
    return columns.stream().map(c -> c.name() + " " + c.type()).toList();
  }

  /** The columns of the branch. */
  List<String> columns() {
    return names(current());
  }

  /** Whether this branch gives any column of the table's own another type than the table's. */
  boolean retypesColumns() {
    return columns().stream().anyMatch(c -> retypedTo(c) != null);
  }

  /** The type this branch gives its column {@code c}, or null when it has none of that name. */
  String typeOf(String c) {
    return current().stream().filter(x -> x.name().equals(c)).map(TableColumn::type).findFirst().orElse(null);
  }

  private List<TableColumn> current() {
    return !onBranch || branchShape == null ? tableColumns : branchShape;
  }

  /**
   * The branch's columns as rows it has not written give them, from relation {@code alias} (T, or the
   * pre-image log, which has T's columns): {@code alias."c"}, or for a column the branch added its
   * constant default ({@code 'eu'::text}, {@code NULL::text}), as PostgreSQL's own "fast default" reads
   * a column added to rows stored before it, or for a column it gave another type {@code alias."c"::type}.
   * Zero-copy: T's rows are not written to add a column or change its type.
   */
  String baseColumns(String alias) {
    return columns().stream().map(c -> baseColumn(c, alias) + " as " + Sql.quote(c)).collect(Collectors.joining(", "));
  }

  /** Column {@code c} of this branch as rows it has not written give it (see {@link #baseColumns}). */
  String baseColumn(String c, String alias) {
    TableShape.Column a = onBranch ? added.get(c) : null;
    if (a != null) {
      return addedValue(a);
    }
    String retyped = retypedTo(c);
    if (retyped == null) {
      return alias + "." + Sql.quote(c);
    }
    String tables = tableColumns.stream().filter(x -> x.name().equals(c)).map(TableColumn::type).findFirst()
        .orElseThrow();
    // wider than the table's: a plain cast; narrower (the branch kept the type a merge widened the table from): a
    // cast that does not fail on the table's rows the branch does not read
    return ColumnTypes.widens(tables, retyped) ? alias + "." + Sql.quote(c) + "::" + retyped
        : ColumnTypes.narrowed(alias + "." + Sql.quote(c), tables, retyped);
  }

  /**
   * The type this branch gave column {@code c} of the table's own, where it differs from the table's (its rows
   * from the table read through a cast to it: the branch's new type reads every value it holds as it is); else
   * null.
   */
  String retypedTo(String c) {
    if (!onBranch || branchShape == null) {
      return null;
    }
    String mine = typeOf(c);
    String tables = tableColumns.stream().filter(x -> x.name().equals(c)).map(TableColumn::type).findFirst()
        .orElse(null);
    return mine == null || tables == null || ColumnTypes.same(mine, tables) ? null : mine;
  }

  /** The value a column added on a branch has in the rows the branch did not write: its constant default. */
  static String addedValue(TableShape.Column c) {
    return "(" + (c.defaultValue() == null ? "null" : c.defaultValue()) + ")::" + c.type();
  }

  /** The name this branch shows its column {@code stored} under (the stored name unless it renamed it). */
  String shown(String stored) {
    return renamed.getOrDefault(stored, stored);
  }

  /**
   * Whether this branch shows any column under another name than the one it is stored under (the default
   * branch never does, but a read of a commit through it shows the names the commit's branch showed).
   */
  boolean renamesColumns() {
    return !renamed.isEmpty();
  }

  /** The branch's columns as it shows them: {@code alias."stored" as "shown"}, in order. */
  String shownColumns(String alias) {
    return columns().stream().map(c -> alias + "." + Sql.quote(c) + " as " + Sql.quote(shown(c)))
        .collect(Collectors.joining(", "));
  }

  /**
   * Row {@code alias} of this branch as JSON text in the names it shows: {@code row_to_json} (columns in
   * order, about twice as fast to render as {@code to_jsonb}) unless it renamed columns, else built by name.
   */
  String rowJson(String alias) {
    // renamed: a row of the columns under their shown names (json_build_object takes at most 50 pairs)
    return !renamesColumns() ? "row_to_json(" + alias + ".*)::text"
        : "(select row_to_json(x.*) from (select " + shownColumns(alias) + ") x)::text";
  }

  /**
   * Row {@code row} (NEW, OLD of the branch's view: its columns under their shown names) as JSON in the stored
   * names: a subquery, as {@link #rowJson}.
   */
  String storedJson(String row) {
    return "(select to_jsonb(x.*) from (select " + columns().stream()
        .map(c -> row + "." + Sql.quote(shown(c)) + " as " + Sql.quote(c)).collect(Collectors.joining(", "))
        + ") x)";
  }

  /** The columns this branch shows under other names: stored name to shown name. */
  Map<String, String> renamed() {
    return renamed;
  }

  /** The table's own columns this branch defines otherwise, in the order it redefined them. */
  List<TableShape.Column> redefined() {
    return onBranch ? List.copyOf(redefined.values()) : List.of();
  }

  /** Those of this branch's redefinitions that name a column of {@code columns} (a column dropped loses its own). */
  private List<TableShape.Column> redefinedAmong(List<TableColumn> columns) {
    Set<String> names = new HashSet<>(names(columns));
    return redefined.values().stream().filter(c -> names.contains(c.name())).toList();
  }

  /** The columns this branch added through Strata, in order. */
  List<TableShape.Column> added() {
    return onBranch ? List.copyOf(added.values()) : List.of();
  }

  /**
   * The branch's columns, besides the key, that are NOT NULL (T's rule, or the branch's own for a column it
   * redefined; kept by the branch's overlay).
   */
  List<String> required() {
    return current().stream().filter(c -> !key.contains(c.name())
            && !(onBranch && redefined.containsKey(c.name()) ? redefined.get(c.name()).nullable() : c.nullable()))
        .map(TableColumn::name).toList();
  }

  /** Whether this branch's columns differ from T's (see {@link OverlaySql#rowType}). */
  boolean hasOwnShape() {
    return onBranch && branchShape != null;
  }

  /** The definition of a branch's own row type ({@link OverlaySql#rowType}): its columns and types. */
  String rowTypeDefinition() {
    return current().stream().map(c -> Sql.quote(c.name()) + " " + c.type()).collect(Collectors.joining(", "));
  }

  /**
   * A condition on {@code pg_attribute a} of T: the columns this branch has (true for T's own shape).
   * For the statements that read T's catalog (defaults, generated columns, checks) to give a branch only
   * what its columns have.
   */
  String amongColumns(String attname) {
    return !hasOwnShape() ? "true" : attname + " = any(" + columns().stream().map(OverlaySql::literal)
        .collect(Collectors.joining(", ", "array[", "]::name[]")) + ")";
  }
}
