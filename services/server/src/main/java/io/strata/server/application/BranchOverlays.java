package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.domain.Commands;
import io.strata.server.domain.RepositoryState;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import io.strata.events.TableShape;
import io.strata.server.domain.BranchSchemaDecider;
import io.strata.server.domain.BranchShapeInheritance;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;

/**
 * The data side of creating and deleting branches: one overlay, working log and view per tracked
 * table. A new branch's overlay holds exactly the keys where its start commit differs from the
 * default branch's working state (the table): O(rows that differ), never O(table), and zero rows for
 * a branch of a clean default branch's head. Runs inside the branch command's own transaction for
 * tables in the server's database, so the overlay and the event are one transaction.
 */
@ApplicationScoped
public class BranchOverlays {
  private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(BranchOverlays.class);
  private final StorageBackends backends;
  private final ProjectionRuntime projections;
  private final StrataConfig config;
  private final TableQueries tableQueries;

  @Inject
  public BranchOverlays(StorageBackends backends, ProjectionRuntime projections, StrataConfig config,
      TableQueries tableQueries) {
    this.tableQueries = tableQueries;
    this.backends = backends;
    this.projections = projections;
    this.config = config;
  }

  /**
   * Prepares a branch creation in its own append transaction: installs the new branch's overlays at
   * its start (the named commit, or the head of the named branch, or of the default branch). A
   * command the decider will refuse installs nothing.
   */
  public Uni<Commands.Command> prepareCreate(UnitOfWork tx, RepositoryState state, String repository,
      Commands.CreateBranch c) {
    if (!state.exists() || state.branch(c.name()) != null) {
      return Uni.createFrom().item(c);
    }
    String from = c.start() != null ? null : c.fromBranch() == null ? state.defaultBranch() : c.fromBranch();
    RepositoryState.Branch source = from == null ? null : state.branch(from);
    String start = source != null ? source.head() : c.start();
    if (start == null) {
      return Uni.createFrom().item(c);
    }
    // the columns its start does not read, decided in the queue (the source's shape cannot change meanwhile)
    return projections.awaitVersion(repository, state.version(), config.consistency().waitTimeout())
        .chain(() -> droppedOwn(tx, state, repository, start, source != null ? from : null))
        .map(c::withDroppedOwn)
        .chain(decided -> source != null ? Uni.createFrom().item(decided)
            : CommitGraphReads.renamedAt(tx, repository, start).map(decided::withCommitRenamed))
        .chain(decided -> source != null ? Uni.createFrom().item(decided)
            : CommitGraphReads.redefinedAt(tx, repository, start).map(decided::withCommitRedefined))
        .chain(decided -> source != null ? Uni.createFrom().item(decided)
            : CommitGraphReads.constraintsAt(tx, repository, start).map(decided::withCommitConstraints))
        .call(decided -> install(tx, state, repository, c.name(), start, BranchShapeInheritance.inherited(state, decided),
            BranchShapeInheritance.droppedBy(state, decided), BranchShapeInheritance.renamedBy(state, decided),
            BranchShapeInheritance.redefinedBy(state, decided), BranchShapeInheritance.constraintsBy(state, decided))
            // the rules and checks come from the source as it is, the rows from its head commit: a row there that
            // breaks a rule the source took on since (its fix not committed) refuses the creation
            .onFailure(io.strata.projections.rowdata.BranchObjects.CheckFailed.class).transform(e -> unfit(c, from,
                "fails check '" + ((io.strata.projections.rowdata.BranchObjects.CheckFailed) e).constraint() + "'",
                ((io.strata.projections.rowdata.BranchObjects.CheckFailed) e).key()))
            .onFailure(e -> "23502".equals(io.strata.projections.postgres.PgErrors.sqlState(e))).transform(e -> unfit(
                c, from, "breaks a NOT NULL rule: " + io.strata.projections.postgres.PgErrors.message(e), null)))
        // a failure past the overlays (fault injection): the creation is refused, and takes its work back
        .call(() -> io.strata.server.runtime.Failpoints.hit("branch-create.installed"))
        .map(decided -> (Commands.Command) decided);
  }

