package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.auth.Permission;
import io.strata.server.domain.BranchSchemaCommand;
import io.strata.server.domain.Commands;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.projections.postgres.PgErrors;
import io.strata.server.domain.BranchSchemaDecider;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import io.strata.projections.runtime.ProjectionRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Schema changes on a branch other than the default one, through Strata: columns added, altered (type,
 * nullability) and dropped again. The
 * table's database defines each column first (type and default normalised as it keeps them, in a
 * transaction it rolls back), then, in the repository's queue, the branch's objects take the columns in
 * the command's transaction and {@code table.branch_schema_changed} records them. Zero-copy: no row of
 * the table, the overlay or the logs is written (PostgreSQL adds a column with a constant default to a
 * table's catalog only), and the rows the branch has not written read each added column's default in
 * its view.
 */
@ApplicationScoped
public class BranchSchemaCommands {

  private final CommandProcessor processor;
  private final StorageBackends backends;
  private final TableQueries tables;
  private final ProjectionRuntime projections;
  private final StrataConfig config;

  @Inject
  public BranchSchemaCommands(CommandProcessor processor, StorageBackends backends, TableQueries tables,
      ProjectionRuntime projections, StrataConfig config) {
    this.tables = tables;
    this.processor = processor;
    this.backends = backends;
    this.projections = projections;
    this.config = config;
  }

  /**
   * Adds {@code columns} to {@code table} on {@code branch}. Each is checked (name, type, a NOT NULL
   * column's default) and defined by the table's database before anything changes; a refusal names the
   * column. {@code validateOnly}: checked and decided, nothing changed.
   *
   * @param answer renders the reply from the columns as the database defined them
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> addColumns(String repository, String branch, String table,
      List<BranchObjects.NewColumn> columns, boolean validateOnly, CommandContext ctx,
      Function<List<TableShape.Column>, Answer> answer) {
    ColumnOperationInput.check(columns);
    return tables.table(repository, table)
        .chain(found -> {
          TableRow t = found.orElseThrow(() -> new StrataException(ErrorCode.TableNotFound,
              "table '" + table + "' is not tracked", Map.of("table", table)));
          return backends.begin(repository, t.storage()).chain(open -> open.unit().roles().branchObjects()
                  .define(open.unit(), columns)
                  .onTermination().call(open::rollback))
              .onFailure(BranchObjects.Undefinable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
                  "column '" + ((BranchObjects.Undefinable) e).column() + "': " + e.getMessage(),
                  Map.of("table", table, "column", ((BranchObjects.Undefinable) e).column())));
        })
        .invoke(ColumnOperationInput::requireStoredDefaultsFit)
        .chain(defined -> addDefined(repository, branch, table, defined, validateOnly, ctx, answer.apply(defined)));
  }

  /**
   * Adds columns the table's database defined already ({@link #addColumns}, or another branch's added
   * columns a merge brings along): in the repository's queue, the branch's objects take them in the
   * command's transaction.
   */
  Uni<CommandResponse> addDefined(String repository, String branch, String table, List<TableShape.Column> defined,
      boolean validateOnly, CommandContext ctx, Answer answer) {
    BranchSchemaCommand.AddBranchColumns command = new BranchSchemaCommand.AddBranchColumns(table, branch, defined, validateOnly);
    return onBranchObjects(repository, command, state -> BranchSchemaDecider.requireAddable(state, command),
        (unit, onBranch) -> unit.roles().branchObjects().addColumns(unit, onBranch, branch, defined), ctx, answer);
  }

  /**
   * {@code command} in the repository's queue: checked by {@code require}, then (unless it only checks) the
   * branch's objects of its table changed by {@code work} in the command's transaction.
   */
  Uni<CommandResponse> onBranchObjects(String repository, BranchSchemaCommand command,
      Consumer<RepositoryState> require, BiFunction<UnitOfWork, TrackedTable, Uni<Void>> work, CommandContext ctx,
      Answer answer) {
    return onBranchObjects(repository, command, require, work, null, ctx, answer);
  }

  /**
   * As above; a command that only checks runs {@code checkOnly} (reads only, in the command's transaction), if
   * any: a check that looks at the branch's rows.
   */
  Uni<CommandResponse> onBranchObjects(String repository, BranchSchemaCommand command,
      Consumer<RepositoryState> require, BiFunction<UnitOfWork, TrackedTable, Uni<Void>> work,
      BiFunction<UnitOfWork, TrackedTable, Uni<Void>> checkOnly, CommandContext ctx, Answer answer) {
    return processor.execute(repository, Footprint.branches(command.branch()), (tx, state) -> {
      require.accept(state);
      if (command.validateOnly()) {
        return checkOnly == null ? Uni.createFrom().item(command)
            : onBranch(tx, state, repository, command, checkOnly);
      }
      return onBranch(tx, state, repository, command, work);
    }, ctx, answer);
  }

  /** {@code work} on the branch's objects of {@code command}'s table, in the command's transaction. */
  private Uni<Commands.Command> onBranch(UnitOfWork tx, RepositoryState state, String repository,
      BranchSchemaCommand command, BiFunction<UnitOfWork, TrackedTable, Uni<Void>> work) {
    TableTracked t = state.tables().get(command.table());
    TrackedTable onBranch = new TrackedTable(repository, command.table(), t.schema(), t.table(), t.primaryKey(),
        t.columns(), state.columnsOn(command.table(), command.branch()),
        state.addedOn(command.table(), command.branch()), state.renamedOn(command.table(), command.branch()),
        state.redefinedOn(command.table(), command.branch()));
    return backends.inCommand(tx, repository, t.storage(), c -> work.apply(c, onBranch)).replaceWith(command);
  }

  /**
   * Drops {@code names} — columns {@code branch} added, or columns of the table it reads but for its key —
   * from its shape of {@code table}: in the repository's queue, the branch's objects lose them in the
   * command's transaction (its view is made again, with the privileges it had). The table keeps its columns:
   * the rows the branch has not written stop reading them. Refused before anything changes otherwise.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> dropColumns(String repository, String branch, String table, List<String> names,
      boolean validateOnly, CommandContext ctx, Answer answer) {
    ColumnOperationInput.checkNames(names);
    // the names as the branch shows them, their stored names read in the queue (where its shape cannot move)
    return processor.execute(repository, Footprint.branches(branch), (tx, state) -> {
      List<String> stored = storedNames(state, table, branch, names);
      BranchSchemaCommand.DropBranchColumns command = new BranchSchemaCommand.DropBranchColumns(table, branch, stored, validateOnly);
      BranchSchemaDecider.requireDroppable(state, command);
      return command.validateOnly() ? Uni.createFrom().item(command)
          : onBranch(tx, state, repository, command, (unit, onBranch) -> drop(unit, onBranch, branch, stored));
    }, ctx, answer);
  }

  /**
   * Shows columns of {@code table} on {@code branch} under other names ({@code renames}: each from the name the
   * branch shows to the new one, in order). Nothing but the branch's views changes: the column keeps the name it
   * is stored under in the table, the branch's objects and every image, so no row is read or written, and every
   * ref that shares rows with the branch reads them as before. Refused before anything changes otherwise.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> renameColumns(String repository, String branch, String table,
      List<BranchSchemaCommand.Rename> renames, boolean validateOnly, CommandContext ctx, Answer answer) {
    ColumnOperationInput.checkRenames(renames);
    BranchSchemaCommand.RenameBranchColumns command = new BranchSchemaCommand.RenameBranchColumns(table, branch, renames, validateOnly);
    return onBranchObjects(repository, command, state -> BranchSchemaDecider.requireRenamable(state, command),
        (unit, onBranch) -> {
          Map<String, String> after = new java.util.TreeMap<>(onBranch.refRenamed());
          Map<String, String> stored = new java.util.HashMap<>();
          onBranch.columnsOnRef().forEach(c -> stored.put(onBranch.shown(c.name()), c.name()));
          for (BranchSchemaCommand.Rename r : renames) {
            String s = stored.remove(r.from());
            stored.put(r.to(), s);
            if (r.to().equals(s)) {
              after.remove(s);
            } else {
              after.put(s, r.to());
            }
          }
          return rename(unit, onBranch, branch, after);
        }, ctx, answer);
  }

  /**
   * Shows {@code branch}'s columns of {@code table} under the names {@code after} gives them (stored name to
   * shown name), a merge's source having renamed them ({@link SchemaPromotions}): checked as a whole (a swap
   * of two names is one change), the branch's views made again.
   */
  Uni<CommandResponse> renameCarried(String repository, String branch, String table, Map<String, String> after,
      CommandContext ctx) {
    BranchSchemaCommand.RenameBranchColumns command = BranchSchemaCommand.RenameBranchColumns.toNames(table, branch, after);
    return onBranchObjects(repository, command, state -> BranchSchemaDecider.requireRenamedAs(state, command),
        (unit, onBranch) -> rename(unit, onBranch, branch, after), ctx, Answer.NONE);
  }

  /**
   * Shows {@code branch}'s columns under the names {@code renamed} gives them (every one it renames); objects
   * depending on its view: 422.
   */
  static Uni<Void> rename(UnitOfWork unit, TrackedTable onBranch, String branch, Map<String, String> renamed) {
    return unit.roles().branchObjects().renameColumns(unit, onBranch, branch, renamed)
        .onFailure(f -> "2BP01".equals(PgErrors.sqlState(f))).transform(f -> dependents(onBranch, branch, f));
  }

  /**
   * The stored names of the columns {@code branch} shows as {@code shown} in {@code table}; a name it does not
   * show: 422 (after the table's and the branch's existence, which the decider checks first).
   */
  private static List<String> storedNames(RepositoryState state, String table, String branch, List<String> shown) {
    if (!state.tables().containsKey(table) || state.branch(branch) == null) {
      return shown;
    }
    List<String> stored = new java.util.ArrayList<>();
    for (String name : shown) {
      String s = state.storedName(table, branch, name);
      if (s == null) {
        throw new StrataException(ErrorCode.ValidationError, "branch '" + branch + "' has no column '" + name
            + "' in table '" + table + "'", Map.of("table", table, "branch", branch, "column", name));
      }
      stored.add(s);
    }
    return stored;
  }


  /**
   * Refuses (409) a change worked out for columns by the names the branch showed ({@code storedOf}: shown name to
   * stored name) when one of them shows another column by now (renamed meanwhile).
   */
  static void requireStillShown(RepositoryState state, String table, String branch, Map<String, String> storedOf) {
    storedOf.forEach((name, stored) -> {
      if (!stored.equals(state.storedName(table, branch, name)) && state.tables().containsKey(table)
          && state.branch(branch) != null && state.storedName(table, branch, name) != null) {
        throw new StrataException(ErrorCode.SchemaMoved, "column '" + name + "' of table '" + table
            + "' was renamed on branch '" + branch + "' while this change was worked out: send it again",
            Map.of("table", table, "branch", branch, "column", name));
      }
    });
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
            return TableColumnRedefinitionCommands.redefine(this, repository, t, branch, changes, storedNames,
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
                return onBranchObjects(repository, command, state -> {
                  requireStillShown(state, table, branch, storedOf);
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
      requireStillShown(state, table, branch, storedOf);
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
                : onBranch(tx, state, repository, command,
                    (unit, onBranch) -> alter(unit, onBranch, branch, command.columns(), command.using()));
          });
    }, ctx, answer);
  }

  /**
   * Gives the table's own columns on {@code branch} the NOT NULL rules and defaults {@code columns} define (a
   * merge's source's, {@link SchemaPromotions}); a null among the branch's rows in a column made NOT NULL: 422.
   */
  Uni<CommandResponse> redefineCarried(String repository, String branch, String table, List<TableShape.Column> columns,
      CommandContext ctx) {
    return processor.execute(repository, Footprint.branches(branch), (tx, state) -> {
      // the columns the branch still reads, and defines otherwise than carried (the table untracked meanwhile, or
      // the change made already: nothing)
      List<TableShape.Column> changing = !state.tables().containsKey(table) || state.branch(branch) == null ? List.of()
          : columns.stream().filter(c -> {
            TableShape.Column now = io.strata.server.domain.TableColumnRedefinitions.definitionOn(state, table,
                branch, c.name());
            return now != null && state.columnsOn(table, branch).stream().anyMatch(x -> x.name().equals(c.name()))
                && !RedefinitionSettlement.same(now, c);
          }).toList();
      if (changing.isEmpty()) {
        return Uni.createFrom().item((Commands.Command) new BranchSchemaCommand.RedefineBranchColumns(table, branch, List.of(),
            List.of(), true));
      }
      List<TableShape.Column> from = changing.stream().map(c -> io.strata.server.domain.TableColumnRedefinitions
          .definitionOn(state, table, branch, c.name())).toList();
      BranchSchemaCommand.RedefineBranchColumns command = new BranchSchemaCommand.RedefineBranchColumns(table, branch, from, changing, false);
      io.strata.server.domain.TableColumnRedefinitions.requireRedefinable(state, command);
      return onBranch(tx, state, repository, command, (unit, onBranch) -> TableColumnRedefinitionCommands.redefine(
          unit, onBranch, branch, io.strata.server.domain.TableColumnRedefinitions.after(onBranch.refRedefined(),
              changing)));
    }, ctx, Answer.NONE);
  }

  /**
   * Gives columns {@code branch} added the definitions a merge's source has ({@link SchemaPromotions}): as
   * {@link #alterColumns}, the definitions the schema merge read (each change's ours and merged).
   */
  Uni<CommandResponse> alterCarried(String repository, String branch, String table,
      List<io.strata.server.domain.SchemaMerge.Change> changes, CommandContext ctx) {
    BranchSchemaCommand.AlterBranchColumns command = io.strata.server.domain.ColumnsGiven.alter(table, branch, changes);
    return onBranchObjects(repository, command, state -> BranchSchemaDecider.requireAlterable(state, command),
        (unit, onBranch) -> alter(unit, onBranch, branch, command.columns()), ctx, Answer.NONE);
  }

  /** Alters columns of {@code branch}'s objects of a table; a value that does not convert, or is null: 422. */
  static Uni<Void> alter(UnitOfWork unit, TrackedTable onBranch, String branch, List<TableShape.Column> columns) {
    return alter(unit, onBranch, branch, columns, Map.of());
  }

  /** As above, the columns {@code using} names converted by its expressions. */
  static Uni<Void> alter(UnitOfWork unit, TrackedTable onBranch, String branch, List<TableShape.Column> columns,
      Map<String, String> using) {
    return unit.roles().branchObjects().alterColumns(unit, onBranch, branch, columns, using)
        .onFailure(f -> "2BP01".equals(PgErrors.sqlState(f))).transform(f -> dependents(onBranch, branch, f))
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

  /**
   * Drops {@code names}, columns {@code branch} added that a merge's source dropped ({@link SchemaPromotions}):
   * as {@link #dropColumns}, without the request's checks (the schema merge named them).
   */
  Uni<CommandResponse> dropCarried(String repository, String branch, String table, List<String> names,
      CommandContext ctx) {
    BranchSchemaCommand.DropBranchColumns command = new BranchSchemaCommand.DropBranchColumns(table, branch, names, false);
    return onBranchObjects(repository, command, state -> BranchSchemaDecider.requireDroppable(state, command),
        (unit, onBranch) -> drop(unit, onBranch, branch, names), ctx, Answer.NONE);
  }

  /** Drops {@code names} from {@code branch}'s objects of a table; objects depending on its view: 422. */
  static Uni<Void> drop(UnitOfWork unit, TrackedTable onBranch, String branch, List<String> names) {
    return unit.roles().branchObjects().dropColumns(unit, onBranch, branch, names)
        .onFailure(f -> "2BP01".equals(PgErrors.sqlState(f))).transform(f -> dependents(onBranch, branch, f));
  }

  /** The refusal when objects a client made depend on the branch's view, which a change of its columns makes again. */
  static StrataException dependents(TrackedTable onBranch, String branch, Throwable f) {
    return new StrataException(ErrorCode.ValidationError, "the view of table '" + onBranch.name() + "' on branch '"
        + branch + "' is made again in its new columns, and other objects depend on it: " + PgErrors.message(f)
        + "; drop them first", Map.of("table", onBranch.name(), "branch", branch));
  }
}
