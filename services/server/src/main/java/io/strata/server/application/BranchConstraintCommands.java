package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.auth.Permission;
import io.strata.server.domain.BranchConstraints;
import io.strata.server.domain.BranchSchemaCommand;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CHECK constraints a branch adds to a table (not the table's own) and drops again. Each is defined by the
 * table's database first — parsed as {@code ALTER TABLE … ADD CONSTRAINT … CHECK} parses it, over the branch's
 * columns, in a transaction it rolls back; only immutable functions — and only the printed form is kept; then,
 * in the repository's queue, every row the branch reads is checked (one that fails: 422 naming its key, nothing
 * changed) and its overlay holds the rows it writes to it. The table is not touched; no row is copied.
 */
@ApplicationScoped
public class BranchConstraintCommands {
  /** A constraint's name as a client gives it. */
  private static final Pattern NAME = Pattern.compile("(?!strata_)[a-z_][a-z0-9_]{0,62}");
  static final int MAX_CHECK_LENGTH = 2000;

  private final BranchSchemaCommands schemas;
  private final StorageBackends backends;
  private final TableQueries tables;

  @Inject
  public BranchConstraintCommands(BranchSchemaCommands schemas, StorageBackends backends, TableQueries tables) {
    this.schemas = schemas;
    this.backends = backends;
    this.tables = tables;
  }

  /** A check a client asks for: its name and its expression. */
  public record NewCheck(String name, String check) {}

