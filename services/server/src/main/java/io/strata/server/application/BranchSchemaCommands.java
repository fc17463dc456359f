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
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Schema changes on a branch other than the default one, through Strata: columns added, renamed and dropped again
 * (altered: {@link BranchColumnAlterations}), and what a merge carries of another branch's. The
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
  private final io.strata.server.runtime.StrataConfig config;

  @Inject
  public BranchSchemaCommands(CommandProcessor processor, StorageBackends backends, TableQueries tables,
      io.strata.server.runtime.StrataConfig config) {
    this.config = config;
    this.tables = tables;
    this.processor = processor;
    this.backends = backends;
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
  Uni<Commands.Command> onBranch(UnitOfWork tx, RepositoryState state, String repository,
      BranchSchemaCommand command, BiFunction<UnitOfWork, TrackedTable, Uni<Void>> work) {
    TableTracked t = state.tables().get(command.table());
    TrackedTable onBranch = new TrackedTable(repository, command.table(), t.schema(), t.table(), t.primaryKey(),
        t.columns(), state.columnsOn(command.table(), command.branch()),
        state.addedOn(command.table(), command.branch()), state.renamedOn(command.table(), command.branch()),
        state.redefinedOn(command.table(), command.branch()));
    java.time.Duration limit = config.schema().migrationLockTimeout();
    // the branch's objects change under a lock a transaction that wrote them and stays open holds up: waited for at
    // most the migration lock timeout, then refused (409), so that its readers and the repository's queue go on
    return backends.inCommand(tx, repository, t.storage(), c -> c.roles().branchObjects().waitForLocksAtMost(c, limit)
            .chain(() -> work.apply(c, onBranch))
            .call(() -> c.roles().branchObjects().waitForLocksAtMost(c, null)))
        .onFailure(e -> "55P03".equals(PgErrors.sqlState(e))).transform(e -> new StrataException(
            ErrorCode.ConcurrentWrite, "table '" + command.table() + "' on branch '" + command.branch() + "' is in use"
                + " by a transaction that wrote it and has not ended (waited " + limit.toMillis() + " ms for its lock):"
                + " nothing changed; retry when it has ended", Map.of("table", command.table(), "branch",
                command.branch())))
        .replaceWith(command);
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
        (unit, onBranch) -> BranchColumnAlterations.alter(unit, onBranch, branch, command.columns()), ctx,
        Answer.NONE);
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

  /**
   * Gives {@code branch} the table's own columns {@code names} it does not read (the table gained them while it kept
   * the columns it had), as a merge of a source that reads them does before the rows ({@link SchemaPromotions}): its
   * objects read them from the table again, zero-copy, and the rows it holds take their values at {@code commit} (the
   * source's: the default branch's state along the path to it, as a branch created there reads them; a row the table
   * has no row of, one it inserted, the table's defaults) — the columns the table has and it does not read yet, as the
   * state is then. The table's own unique constraints on them are owed, held once the command committed ({@link
   * OwedUniqueHolds}).
   */
  Uni<CommandResponse> takeCarried(String repository, String branch, String table, List<String> names, String commit,
      CommandContext ctx) {
    // the default branch's commands wait meanwhile: the rows take their values along a path from its head
    return processor.execute(repository, Footprint.withDefault(branch), (tx, state) -> {
      // as the state is now: a column taken already (a concurrent merge), or gone from the table since, is not
      TableTracked t = state.tables().get(table);
      java.util.Set<String> reads = state.hasTable(table, branch) ? state.columnsOn(table, branch).stream()
          .map(io.strata.events.TableColumn::name).collect(java.util.stream.Collectors.toSet()) : java.util.Set.of();
      List<String> taking = t == null ? List.of() : t.columns().stream().map(io.strata.events.TableColumn::name)
          .filter(n -> names.contains(n) && !reads.contains(n)).toList();
      BranchSchemaCommand.TakeTableColumns command = new BranchSchemaCommand.TakeTableColumns(table, branch, taking);
      if (taking.isEmpty()) {
        return Uni.createFrom().item(command); // decided as nothing to record
      }
      return io.strata.server.runtime.CommitGraphReads.pathsBetween(tx, repository,
              state.branch(state.defaultBranch()).head(), commit)
          .chain(paths -> onBranch(tx, state, repository, command, (c, before) -> {
            List<io.strata.events.TableColumn> taken = before.columns().stream()
                .filter(x -> taking.contains(x.name())).toList();
            TrackedTable after = new TrackedTable(repository, table, before.schema(), before.table(), before.key(),
                before.columns(), before.columnsRestoring(taken), before.refAdded(), before.refRenamed(),
                before.refRedefined());
            return c.roles().branchObjects().restoreColumns(c, before, branch, taken)
                .chain(() -> c.roles().branchObjects().fillTakenColumns(c, after, branch, taken,
                    new io.strata.projections.rowdata.StatePath(paths.undo(table), paths.redo(table), true)))
                .chain(() -> c.roles().branchObjects().oweTableUniques(c, after, branch));
          }));
    }, ctx, Answer.NONE);
  }

  /** Drops {@code names} from {@code branch}'s objects of a table; objects depending on its view: 422. */
  static Uni<Void> drop(UnitOfWork unit, TrackedTable onBranch, String branch, List<String> names) {
    return unit.roles().branchObjects().dropColumns(unit, onBranch, branch, names)
        .onFailure(f -> "2BP01".equals(PgErrors.sqlState(f))).transform(f -> dependents(onBranch, branch, f));
  }

  /** {@link #drop} as the first step of moving the branch to a state without the columns (its rows move next). */
  static Uni<Void> dropMoving(UnitOfWork unit, TrackedTable onBranch, String branch, List<String> names) {
    return unit.roles().branchObjects().dropColumnsMoving(unit, onBranch, branch, names)
        .onFailure(f -> "2BP01".equals(PgErrors.sqlState(f))).transform(f -> dependents(onBranch, branch, f));
  }

  /** The refusal when objects a client made depend on the branch's view, which a change of its columns makes again. */
  static StrataException dependents(TrackedTable onBranch, String branch, Throwable f) {
    return new StrataException(ErrorCode.ValidationError, "the view of table '" + onBranch.name() + "' on branch '"
        + branch + "' is made again in its new columns, and other objects depend on it: " + PgErrors.message(f)
        + "; drop them first", Map.of("table", onBranch.name(), "branch", branch));
  }
}
