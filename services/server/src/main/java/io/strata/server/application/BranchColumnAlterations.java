package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.auth.Permission;
import io.strata.server.domain.BranchSchemaCommand;
import io.strata.server.domain.BranchSchemaDecider;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Columns a branch added, altered on it ({@code alter_column}): a new type cast or converted by a client's expression
 * ({@code using}), a nullability. Each new definition is worked out by the table's database first (in a transaction
 * it rolls back); then, in the repository's queue, the branch's objects take it in the command's transaction. The
 * table's own columns are redefined by {@link TableColumnRedefinitionCommands}; the rest of a branch's schema
 * operations are {@link BranchSchemaCommands}'.
 */
@ApplicationScoped
public class BranchColumnAlterations {
  private final BranchSchemaCommands commands;
  private final CommandProcessor processor;
  private final StorageBackends backends;
  private final TableQueries tables;
  private final ProjectionRuntime projections;
  private final StrataConfig config;

  @Inject
  public BranchColumnAlterations(BranchSchemaCommands commands, CommandProcessor processor, StorageBackends backends,
      TableQueries tables, ProjectionRuntime projections, StrataConfig config) {
    this.commands = commands;
    this.processor = processor;
    this.backends = backends;
    this.tables = tables;
    this.projections = projections;
    this.config = config;
  }

