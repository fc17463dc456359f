package io.strata.server.domain;

import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.server.domain.BranchSchemaCommand.AddBranchConstraints;
import io.strata.server.domain.BranchSchemaCommand.DropBranchConstraints;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules a branch adds to a table (not the table's own): CHECK constraints — the rows it writes keep to them,
 * and every row it read when one was added did — and indexes of its own (rules of kind {@link TableShape#INDEX}),
 * built over the rows it writes. They travel with the branch's shape, one list merged three ways by name. Pure.
 */
public final class BranchConstraints {
  /** The most rules (checks and indexes) a branch adds to a table. */
  static final int MAX_CHECKS = 100;

  private BranchConstraints() {}

  /** The event of {@code c}: its operations and every constraint the branch has after. */
  static TableBranchSchemaChanged decide(RepositoryState state, BranchSchemaCommand c) {
    List<TableShape.Constraint> after = new ArrayList<>(state.constraintsOn(c.table(), c.branch()));
    List<TableBranchSchemaChanged.Operation> operations = new ArrayList<>();
    if (c instanceof AddBranchConstraints add) {
      requireAddable(state, add);
      for (TableShape.Constraint check : add.checks()) {
        after.add(check);
        operations.add(TableBranchSchemaChanged.Operation.onConstraint(TableBranchSchemaChanged.ADD_CONSTRAINT, check));
      }
    } else {
      DropBranchConstraints drop = (DropBranchConstraints) c;
      for (TableShape.Constraint check : requireDroppable(state, drop)) {
        after.removeIf(x -> x.name().equals(check.name()));
        operations.add(TableBranchSchemaChanged.Operation.onConstraint(TableBranchSchemaChanged.DROP_CONSTRAINT,
            check));
      }
    }
    return new TableBranchSchemaChanged(c.table(), c.branch(), operations, state.columnsOn(c.table(), c.branch()),
        state.addedOn(c.table(), c.branch()), state.renamedOn(c.table(), c.branch()),
        state.redefinedOn(c.table(), c.branch()), after);
  }

  /**
   * Refuses rules a branch cannot add (422): on the default branch (DDL on the table), with a merge or rebase
   * in progress, a name the table's constraints or indexes or the branch's rules have, a name twice, a column the
   * branch does not read or shows under another name, more than {@link #MAX_CHECKS}.
   */
  public static void requireAddable(RepositoryState state, AddBranchConstraints c) {
    BranchSchemaDecider.requireChangeable(state, c);
    TableTracked t = state.tables().get(c.table());
    Set<String> taken = new HashSet<>();
    if (t.shape() != null && t.shape().constraints() != null) {
      t.shape().constraints().forEach(x -> taken.add(x.name()));
    }
    if (t.shape() != null && t.shape().indexes() != null) {
      t.shape().indexes().forEach(x -> taken.add(x.name()));
    }
    Set<String> own = new HashSet<>();
    state.constraintsOn(c.table(), c.branch()).forEach(x -> own.add(x.name()));
    if (own.size() + c.checks().size() > MAX_CHECKS) {
      throw new StrataException(ErrorCode.ValidationError, "table '" + c.table() + "' would have more than "
          + MAX_CHECKS + " checks and indexes of branch '" + c.branch() + "'", Map.of("table", c.table(), "branch", c.branch()));
    }
    Set<String> reads = new HashSet<>(state.columnsOn(c.table(), c.branch()).stream().map(TableColumn::name).toList());
    Map<String, String> renamed = state.renamedOn(c.table(), c.branch());
    Set<String> seen = new HashSet<>();
    for (TableShape.Constraint check : c.checks()) {
      String what = kindOf(check);
      // (a unique rule the table has as its own constraint, defined alike, is the table's: a branch forked before a
      // merge made it the table's takes it as it is)
      boolean tablesOwn = UNIQUE.equals(check.kind()) && t.shape() != null && t.shape().constraints() != null
          && t.shape().constraints().contains(check);
      String why = taken.contains(check.name()) && !tablesOwn ? "table '" + c.table() + "' has a constraint or index '"
              + check.name() + "' already"
          : own.contains(check.name()) ? "branch '" + c.branch() + "' has a check or index '" + check.name()
              + "' already"
          : !seen.add(check.name()) ? what + " '" + check.name() + "' is added twice"
          : null;
      for (String column : c.named().getOrDefault(check.name(), List.of())) {
        if (why == null && (!reads.contains(column) || renamed.containsKey(column))) {
          why = renamed.containsKey(column) ? what + " '" + check.name() + "' names column '" + column + "', which"
              + " branch '" + c.branch() + "' shows as '" + renamed.get(column) + "': a " + what + " of a renamed"
              + " column is not built yet" : "branch '" + c.branch() + "' has no column '" + column + "' in table '" + c.table() + "'";
        }
      }
      if (why != null) {
        throw new StrataException(ErrorCode.ValidationError, why,
            Map.of("table", c.table(), "branch", c.branch(), "constraint", check.name()));
      }
    }
  }

  /**
   * The rules {@code c} drops, in its order; a name the branch did not add as a rule of {@code c}'s kind, or twice:
   * 422.
   */
  public static List<TableShape.Constraint> requireDroppable(RepositoryState state, DropBranchConstraints c) {
    BranchSchemaDecider.requireChangeable(state, c);
    List<TableShape.Constraint> own = state.constraintsOn(c.table(), c.branch());
    Set<String> seen = new HashSet<>();
    List<TableShape.Constraint> dropped = new ArrayList<>();
    String what = TableShape.INDEX.equals(c.kind()) ? "index" : c.kind() == null ? "check or index" : "check";
    // drop_constraint drops the branch's checks and unique rules alike
    boolean constraints = "check".equals(c.kind());
    for (String name : c.names()) {
      TableShape.Constraint found = own.stream().filter(x -> x.name().equals(name)
          && (c.kind() == null || kindOf(x).equals(what) || constraints && UNIQUE.equals(x.kind()))).findFirst()
          .orElse(null);
      String why = !seen.add(name) ? what + " '" + name + "' is dropped twice"
          : found == null ? "branch '" + c.branch() + "' added no " + what + " '" + name + "' to table '" + c.table()
              + "' (the table's own constraints and indexes change with DDL on the default branch)"
          : null;
      if (why != null) {
        throw new StrataException(ErrorCode.ValidationError, why,
            Map.of("table", c.table(), "branch", c.branch(), "constraint", name));
      }
      dropped.add(found);
    }
    return dropped;
  }

  /** The kind of a branch's unique rule: the rows it reads share no values of its columns. */
  public static final String UNIQUE = "unique";

  /** What a rule is, as messages name it: {@code index}, {@code unique constraint} or {@code check}. */
  public static String kindOf(TableShape.Constraint rule) {
    return TableShape.INDEX.equals(rule.kind()) ? "index" : UNIQUE.equals(rule.kind()) ? "unique constraint" : "check";
  }

  /** Whether {@code rule} is a CHECK constraint (not an index, nor a unique rule). */
  public static boolean isCheck(TableShape.Constraint rule) {
    return "check".equals(rule.kind());
  }

  public static boolean isUnique(TableShape.Constraint rule) {
    return UNIQUE.equals(rule.kind());
  }

  /** The branch's rules of {@code table} (checks and indexes) that name column {@code column} (by its stored name). */
  public static List<String> naming(RepositoryState state, String table, String branch, String column) {
    return state.constraintsOn(table, branch).stream().filter(x -> names(x, column))
        .map(TableShape.Constraint::name).toList();
  }

  /**
   * Whether rule {@code c}'s definition (a check's, or an index's) names column {@code column} (plain, or quoted as
   * PostgreSQL prints it).
   */
  public static boolean names(TableShape.Constraint c, String column) {
    Pattern named = Pattern.compile("(?<![A-Za-z0-9_$\"])" + Pattern.quote(column) + "(?![A-Za-z0-9_$\"])|\""
        + Pattern.quote(column.replace("\"", "\"\"")) + "\"");
    // an index's method (btree (…)) is no column: only its parenthesised columns are looked at
    String d = c.definition();
    return named.matcher((TableShape.INDEX.equals(c.kind()) || UNIQUE.equals(c.kind())) && d.indexOf('(') >= 0
        ? d.substring(d.indexOf('(')) : d).find();
  }
}