  /** The refusal of a branch whose start's rows do not keep to the rules its source has now. */
  private static io.strata.server.domain.StrataException unfit(Commands.CreateBranch c, String from, String what,
      String key) {
    return new io.strata.server.domain.StrataException(io.strata.server.domain.ErrorCode.ValidationError,
        "branch '" + c.name() + "' starts at " + (from != null ? "the head commit of '" + from + "'" : "'" + c.from()
        + "'") + ", where a row" + (key != null ? " of key " + key : "") + " " + what + " that "
        + (from != null ? "'" + from + "' has taken on since: commit on '" + from + "' first" : "it holds")
        + "; nothing changed", java.util.Map.of("branch", c.name()));
  }

  /**
   * Per table, the table's own columns that branch {@code branch} (at its head {@code start}) does not read,
   * or that commit {@code start} was recorded without ({@code branch} null), though the table had them
   * there: columns dropped on its branch (not those a branch kept from before the table gained them).
   */
  private static Uni<Map<String, List<String>>> droppedOwn(UnitOfWork tx, RepositoryState state, String repository,
      String start, String branch) {
    return CommitGraphReads.shapeColumnNamesAt(tx, repository, start)
        .chain(then -> (branch != null ? Uni.createFrom().item(Map.<String, List<String>>of())
                : CommitGraphReads.columnNamesAt(tx, repository, start))
            .map(recorded -> {
              Map<String, List<String>> dropped = new java.util.TreeMap<>();
              for (TableTracked t : state.tables().values()) {
                List<String> read = branch != null
                    ? state.columnsOn(t.name(), branch).stream().map(io.strata.events.TableColumn::name).toList()
                    : recorded.get(t.name());
                List<String> had = then.get(t.name());
                if (read == null || had == null) {
                  continue;
                }
                List<String> names = had.stream().filter(n -> !read.contains(n)
                    && t.columns().stream().anyMatch(x -> x.name().equals(n))).toList();
                if (!names.isEmpty()) {
                  dropped.put(t.name(), names);
                }
              }
              return dropped;
            }));
  }

  /**
   * Prepares a branch deletion in its own append transaction: removes its overlays in the server's database and its
   * Delta refs, and notes in {@code remote} which of its overlays in other databases it deletes (they go once the
   * deletion is recorded: {@link #removeRemote}).
   */
  public Uni<Commands.Command> prepareDelete(UnitOfWork tx, RepositoryState state, String repository,
      Commands.DeleteBranch c, RemoteOverlays remote) {
    remote.clear(); // decided again (another server appended first): read again
    return state.exists() && state.branch(c.name()) != null && !c.name().equals(state.defaultBranch())
        ? removeLocal(tx, state, repository, c.name()).chain(() -> readRemote(state, repository, c.name(), remote))
            .replaceWith(c)
        : Uni.createFrom().item(c);
  }

  /**
   * A branch's overlays in other PostgreSQL databases, by table, as its deletion found them before it was recorded:
   * which making of each ({@link io.strata.projections.rowdata.BranchObjects#incarnation}), so that the clean-up after
   * it removes those alone, never an overlay made anew since under the branch's name by a creation on another server
   * (this server's wait for the clean-up: the footprint). Filled and read on one command's turns.
   */
  public static final class RemoteOverlays {
    /** Table → incarnation, for the tables read with an overlay there. */
    private final Map<String, String> found = new java.util.concurrent.ConcurrentHashMap<>();
    /** The tables read (with an overlay there or none). */
    private final java.util.Set<String> read = java.util.concurrent.ConcurrentHashMap.newKeySet();

    void clear() {
      found.clear();
      read.clear();
    }
  }