  /**
   * Changes the type or nullability of columns {@code branch} added to {@code table}. Each new definition
   * is worked out by the table's database from the one the branch has (a default that does not convert, a
   * NOT NULL column without one: 422) before anything changes; then, in the repository's queue, the
   * branch's objects take them in the command's transaction — the rows the branch wrote are converted
   * (a value that does not, or a null in a column made NOT NULL: 422, nothing changed), the rows it reads
   * from the table read the converted default. The table is not touched.
   *
   * @param answer renders the reply from the columns as the database defined them
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> alterColumns(String repository, String branch, String table, List<ColumnOperationInput.ColumnChange> changes,
      boolean validateOnly, CommandContext ctx, Function<List<TableShape.Column>, Answer> answer) {
    ColumnOperationInput.checkChanges(changes);
    return tables.table(repository, table)
        .chain(found -> {
          TableRow t = found.orElseThrow(() -> new StrataException(ErrorCode.TableNotFound,
              "table '" + table + "' is not tracked", Map.of("table", table)));
          List<TableShape.Column> from = new java.util.ArrayList<>();
          List<BranchObjects.Redefinition> redefinitions = new java.util.ArrayList<>();
          boolean unknown = false;
          // the names as the branch shows them: their stored names (checked again in the queue)
          Map<String, String> renamed = t.renamedOn(branch);
          Map<String, String> storedOf = new java.util.HashMap<>();
          List<String> storedNames = changes.stream().map(c -> renamed.entrySet().stream()
              .filter(e -> e.getValue().equals(c.name())).map(Map.Entry::getKey).findFirst()
              .orElse(renamed.containsKey(c.name()) ? "\u0000" : c.name())).toList();
          java.util.Set<String> addedNames = new java.util.HashSet<>(t.addedOn(branch).stream()
              .map(TableShape.Column::name).toList());
          long ofTable = storedNames.stream().filter(n -> !addedNames.contains(n)
              && t.columnsOn(branch).stream().anyMatch(x -> x.name().equals(n))).count();
          if (changes.stream().anyMatch(c -> c.using() != null)) {
            if (changes.size() > 1) {
              // each conversion runs a client's expression over the branch's rows, the repository's commands waiting
              throw StrataException.invalid("operations", "a conversion (using) is one operation a request");
            }
            if (!backends.sharesAppendTransaction(t.storage())) {
              // made in a transaction of the storage's own, committed before the event: a retry would convert twice
              throw StrataException.invalid("operations[0].using", "converting values (using) is built for tables"
                  + " in the event log's database; table '" + table + "' is in storage '" + t.storage() + "'");
            }
          }
          for (int i = 0; i < changes.size(); i++) {
            if (changes.get(i).using() != null && (!addedNames.contains(storedNames.get(i))
                || !storedNames.get(i).equals(changes.get(i).name()))) {
              throw StrataException.invalid("operations[" + i + "].using", "converting values (using) is built for a"
                  + " column the branch added since its head, shown under the name it was added with: column '"
                  + changes.get(i).name() + "' of table '" + table + "' is not one on branch '" + branch + "'"
                  + (addedNames.contains(storedNames.get(i)) ? " (rename it back first)" : ""));
            }
          }
          if (ofTable > 0 && ofTable < changes.size()) {
            throw StrataException.invalid("operations", "alter the columns the branch added and the table's own in"
                + " separate requests");
          }
          if (ofTable > 0) {
            return TableColumnRedefinitionCommands.redefine(commands, repository, t, branch, changes, storedNames,
                validateOnly, ctx, answer, backends);
          }
          for (int i = 0; i < changes.size(); i++) {
            ColumnOperationInput.ColumnChange c = changes.get(i);
            if (c.changesDefault()) {
              // the rows the branch has not written read an added column's default as their value
              throw StrataException.invalid("operations[" + i + "].default", "changing the default of a column added"
                  + " on a branch is not built (the rows the branch has not written read it as their value)");
            }
          }
          for (int i = 0; i < changes.size(); i++) {
            ColumnOperationInput.ColumnChange c = changes.get(i);
            String stored = storedNames.get(i);
            storedOf.put(c.name(), stored);
            TableShape.Column now = t.addedOn(branch).stream().filter(a -> a.name().equals(stored)).findFirst()
                .orElse(null);
            unknown |= now == null;
            // not one the branch added: not worked out (the decider says why)
            now = now != null ? now : new TableShape.Column(c.name(), "text", true, null, null, null, null);
            from.add(now);
            redefinitions.add(new BranchObjects.Redefinition(now, c.using() == null && (c.type() == null
                || c.type().equals(now.type())) ? null : c.type(), c.nullable() == null ? now.nullable() : c.nullable(),
                c.using()));
          }
          Uni<List<TableShape.Column>> worked = unknown ? Uni.createFrom().item(List.copyOf(from))
              : backends.begin(repository, t.storage()).chain(open -> open.unit().roles().branchObjects()
                  .redefine(open.unit(), redefinitions)
                  .onTermination().call(open::rollback));
          return worked
              .onFailure(BranchObjects.Undefinable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
                  "column '" + ((BranchObjects.Undefinable) e).column() + "': " + e.getMessage(),
                  Map.of("table", table, "column", ((BranchObjects.Undefinable) e).column())))
              .invoke(ColumnOperationInput::requireStoredDefaultsFit)
              .chain(defined -> {
                Map<String, String> using = new java.util.HashMap<>();
                for (int i = 0; i < changes.size(); i++) {
                  if (changes.get(i).using() != null) {
                    using.put(storedNames.get(i), changes.get(i).using());
                  }
                }
                BranchSchemaCommand.AlterBranchColumns command = new BranchSchemaCommand.AlterBranchColumns(table, branch, from, defined,
                    using, validateOnly);
                if (!using.isEmpty()) {
                  return converting(repository, command, storedOf, ctx, answer.apply(shown(defined, renamed)));
                }
                return commands.onBranchObjects(repository, command, state -> {
                  BranchSchemaCommands.requireStillShown(state, table, branch, storedOf);
                  BranchSchemaDecider.requireAlterable(state, command);
                }, (unit, onBranch) -> alter(unit, onBranch, branch, defined), ctx, answer.apply(shown(defined, renamed)));
              });
        });
  }

  /** {@code defined} under the names the branch shows them ({@code renamed}: stored name to shown name). */
  private static List<TableShape.Column> shown(List<TableShape.Column> defined, Map<String, String> renamed) {
    return defined.stream().map(d -> renamed.containsKey(d.name()) ? d.named(renamed.get(d.name())) : d).toList();
  }

