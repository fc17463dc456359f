package io.strata.server.domain;

import static io.strata.server.domain.Guards.requireNoMerge;

import io.strata.events.StrataEvent;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.server.domain.BranchSchemaCommand.AddBranchColumns;
import io.strata.server.domain.BranchSchemaCommand.AlterBranchColumns;
import io.strata.server.domain.BranchSchemaCommand;
import io.strata.server.domain.BranchSchemaCommand.DropBranchColumns;
import io.strata.server.domain.BranchSchemaCommand.RenameBranchColumns;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A table's shape on a branch other than the default one, changed through Strata: columns added (a
 * branch's own, zero-copy) and dropped again. The default branch's shape is the table's, changed by DDL on
 * it, which the guard follows; a branch with a merge or rebase in progress keeps its shape until it ends
 * (its conflicts and steps are kept in its columns). Pure.
 */
public final class BranchSchemaDecider {
  /** The most columns a branch reads of a table (PostgreSQL's limit is 1 600, dropped columns counted). */
  static final int MAX_BRANCH_COLUMNS = 1000;

  private BranchSchemaDecider() {}

  static List<StrataEvent> decide(RepositoryState state, BranchSchemaCommand command) {
    List<TableColumn> columns = new ArrayList<>(state.columnsOn(command.table(), command.branch()));
    List<TableShape.Column> added = new ArrayList<>(state.addedOn(command.table(), command.branch()));
    List<TableBranchSchemaChanged.Operation> operations = new ArrayList<>();
    Map<String, String> renamed = new java.util.TreeMap<>(state.renamedOn(command.table(), command.branch()));
    if (command instanceof RenameBranchColumns c && c.renamedAfter() != null) {
      requireRenamedAs(state, c);
      Map<String, TableShape.Column> defined = definitionsOn(state, command.table(), command.branch());
      Set<String> stored = new java.util.TreeSet<>(renamed.keySet());
      stored.addAll(c.renamedAfter().keySet());
      for (String s : stored) {
        String was = renamed.getOrDefault(s, s);
        String to = c.renamedAfter().getOrDefault(s, s);
        if (!was.equals(to)) {
          operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.RENAME_COLUMN,
              defined.get(s).named(to), was));
        }
      }
      renamed = new java.util.TreeMap<>(c.renamedAfter());
    } else if (command instanceof RenameBranchColumns c) {
      Map<String, TableShape.Column> defined = definitionsOn(state, command.table(), command.branch());
      for (Map.Entry<String, String> r : requireRenamable(state, c).entrySet()) {
        String stored = r.getKey();
        String was = renamed.getOrDefault(stored, stored);
        if (r.getValue().equals(stored)) {
          renamed.remove(stored);
        } else {
          renamed.put(stored, r.getValue());
        }
        TableShape.Column d = defined.get(stored);
        operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.RENAME_COLUMN,
            d.named(r.getValue()), was));
      }
    } else if (command instanceof BranchSchemaCommand.TakeTableColumns c) {
      return TakenTableColumns.decide(state, c);
    } else if (command instanceof AddBranchColumns c) {
      requireAddable(state, c);
      c.columns().forEach(a -> {
        columns.add(a.asTableColumn());
        added.add(a);
        operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ADD_COLUMN, a));
      });
    } else if (command instanceof BranchSchemaCommand.AddBranchConstraints || command instanceof BranchSchemaCommand.DropBranchConstraints) {
      TableBranchSchemaChanged changed = BranchConstraints.decide(state, command);
      return command.validateOnly() ? List.of() : List.of(changed);
    } else if (command instanceof BranchSchemaCommand.RedefineBranchColumns c) {
      TableBranchSchemaChanged changed = TableColumnRedefinitions.decide(state, c);
      return command.validateOnly() ? List.of() : List.of(changed);
    } else if (command instanceof AlterBranchColumns c) {
      requireAlterable(state, c);
      for (TableShape.Column a : c.columns()) {
        columns.replaceAll(x -> x.name().equals(a.name()) ? a.asTableColumn() : x);
        added.replaceAll(x -> x.name().equals(a.name()) ? a : x);
        operations.add(c.using().containsKey(a.name())
            ? TableBranchSchemaChanged.Operation.converting(a, c.using().get(a.name()))
            : new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ALTER_COLUMN, a));
      }
    } else {
      DropBranchColumns c = (DropBranchColumns) command;
      for (TableShape.Column d : requireDroppable(state, c)) {
        columns.removeIf(x -> x.name().equals(d.name()));
        added.removeIf(x -> x.name().equals(d.name()));
        renamed.remove(d.name());
        operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.DROP_COLUMN, d));
      }
    }
    // nothing to record (a merge's names the branch shows already)
    return command.validateOnly() || operations.isEmpty() ? List.of()
        : List.of(new TableBranchSchemaChanged(command.table(), command.branch(), operations, columns, added, renamed,
            redefinedAmong(state.redefinedOn(command.table(), command.branch()), columns),
            state.constraintsOn(command.table(), command.branch())));
  }

  /** Those of a branch's redefinitions of the table's columns that name a column of {@code columns} (a drop ends one). */
  public static List<TableShape.Column> redefinedAmong(List<TableShape.Column> redefined, List<TableColumn> columns) {
    Set<String> names = new HashSet<>(columns.stream().map(TableColumn::name).toList());
    return redefined.stream().filter(r -> names.contains(r.name())).toList();
  }

  /** The definitions of the columns {@code branch} reads of {@code table}, by stored name: added ones as added. */
  private static Map<String, TableShape.Column> definitionsOn(RepositoryState state, String table, String branch) {
    Map<String, TableShape.Column> by = new LinkedHashMap<>(tableColumns(state.tables().get(table)));
    state.redefinedOn(table, branch).forEach(r -> by.put(r.name(), r));
    state.addedOn(table, branch).forEach(a -> by.put(a.name(), a));
    for (TableColumn c : state.columnsOn(table, branch)) {
      TableShape.Column d = by.get(c.name());
      if (d == null || !d.type().equals(c.type())) {
        by.put(c.name(), new TableShape.Column(c.name(), c.type(), c.nullable(), null, null, null, null));
      }
    }
    return by;
  }

  /**
   * Refuses names {@code c} gives the branch's columns as a whole ({@link RenameBranchColumns#renamedAfter}): a
   * column the branch does not read, its key, a name two columns would show, or one the table has that the
   * branch does not read (422).
   */
  public static void requireRenamedAs(RepositoryState state, RenameBranchColumns c) {
    requireChangeable(state, c);
    TableTracked t = state.tables().get(c.table());
    Set<String> reads = new HashSet<>(state.columnsOn(c.table(), c.branch()).stream().map(TableColumn::name).toList());
    Set<String> tableNames = new HashSet<>(t.columns().stream().map(TableColumn::name).toList());
    Map<String, String> shownBy = new java.util.HashMap<>();
    for (String stored : reads) {
      String shown = c.renamedAfter().getOrDefault(stored, stored);
      String other = shownBy.put(shown, stored);
      String why = other != null ? "columns '" + other + "' and '" + stored + "' of table '" + c.table()
              + "' would both be shown as '" + shown + "' on branch '" + c.branch() + "'"
          : !shown.equals(stored) && tableNames.contains(shown) && !reads.contains(shown)
              ? "table '" + c.table() + "' has a column '" + shown + "' that branch '" + c.branch() + "' does not read"
          : null;
      if (why != null) {
        throw new StrataException(ErrorCode.ValidationError, why,
            Map.of("table", c.table(), "branch", c.branch(), "column", shown));
      }
    }
    for (String stored : c.renamedAfter().keySet()) {
      String why = !reads.contains(stored) ? "branch '" + c.branch() + "' has no column '" + stored + "' in table '"
              + c.table() + "'"
          : t.primaryKey().contains(stored) ? "column '" + stored + "' is in the primary key of table '" + c.table()
              + "': rows are matched by their key on every branch, so it is not renamed on one"
          : !COLUMN_NAME.matcher(c.renamedAfter().get(stored)).matches() ? "not a column name: "
              + c.renamedAfter().get(stored)
          : null;
      if (why != null) {
        throw new StrataException(ErrorCode.ValidationError, why,
            Map.of("table", c.table(), "branch", c.branch(), "column", stored));
      }
    }
  }

  /** A name a column may be shown under: as {@code add_column} takes one. */
  private static final Pattern COLUMN_NAME = Pattern.compile("(?!__)[a-z_][a-z0-9_]{0,62}");

  /**
   * The renames {@code c} makes, in order: stored name to the name shown after (its stored name again: shown
   * under it again). Refused (422): a name the branch does not show, a key column (rows are matched by their
   * key on every branch), a name the branch shows already or one the table has that the branch does not read,
   * a name twice. A generated column's expression keeps naming the stored columns (the view's trigger
   * evaluates it over them).
   */
  public static Map<String, String> requireRenamable(RepositoryState state, RenameBranchColumns c) {
    requireChangeable(state, c);
    TableTracked t = state.tables().get(c.table());
    Map<String, String> shown = new LinkedHashMap<>(); // shown name -> stored name, as the renames go
    for (TableColumn col : state.columnsOn(c.table(), c.branch())) {
      shown.put(state.shownName(c.table(), c.branch(), col.name()), col.name());
    }
    Set<String> tableNames = new HashSet<>(t.columns().stream().map(TableColumn::name).toList());
    Map<String, String> renames = new LinkedHashMap<>();
    for (BranchSchemaCommand.Rename r : c.renames()) {
      String stored = shown.get(r.from());
      String why = stored == null ? "branch '" + c.branch() + "' has no column '" + r.from() + "' in table '"
              + c.table() + "'"
          : t.primaryKey().contains(stored) ? "column '" + r.from() + "' is in the primary key of table '" + c.table()
              + "': rows are matched by their key on every branch, so it is not renamed on one"
          : r.from().equals(r.to()) ? "column '" + r.from() + "' is named '" + r.to() + "' already"
          : shown.containsKey(r.to()) ? "branch '" + c.branch() + "' has a column '" + r.to() + "' already"
          : tableNames.contains(r.to()) && !r.to().equals(stored) && !shown.containsValue(r.to())
              ? "table '" + c.table() + "' has a column '" + r.to() + "' that branch '" + c.branch() + "' does not"
                  + " read: a merge could not tell them apart"
          : renames.containsKey(stored) ? "column '" + r.from() + "' is renamed twice"
          : null;
      if (why != null) {
        throw new StrataException(ErrorCode.ValidationError, why,
            Map.of("table", c.table(), "branch", c.branch(), "column", r.from()));
      }
      shown.remove(r.from());
      shown.put(r.to(), stored);
      renames.put(stored, r.to());
    }
    return renames;
  }

  static void requireChangeable(RepositoryState state, BranchSchemaCommand c) {
    if (!state.tables().containsKey(c.table())) {
      throw new StrataException(ErrorCode.TableNotFound, "table '" + c.table() + "' is not tracked",
          Map.of("table", c.table()));
    }
    if (!state.hasTable(c.table(), c.branch())) {
      throw new StrataException(ErrorCode.TableNotFound, "table '" + c.table() + "' is not on branch '" + c.branch()
          + "': it was made on branch '" + state.madeTables().of(c.table()).orElseThrow().branch() + "'",
          Map.of("table", c.table()));
    }
    Guards.requireBranch(state, c.branch());
    if (c.branch().equals(state.defaultBranch())) {
      throw new StrataException(ErrorCode.ValidationError, "'" + c.branch() + "' is the default branch: change table '"
          + c.table() + "' there with DDL on the table itself (ALTER TABLE … ADD COLUMN), which the DDL guard follows",
          Map.of("table", c.table(), "branch", c.branch()));
    }
    requireNoMerge(state, c.branch());
    Guards.requireNoRebase(state, c.branch());
  }

  /**
   * Refuses columns a branch cannot add: on the default branch, on a branch with a merge or rebase in
   * progress, a name the branch reads already, or one the table has and the branch does not read (the
   * schema merge that would tell them apart is not built), or a name twice.
   */
  public static void requireAddable(RepositoryState state, AddBranchColumns c) {
    requireChangeable(state, c);
    Set<String> reads = new HashSet<>(state.columnsOn(c.table(), c.branch()).stream().map(TableColumn::name).toList());
    // the names it shows too: a column shown under another name keeps its stored one, which no other may take
    reads.addAll(state.renamedOn(c.table(), c.branch()).values());
    Set<String> tables = new HashSet<>(state.tables().get(c.table()).columns().stream().map(TableColumn::name).toList());
    if (reads.size() + c.columns().size() > MAX_BRANCH_COLUMNS) {
      throw new StrataException(ErrorCode.ValidationError, "table '" + c.table() + "' would have more than "
          + MAX_BRANCH_COLUMNS + " columns on branch '" + c.branch() + "'", Map.of("table", c.table(), "branch",
          c.branch()));
    }
    Set<String> seen = new HashSet<>();
    for (TableShape.Column a : c.columns()) {
      String why = reads.contains(a.name()) ? "branch '" + c.branch() + "' has a column '" + a.name() + "' already"
          : tables.contains(a.name()) ? "table '" + c.table() + "' has a column '" + a.name() + "' that branch '"
              + c.branch() + "' does not read (it was added on the default branch after the branch was created);"
              + " a branch created from the default branch now reads it"
          : !seen.add(a.name()) ? "column '" + a.name() + "' is added twice" : null;
      if (why != null) {
        throw new StrataException(ErrorCode.ValidationError, why,
            Map.of("table", c.table(), "branch", c.branch(), "column", a.name()));
      }
    }
  }

  /**
   * Refuses changing columns the branch did not add (the table's own: not built), columns it does not have,
   * a name twice, or a change to nothing; and answers 409 when a column's definition is no longer the one
   * the change was worked out from (another change of the branch's shape came first).
   */
  public static void requireAlterable(RepositoryState state, AlterBranchColumns c) {
    requireChangeable(state, c);
    Map<String, TableShape.Column> added = new LinkedHashMap<>();
    state.addedOn(c.table(), c.branch()).forEach(a -> added.put(a.name(), a));
    Set<String> reads = new HashSet<>(state.columnsOn(c.table(), c.branch()).stream().map(TableColumn::name).toList());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < c.columns().size(); i++) {
      TableShape.Column to = c.columns().get(i);
      TableShape.Column now = added.get(to.name());
      String why = !seen.add(to.name()) ? "column '" + to.name() + "' is altered twice"
          : now != null && (!now.type().equals(to.type()) || c.using().containsKey(to.name()))
              && !BranchConstraints.naming(state, c.table(), c.branch(), to.name()).isEmpty() ? "check or index '"
              + BranchConstraints.naming(state, c.table(), c.branch(), to.name()).get(0) + "' of branch '" + c.branch()
              + "' names column '" + to.name() + "': drop it before changing the column's type"
          : now != null ? null
          : reads.contains(to.name()) ? "column '" + to.name() + "' of table '" + c.table() + "' was not added on branch '"
              + c.branch() + "': a branch alters only the columns it added (altering the table's columns on a branch"
              + " is not built yet)"
          : "branch '" + c.branch() + "' has no column '" + to.name() + "' in table '" + c.table() + "'";
      if (why != null) {
        throw new StrataException(ErrorCode.ValidationError, why,
            Map.of("table", c.table(), "branch", c.branch(), "column", to.name()));
      }
    }
    for (int i = 0; i < c.columns().size(); i++) {
      TableShape.Column to = c.columns().get(i);
      TableShape.Column from = c.from().get(i);
      TableShape.Column now = added.get(to.name());
      if (!now.equals(from)) {
        throw new StrataException(ErrorCode.SchemaMoved, "column '" + to.name() + "' of table '" + c.table()
            + "' changed on branch '" + c.branch() + "' while this change was worked out: send it again",
            Map.of("table", c.table(), "branch", c.branch(), "column", to.name()));
      }
      if (SchemaMerge.same(now, to) && !c.using().containsKey(to.name())) {
        throw new StrataException(ErrorCode.ValidationError, "column '" + to.name() + "' of table '" + c.table()
            + "' is " + to.type() + (to.nullable() ? "" : " not null") + " on branch '" + c.branch()
            + "' already: nothing to change", Map.of("table", c.table(), "branch", c.branch(), "column", to.name()));
      }
    }
  }

  /**
   * The definitions of the columns {@code c} drops, in its order: columns the branch added, and columns of
   * the table itself it reads (the rows it has not written stop reading them; the table keeps them). Refused
   * (422) for a column of the table's primary key, a column the branch does not have, or a name twice. A dropped column's values on the branch are gone with it: the branch's commits
   * keep them, and a hard reset to one of those gives them back.
   */
  public static List<TableShape.Column> requireDroppable(RepositoryState state, DropBranchColumns c) {
    requireChangeable(state, c);
    Map<String, TableShape.Column> added = new LinkedHashMap<>();
    state.addedOn(c.table(), c.branch()).forEach(a -> added.put(a.name(), a));
    Map<String, TableShape.Column> own = tableColumns(state.tables().get(c.table()));
    List<TableColumn> reads = state.columnsOn(c.table(), c.branch());
    Set<String> readNames = new HashSet<>(reads.stream().map(TableColumn::name).toList());
    List<String> key = state.tables().get(c.table()).primaryKey();
    Set<String> seen = new HashSet<>();
    List<TableShape.Column> dropped = new ArrayList<>();
    for (String name : c.names()) {
      String why = !seen.add(name) ? "column '" + name + "' is dropped twice"
          : !readNames.contains(name) ? "branch '" + c.branch() + "' has no column '" + name + "' in table '"
              + c.table() + "'"
          : key.contains(name) ? "column '" + name + "' is in the primary key of table '" + c.table()
              + "': rows are matched by their key on every branch, so it cannot be dropped on one"
          : !added.containsKey(name) && !own.containsKey(name) ? "column '" + name + "' of table '" + c.table()
              + "' is not one branch '" + c.branch() + "' can drop"
          : !BranchConstraints.naming(state, c.table(), c.branch(), name).isEmpty() ? "check or index '"
              + BranchConstraints.naming(state, c.table(), c.branch(), name).get(0) + "' of branch '" + c.branch()
              + "' names column '" + name + "': drop it first"
          : added.containsKey(name) ? null
          : ownDropRefusal(own, name, c.names());
      if (why != null) {
        throw new StrataException(ErrorCode.ValidationError, why,
            Map.of("table", c.table(), "branch", c.branch(), "column", name));
      }
      dropped.add(added.containsKey(name) ? added.get(name) : own.get(name));
    }
    return dropped;
  }

  /**
   * Why column {@code name} of the table cannot be dropped on a branch (null: it can), {@code dropping} being
   * every column the request drops: a NOT NULL column the table fills for no row (no default, identity or
   * generation) — the rows the branch inserts could never be merged into the table — or one a generated
   * column the branch keeps is computed from.
   */
  private static String ownDropRefusal(Map<String, TableShape.Column> own, String name, List<String> dropping) {
    TableShape.Column c = own.get(name);
    if (!c.nullable() && c.defaultValue() == null && c.identity() == null && c.generated() == null) {
      return "column '" + name + "' is NOT NULL without a default in the table: the rows the branch inserts"
          + " without it could not be merged into the table, so it is not dropped on the branch";
    }
    Pattern named = Pattern.compile("(?<![A-Za-z0-9_$])" + Pattern.quote(name) + "(?![A-Za-z0-9_$])|\""
        + Pattern.quote(name.replace("\"", "\"\"")) + "\"");
    for (TableShape.Column g : own.values()) {
      if (g.generated() != null && !dropping.contains(g.name()) && named.matcher(g.generated()).find()) {
        return "generated column '" + g.name() + "' is computed from column '" + name + "': drop both, or neither";
      }
    }
    return null;
  }

  /** The table's own columns by name, as its recorded shape defines them (its column list, for an old record). */
  public static Map<String, TableShape.Column> tableColumns(io.strata.events.TableTracked t) {
    Map<String, TableShape.Column> by = new LinkedHashMap<>();
    if (t.shape() != null) {
      t.shape().columns().forEach(x -> by.put(x.name(), x));
    } else {
      t.columns().forEach(x -> by.put(x.name(), new TableShape.Column(x.name(), x.type(), x.nullable(), null, null,
          null, null)));
    }
    return by;
  }
}