  /** Adds {@code checks} to {@code table} on {@code branch}; {@code validateOnly}: checked and decided only. */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> addChecks(String repository, String branch, String table, List<NewCheck> checks,
      boolean validateOnly, CommandContext ctx, Answer answer) {
    requireWellFormed(checks);
    return tracked(repository, table).chain(t -> {
      // the columns as the branch shows them: a check names them so (one of a renamed column is refused)
      Map<String, String> renamed = t.renamedOn(branch);
      List<TableColumn> shown = t.columnsOn(branch).stream().map(c -> new TableColumn(
          renamed.getOrDefault(c.name(), c.name()), c.type(), c.nullable())).toList();
      Map<String, String> storedOf = storedNames(t, branch);
      List<TableShape.Constraint> defined = new ArrayList<>();
      Map<String, List<String>> named = new HashMap<>();
      Uni<Void> chain = Uni.createFrom().voidItem();
      for (NewCheck c : checks) {
        chain = chain.chain(() -> backends.begin(repository, t.storage())
            .chain(open -> open.unit().roles().branchObjects().defineCheck(open.unit(), shown, c.name(), c.check())
                .onTermination().call(open::rollback))
            .onFailure(BranchObjects.Undefinable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
                "check '" + c.name() + "': " + e.getMessage(), Map.of("table", table, "constraint", c.name())))
            .invoke(d -> {
              defined.add(d.constraint());
              // a shown name of a renamed column is its stored name's: the decider refuses it by that
              named.put(c.name(), d.columns().stream().map(n -> renamed.containsValue(n) ? storedOf.get(n) : n)
                  .toList());
            })
            .replaceWithVoid());
      }
      return chain.chain(() -> {
        BranchSchemaCommand.AddBranchConstraints command = new BranchSchemaCommand.AddBranchConstraints(table, branch, defined, named,
            validateOnly);
        return schemas.onBranchObjects(repository, command, state -> BranchConstraints.requireAddable(state, command),
            (unit, onBranch) -> unit.roles().branchObjects().addRules(unit, onBranch, branch, defined)
                .onFailure(BranchObjects.CheckFailed.class).transform(e -> failed(table, branch, e)),
            // checked only: the branch's rows looked at too (read only)
            (unit, onBranch) -> unit.roles().branchObjects().requireRules(unit, onBranch, branch, defined)
                .onFailure(BranchObjects.CheckFailed.class).transform(e -> failed(table, branch, e)),
            ctx, answer);
      });
    });
  }

  /** The methods a branch's index takes (the default first). */
  public static final List<String> INDEX_METHODS = List.of("btree", "hash", "brin");

  /** The most columns an index of a branch's has. */
  static final int MAX_INDEX_COLUMNS = 32;

  /** An index a client asks for: its name, the columns it indexes (as the branch shows them) and its method. */
  public record NewIndex(String name, List<String> columns, String method) {}

  /**
   * Adds indexes {@code indexes} to {@code table} on {@code branch}: each defined by the table's database first (its
   * method and the columns' types judged, in a transaction rolled back), then built on the branch's overlay in the
   * repository's queue. {@code validateOnly}: defined and decided only.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> addIndexes(String repository, String branch, String table, List<NewIndex> indexes,
      boolean validateOnly, CommandContext ctx, Answer answer) {
    requireWellFormedIndexes(indexes);
    return tracked(repository, table).chain(t -> {
      Map<String, String> storedOf = storedNames(t, branch);
      List<TableShape.Constraint> defined = new ArrayList<>();
      Map<String, List<String>> named = new HashMap<>();
      Uni<Void> chain = Uni.createFrom().voidItem();
      for (int i = 0; i < indexes.size(); i++) {
        NewIndex x = indexes.get(i);
        List<String> stored = stored(storedOf, x.columns(), i, branch, table);
        String method = x.method() == null ? INDEX_METHODS.get(0) : x.method();
        // defined over the stored names (the decider refuses a renamed column by its stored name, as a check's)
        chain = chain.chain(() -> backends.begin(repository, t.storage())
            .chain(open -> open.unit().roles().branchObjects().defineIndex(open.unit(),
                    io.strata.projections.rowdata.TrackedTable.on(repository, t, branch), t.columnsOn(branch), x.name(),
                    method, stored)
                .onTermination().call(open::rollback))
            .onFailure(BranchObjects.Undefinable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
                "index '" + x.name() + "': " + e.getMessage(), Map.of("table", table, "index", x.name())))
            .invoke(d -> {
              defined.add(d.constraint());
              named.put(x.name(), d.columns());
            })
            .replaceWithVoid());
      }
      return chain.chain(() -> {
        BranchSchemaCommand.AddBranchConstraints command = new BranchSchemaCommand.AddBranchConstraints(table, branch, defined, named,
            validateOnly);
        return schemas.onBranchObjects(repository, command, state -> BranchConstraints.requireAddable(state, command),
            (unit, onBranch) -> unit.roles().branchObjects().addRules(unit, onBranch, branch, defined)
                // a row the branch wrote that the index cannot hold (an entry too large for a btree page)
                .onFailure(e -> PgErrors.hasStateClass(e, "54") || PgErrors.hasStateClass(e, "22"))
                .transform(e -> new StrataException(ErrorCode.ValidationError, "table '" + table + "' on branch '"
                    + branch + "': a row the branch wrote cannot be indexed so: " + PgErrors.message(e)
                    + "; nothing changed", Map.of("table", table, "branch", branch))),
            ctx, answer);
      });
    });
  }

  /** A unique constraint a client asks for: its name and the columns it holds unique (as the branch shows them). */
  public record NewUnique(String name, List<String> columns) {}

  /**
   * Adds unique constraints {@code uniques} to {@code table} on {@code branch}: each defined by the table's database
   * first (columns of the table's own, a btree operator class for each, and an index of the table on them to look the
   * branch's written rows up through), then, in the repository's queue, held by its overlay (every transaction that
   * writes the branch's rows checked at its end) and no two rows it reads sharing the values (422 naming two keys
   * otherwise, nothing changed). {@code
   * validateOnly}: defined, decided and looked at only.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> addUniques(String repository, String branch, String table, List<NewUnique> uniques,
      boolean validateOnly, CommandContext ctx, Answer answer) {
    requireNames(uniques == null ? null : uniques.stream().map(NewUnique::name).toList(), "a constraint's name: 1-63"
        + " characters of a-z 0-9 _, not starting with a digit nor with strata_");
    for (int i = 0; i < uniques.size(); i++) {
      List<String> columns = uniques.get(i).columns();
      if (columns == null || columns.isEmpty() || columns.size() > MAX_INDEX_COLUMNS
          || columns.stream().anyMatch(c -> c == null || c.isEmpty() || c.length() > 63)
          || columns.stream().distinct().count() != columns.size()) {
        throw StrataException.invalid("operations[" + i + "].columns", "the names of 1-" + MAX_INDEX_COLUMNS
            + " distinct columns the branch shows, which the constraint holds unique together");
      }
    }
    return tracked(repository, table).chain(t -> {
      Map<String, String> storedOf = storedNames(t, branch);
      List<TableShape.Constraint> defined = new ArrayList<>();
      Map<String, List<String>> named = new HashMap<>();
      Uni<Void> chain = Uni.createFrom().voidItem();
      for (int i = 0; i < uniques.size(); i++) {
        NewUnique u = uniques.get(i);
        List<String> stored = stored(storedOf, u.columns(), i, branch, table);
        chain = chain.chain(() -> backends.begin(repository, t.storage())
            .chain(open -> open.unit().roles().branchObjects().defineUnique(open.unit(),
                    io.strata.projections.rowdata.TrackedTable.on(repository, t, branch), t.columnsOn(branch), u.name(),
                    stored)
                .onTermination().call(open::rollback))
            .onFailure(BranchObjects.Undefinable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
                "unique constraint '" + u.name() + "': " + e.getMessage(), Map.of("table", table, "constraint",
                    u.name())))
            .invoke(d -> {
              defined.add(d.constraint());
              named.put(u.name(), d.columns());
            })
            .replaceWithVoid());
      }
      return chain.chain(() -> {
        BranchSchemaCommand.AddBranchConstraints command = new BranchSchemaCommand.AddBranchConstraints(table, branch,
            defined, named, validateOnly);
        // the rows it reads are looked at pairwise once; from then on every transaction that writes the branch's
        // rows (a discard bringing a before-image back too) is checked at its end
        return schemas.onBranchObjects(repository, command, state -> BranchConstraints.requireAddable(state, command),
            (unit, onBranch) -> unit.roles().branchObjects().addRules(unit, onBranch, branch, defined)
                .onFailure(BranchObjects.CheckFailed.class).transform(e -> shared(table, branch, e)),
            (unit, onBranch) -> unit.roles().branchObjects().requireRules(unit, onBranch, branch, defined)
                .onFailure(BranchObjects.CheckFailed.class).transform(e -> shared(table, branch, e)),
            ctx, answer);
      });
    });
  }

  /** The refusal of a unique constraint two rows the branch reads break. */
  private static StrataException shared(String table, String branch, Throwable e) {
    BranchObjects.CheckFailed f = (BranchObjects.CheckFailed) e;
    return new StrataException(ErrorCode.ValidationError, "table '" + table + "' on branch '" + branch + "': the rows"
        + " of keys " + String.join(" and ", f.keys()) + " share the values unique constraint '" + f.constraint()
        + "' would hold unique; change one first; nothing changed",
        Map.of("table", table, "branch", branch, "constraint", f.constraint()));
  }

  private Uni<TableRow> tracked(String repository, String table) {
    return tables.table(repository, table).map(found -> found.orElseThrow(() -> new StrataException(
        ErrorCode.TableNotFound, "table '" + table + "' is not tracked", Map.of("table", table))));
  }

  /**
   * The stored names of {@code shown}, the columns operation {@code i} names as {@code branch} shows them; one it
   * does not show: 422 naming it.
   */
  private static List<String> stored(Map<String, String> storedOf, List<String> shown, int i, String branch,
      String table) {
    List<String> stored = new ArrayList<>();
    for (int j = 0; j < shown.size(); j++) {
      String column = shown.get(j);
      if (!storedOf.containsKey(column)) {
        throw StrataException.invalid("operations[" + i + "].columns[" + j + "]", "branch '" + branch
            + "' has no column '" + column + "' in table '" + table + "'");
      }
      stored.add(storedOf.get(column));
    }
    return stored;
  }

  /** The stored name of each column {@code branch} reads of {@code t}, by the name it shows. */
  private static Map<String, String> storedNames(TableRow t, String branch) {
    Map<String, String> renamed = t.renamedOn(branch);
    Map<String, String> storedOf = new HashMap<>();
    t.columnsOn(branch).forEach(c -> storedOf.put(renamed.getOrDefault(c.name(), c.name()), c.name()));
    return storedOf;
  }

  /** Drops indexes {@code names} the branch added to {@code table}. */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> dropIndexes(String repository, String branch, String table, List<String> names,
      boolean validateOnly, CommandContext ctx, Answer answer) {
    requireNames(names, "the name of an index the branch added");
    BranchSchemaCommand.DropBranchConstraints command = new BranchSchemaCommand.DropBranchConstraints(table, branch, names,
        TableShape.INDEX, validateOnly);
    return schemas.onBranchObjects(repository, command, state -> BranchConstraints.requireDroppable(state, command),
        (unit, onBranch) -> unit.roles().branchObjects().dropRules(unit, onBranch, branch, names), ctx, answer);
  }

  private static void requireWellFormedIndexes(List<NewIndex> indexes) {
    requireNames(indexes == null ? null : indexes.stream().map(NewIndex::name).toList(), "an index's name: 1-63"
        + " characters of a-z 0-9 _, not starting with a digit nor with strata_");
    for (int i = 0; i < indexes.size(); i++) {
      NewIndex x = indexes.get(i);
      String at = "operations[" + i + "]";
      if (x.columns() == null || x.columns().isEmpty() || x.columns().size() > MAX_INDEX_COLUMNS
          || x.columns().stream().anyMatch(c -> c == null || c.isEmpty() || c.length() > 63)
          || x.columns().stream().distinct().count() != x.columns().size()) {
        throw StrataException.invalid(at + ".columns", "the names of 1-" + MAX_INDEX_COLUMNS + " distinct columns"
            + " the branch shows, in the index's order");
      }
      if (x.method() != null && !INDEX_METHODS.contains(x.method())) {
        throw StrataException.invalid(at + ".method", "one of " + INDEX_METHODS + " (default " + INDEX_METHODS.get(0)
            + ")");
      }
      if ("hash".equals(x.method()) && x.columns().size() != 1) {
        throw StrataException.invalid(at + ".columns", "a hash index has one column");
      }
    }
  }

  /** Refuses a list of names that is empty, too long, or holds one {@link #NAME} does not take (422). */
  private static void requireNames(List<String> names, String what) {
    ColumnOperationInput.checkCount(names);
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i) == null || !NAME.matcher(names.get(i)).matches()) {
        throw StrataException.invalid("operations[" + i + "].name", what);
      }
    }
  }

  /** The refusal of a check a row of the branch fails. */
  private static StrataException failed(String table, String branch, Throwable e) {
    BranchObjects.CheckFailed f = (BranchObjects.CheckFailed) e;
    return new StrataException(ErrorCode.ValidationError, "table '" + table + "' on branch '" + branch + "': the row"
        + " of key " + f.key() + " fails check '" + f.constraint() + "'; change it first; nothing changed",
        Map.of("table", table, "branch", branch, "constraint", f.constraint()));
  }

  /** Drops checks {@code names} the branch added to {@code table}. */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> dropChecks(String repository, String branch, String table, List<String> names,
      boolean validateOnly, CommandContext ctx, Answer answer) {
    requireNames(names, "the name of a check the branch added");
    BranchSchemaCommand.DropBranchConstraints command = new BranchSchemaCommand.DropBranchConstraints(table, branch, names, "check",
        validateOnly);
    return schemas.onBranchObjects(repository, command, state -> BranchConstraints.requireDroppable(state, command),
        (unit, onBranch) -> unit.roles().branchObjects().dropRules(unit, onBranch, branch, names), ctx, answer);
  }

  private static void requireWellFormed(List<NewCheck> checks) {
    ColumnOperationInput.checkCount(checks);
    for (int i = 0; i < checks.size(); i++) {
      NewCheck c = checks.get(i);
      String at = "operations[" + i + "]";
      if (c.name() == null || !NAME.matcher(c.name()).matches()) {
        throw StrataException.invalid(at + ".name", "a constraint's name: 1-63 characters of a-z 0-9 _, not starting"
            + " with a digit nor with strata_");
      }
      if (c.check() == null || c.check().isBlank() || c.check().length() > MAX_CHECK_LENGTH
          || c.check().indexOf('\u0000') >= 0) {
        throw StrataException.invalid(at + ".check", "the constraint's boolean expression over the branch's columns,"
            + " 1-" + MAX_CHECK_LENGTH + " characters");
      }
    }
  }
}