  /**
   * {@link #alterColumns} of a change that converts columns' values with expressions ({@code command.using()}), in
   * the repository's queue: only a column the branch added that no record holds — not its head's, not one of a
   * commit made on it, not one of a stash of it — so that no commit, change set or stash holds a value of it in the
   * old representation that a merge, cherry-pick, revert, reset or stash could bring back unconverted (422
   * otherwise, nothing changed). Every value the branch holds of
   * it is converted in the command's transaction; a value that does not convert: 422, nothing changed.
   */
  private Uni<CommandResponse> converting(String repository, BranchSchemaCommand.AlterBranchColumns command,
      Map<String, String> storedOf, CommandContext ctx, Answer answer) {
    String table = command.table();
    String branch = command.branch();
    return processor.execute(repository, Footprint.branches(branch), (tx, state) -> {
      BranchSchemaCommands.requireStillShown(state, table, branch, storedOf);
      BranchSchemaDecider.requireAlterable(state, command);
      RepositoryState.Branch b = state.branch(branch);
      // the records read include every event the state has seen
      return projections.awaitVersion(repository, state.version(), config.consistency().waitTimeout())
          .chain(() -> io.strata.server.runtime.CommitGraphReads.recordedOnBranch(tx, repository, table, branch,
              b.createdAt(), b.head(), List.copyOf(command.using().keySet())))
          .chain(recorded -> {
            if (!recorded.isEmpty()) {
              throw new StrataException(ErrorCode.ValidationError, "column '" + recorded.get(0) + "' of table '"
                  + table + "' is recorded by branch '" + branch + "''s head, a commit made on it or a stash of it:"
                  + " converting values (using) is built only for a column no commit or stash holds (merges,"
                  + " cherry-picks, reverts, resets and stashes would bring back values of it in the old"
                  + " representation); add a column of the new type and fill it instead",
                  Map.of("table", table, "branch", branch, "column", recorded.get(0)));
            }
            return command.validateOnly() ? Uni.createFrom().item((Commands.Command) command)
                : commands.onBranch(tx, state, repository, command,
                    (unit, onBranch) -> alter(unit, onBranch, branch, command.columns(), command.using()));
          });
    }, ctx, answer);
  }

  /** Alters columns of {@code branch}'s objects of a table; a value that does not convert, or is null: 422. */
  static Uni<Void> alter(UnitOfWork unit, TrackedTable onBranch, String branch, List<TableShape.Column> columns) {
    return alter(unit, onBranch, branch, columns, Map.of());
  }

  /** As above, the columns {@code using} names converted by its expressions. */
  static Uni<Void> alter(UnitOfWork unit, TrackedTable onBranch, String branch, List<TableShape.Column> columns,
      Map<String, String> using) {
    return unit.roles().branchObjects().alterColumns(unit, onBranch, branch, columns, using)
        .onFailure(f -> "2BP01".equals(PgErrors.sqlState(f))).transform(f -> BranchSchemaCommands.dependents(onBranch, branch, f))
        // the database's refusal of the values (a conversion that fails or changes them, a null, a type whose
        // values do not convert at all): the client's to resolve
        .onFailure(f -> PgErrors.sqlState(f) != null && (List.of("0A", "22", "23", "42")
            .contains(PgErrors.sqlState(f).substring(0, 2)) || !using.isEmpty() && byTheExpression(PgErrors.sqlState(f))))
        .transform(f -> new StrataException(ErrorCode.ValidationError, "the rows of table '" + onBranch.name()
            + "' that branch '" + branch + "' wrote do not take the change of columns " + columns.stream()
            .map(TableShape.Column::name).toList() + ": " + PgErrors.message(f) + "; nothing changed",
            Map.of("table", onBranch.name(), "branch", branch)));
  }

  /**
   * Whether a conversion's failure with {@code sqlState} is the expression's doing (the client's to resolve: a time
   * limit, a memory or program limit it reached) rather than the server's connection, a serialization failure or a
   * shutdown, which stay the server's.
   */
  private static boolean byTheExpression(String sqlState) {
    return !sqlState.startsWith("08") && !sqlState.startsWith("40") && !sqlState.startsWith("57P")
        && !"53300".equals(sqlState);
  }
}