  /**
   * Notes the incarnation of the branch's overlay in each table in another database; one that cannot be read (its
   * database out of reach) is left to the periodic sweep ({@link LeftOverlaySweep}).
   */
  private Uni<Void> readRemote(RepositoryState state, String repository, String branch, RemoteOverlays remote) {
    // a database out of reach costs its connect timeout once, not once per table (the rest of its tables are left
    // to the sweep as well)
    java.util.Set<String> unreachable = java.util.concurrent.ConcurrentHashMap.newKeySet();
    return Multi.createFrom().iterable(new ArrayList<>(state.tables().values()))
        .onItem().transformToUniAndConcatenate(t -> backends.branchObjectsInAppend(repository, t.storage())
            .chain(inAppend -> inAppend ? Uni.createFrom().voidItem() : unreachable.contains(t.storage())
                ? Uni.createFrom().voidItem().invoke(() -> remote.read.add(t.name()))
                : backends.withoutTransaction(repository,
                    t.storage(), u -> u.roles().branchObjects().incarnation(u, TrackedTable.of(repository, t), branch))
                .invoke(there -> {
                  there.ifPresent(i -> remote.found.put(t.name(), i));
                  remote.read.add(t.name());
                })
                // left to the sweep of overlays no branch has (LeftOverlaySweep) rather than removed by name, which
                // could take one made anew under the name by another server
                .onFailure().invoke(e -> {
                  LOG.warnf("could not read which overlay of branch '%s' table %s of %s has in its database (%s): the"
                      + " periodic sweep removes it once it is old", branch, t.name(), repository, e.getMessage());
                  remote.read.add(t.name());
                  if (io.strata.projections.postgres.PgErrors.isUnavailable(e)) {
                    unreachable.add(t.storage());
                  }
                })
                .onFailure().recoverWithNull().replaceWithVoid()))
        .collect().last().replaceWithVoid();
  }

  /** Installs the overlays of a new branch starting at {@code start}, which the caller's state has decided on. */
  private Uni<Void> install(UnitOfWork tx, RepositoryState state, String repository, String branch, String start,
      Map<String, List<TableShape.Column>> inherited, Map<String, List<String>> dropped,
      Map<String, Map<String, String>> renamed, Map<String, List<TableShape.Column>> redefined,
      Map<String, List<TableShape.Constraint>> checks) {
    String mainHead = state.branch(state.defaultBranch()).head();
    List<TableTracked> tables = new ArrayList<>(state.tables().values());
    // the commit graph read below must include every commit the state has seen
    return projections.awaitVersion(repository, state.version(), config.consistency().waitTimeout())
        .chain(() -> CommitGraphReads.pathsBetween(tx, repository, mainHead, start))
        .chain(paths -> Multi.createFrom().iterable(tables)
            .onItem().transformToUniAndConcatenate(t -> {
              // the start commit's state, from the default branch's: its working changes undone too
              StatePath fromMain = new StatePath(paths.undo(t.name()), paths.redo(t.name()), true);
              return backends.forBranchObjects(tx, repository, t.storage(), c -> TableShapes.requireUnchanged(c, TrackedTable.of(repository, t))
                  // its overlay made with the NOT NULL rules its source has (the start's rows keep to them)
                  .chain(() -> c.roles().branchObjects().create(c, TrackedTable.of(repository, t)
                      .withRedefined(redefined.getOrDefault(t.name(), List.of())), branch, fromMain,
                      inherited.getOrDefault(t.name(), List.of())))
                  // then without the table's columns its source dropped (filled first in the table's columns)
                  .chain(() -> !dropped.containsKey(t.name()) ? Uni.createFrom().voidItem()
                      : c.roles().branchObjects().dropColumns(c, withInherited(repository, t,
                          inherited.getOrDefault(t.name(), List.of())), branch, dropped.get(t.name())))
                  // then showing the columns its source branch shows under other names so
                  .chain(() -> !renamed.containsKey(t.name()) ? Uni.createFrom().voidItem()
                      : c.roles().branchObjects().renameColumns(c, withoutDropped(withInherited(repository, t,
                          inherited.getOrDefault(t.name(), List.of())), dropped.getOrDefault(t.name(), List.of())),
                          branch, renamed.get(t.name())))
                  // then defining the table's columns as its source does (its rows keep to those rules)
                  .chain(() -> !redefined.containsKey(t.name()) ? Uni.createFrom().voidItem()
                      : c.roles().branchObjects().redefineColumns(c, withoutDropped(withInherited(repository, t,
                          inherited.getOrDefault(t.name(), List.of())), dropped.getOrDefault(t.name(), List.of())),
                          branch, redefined.get(t.name())))
                  // then holding its rows to the checks its source added
                  .chain(() -> !checks.containsKey(t.name()) ? Uni.createFrom().voidItem()
                      : c.roles().branchObjects().addRules(c, withoutDropped(withInherited(repository, t,
                          inherited.getOrDefault(t.name(), List.of())), dropped.getOrDefault(t.name(), List.of())),
                          branch, checks.get(t.name()))));
            })
            .collect().last().replaceWithVoid());
  }

  /** Table {@code t} as a new branch reads it once it has the columns it {@code inherited}. */
  private static TrackedTable withInherited(String repository, TableTracked t, List<TableShape.Column> inherited) {
    List<io.strata.events.TableColumn> columns = new ArrayList<>(t.columns());
    inherited.forEach(a -> columns.add(a.asTableColumn()));
    return new TrackedTable(repository, t.name(), t.schema(), t.table(), t.primaryKey(), t.columns(), columns,
        inherited);
  }

  /** Table {@code t} as a branch reads it once it dropped {@code dropped}. */
  private static TrackedTable withoutDropped(TrackedTable t, List<String> dropped) {
    return new TrackedTable(t.repository(), t.name(), t.schema(), t.table(), t.key(), t.columns(),
        t.columnsOnRef().stream().filter(x -> !dropped.contains(x.name())).toList(), t.refAdded());
  }

  /**
   * Removes a branch's objects where they go with its deletion's event, in the caller's transaction: its overlays in
   * the server's database and its Delta refs ({@link StorageBackends#forBranchObjects}).
   */
  private Uni<Void> removeLocal(UnitOfWork tx, RepositoryState state, String repository, String branch) {
    return Multi.createFrom().iterable(new ArrayList<>(state.tables().values()))
        .onItem().transformToUniAndConcatenate(t -> backends.branchObjectsInAppend(repository, t.storage())
            .chain(inAppend -> !inAppend ? Uni.createFrom().voidItem() : backends.forBranchObjects(tx, repository,
                t.storage(), c -> c.roles().branchObjects().remove(c, TrackedTable.of(repository, t), branch))))
        .collect().last().replaceWithVoid();
  }

  /**
   * Removes a deleted branch's overlays in other storages (PostgreSQL databases of their own): those its deletion found
   * ({@code remote}), by name in a table tracked since it read them, none where it found none or could not read. Each
   * waits for its table's lock at most {@code strata.schema.migration-lock-timeout}: one held by a client's transaction
   * fails this clean-up (logged) and is left to the periodic sweep.
   */
  public Uni<Void> removeRemote(String repository, String branch, RemoteOverlays remote) {
    return tableQueries.tables(repository).onItem().transformToMulti(Multi.createFrom()::iterable)
        .onItem().transformToUniAndConcatenate(t -> backends.branchObjectsInAppend(repository, t.storage())
            .chain(inAppend -> inAppend || remote.read.contains(t.name()) && !remote.found.containsKey(t.name())
                ? Uni.createFrom().voidItem()
                : backends.inOwnTransaction(repository, t.storage(), c -> c.roles().branchObjects()
                    .waitForLocksAtMost(c, config.schema().migrationLockTimeout())
                    .chain(() -> remote.found.containsKey(t.name())
                        ? c.roles().branchObjects().remove(c, TrackedTable.of(repository, t), branch,
                            remote.found.get(t.name())).replaceWithVoid()
                        : c.roles().branchObjects().remove(c, TrackedTable.of(repository, t), branch)))))
        .collect().last().replaceWithVoid();
  }
}
