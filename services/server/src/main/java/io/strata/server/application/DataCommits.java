package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.CommitIds;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.ChangeSets.Captured;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.runtime.LruMap;
import io.strata.projections.runtime.ProjectionLagging;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.domain.CommitDecider;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The data side of a commit, run inside the commit's own append transaction: capture the branch's
 * staged rows of every table in the server's database into change sets, and, on a branch other than
 * the default one, work out the branch's table content the commit starts from. Tables in registered
 * storages are captured under the cross-storage protocol ({@link CrossStorageCommits}).
 */
@ApplicationScoped
public class DataCommits {
  /** Trees whose content is kept (a map of a few numbers per table each). */
  static final int CONTENTS_KEPT = 4096;

  /**
   * The tables' content a tree stands for. A tree is a hash of every table's content, so what it
   * stands for never changes: a commit on a branch starts from its head's tree, kept when the commit
   * before it was prepared here, instead of adding up the change sets since the default branch's head.
   */
  private final LruMap<String, Map<String, Commands.TableContent>> contents = new LruMap<>(CONTENTS_KEPT);
  private final StorageBackends backends;
  private final ProjectionRuntime projections;
  private final StrataConfig config;
  private final CrossStorageCommits crossStorage;
  private final TableQueries tableQueries;

  @Inject
  public DataCommits(StorageBackends backends, ProjectionRuntime projections, StrataConfig config,
      CrossStorageCommits crossStorage, TableQueries tableQueries) {
    this.tableQueries = tableQueries;
    this.crossStorage = crossStorage;
    this.backends = backends;
    this.projections = projections;
    this.config = config;
  }

  /**
   * The commit command with what it captured and the content it starts from. A schema change since the branch's
   * head is something to commit: the commit is not empty even without rows. On the default branch that is DDL the
   * guard followed and recorded. On another, the shape changes the branch made through Strata (columns, names,
   * definitions, checks, indexes) of the tables the commit takes ({@link #shapesTaken}); the others' stay working
   * changes.
   */
  public Uni<Commands.Command> prepare(UnitOfWork tx, RepositoryState state, String repository,
      Commands.CreateCommit command, List<TableRow> tracked, boolean all) {
    if (state.branch(command.branch()) == null || command.branch().equals(state.defaultBranch())) {
      return schemaChangedSinceHead(state, repository, command.branch())
          .chain(changed -> prepare(tx, state, repository, changed ? command.recordingSchemaChanges() : command,
              tracked, tracked, all, Set.of(), List.of()))
          .map(c -> c);
    }
    return branchShapesChangedSinceHead(tx, state, repository, command.branch())
        .chain(differing -> prepare(tx, state, repository, command, tracked, tracked, all, Set.of(), List.of())
            .map(prepared -> {
              List<String> taken = shapesTaken(prepared, all);
              return prepared.recordingShapesOf(taken, differing.stream()
                  .anyMatch(t -> taken == null || taken.contains(t)));
            }));
  }

  /**
   * The tables whose shape on its branch a commit records (null: every table): those it names; else, committing all
   * the working changes, every one; else (the staged changes) those whose rows it commits. A shape change is staged
   * with its table's rows: a table's rows are never recorded without its shape.
   */
  static List<String> shapesTaken(Commands.CreateCommit commit, boolean all) {
    if (!commit.tables().isEmpty()) {
      return commit.tables().stream().distinct().sorted().toList();
    }
    return all ? null : commit.captured().stream().map(Captured::table).distinct().sorted().toList();
  }

  /** The tables whose shape a branch other than the default one changed since its head (read in {@code tx}). */
  private Uni<Set<String>> branchShapesChangedSinceHead(UnitOfWork tx, RepositoryState state, String repository,
      String branch) {
    List<String> names = state.tables().keySet().stream().filter(t -> state.hasTable(t, branch)).toList();
    if (names.isEmpty()) {
      return Uni.createFrom().item(Set.of());
    }
    return projections.awaitVersion(repository, state.version(), config.consistency().waitTimeout())
        .chain(() -> io.strata.server.runtime.CommitGraphReads.shapesDifferingFrom(tx, repository, branch,
            state.branch(branch).head(), names))
        .map(differing -> (Set<String>) differing)
        // as on the default branch: decided as without a shape change while the projections lag (empty without
        // rows: refused, and tried again); the tables whose rows it commits still record their shapes
        .onFailure(ProjectionLagging.class).recoverWithItem(Set.of());
  }

  /** Whether a tracked table's recorded shape differs from its shape at the default branch's head. */
  private Uni<Boolean> schemaChangedSinceHead(RepositoryState state, String repository, String branch) {
    if (!branch.equals(state.defaultBranch()) || state.branch(branch) == null || state.tables().isEmpty()) {
      return Uni.createFrom().item(false);
    }
    String head = state.branch(branch).head();
    // the shape history read below must include every event the state has seen; if the projections lag,
    // the commit is decided as without a schema change (empty without rows: refused, and tried again)
    return projections.awaitVersion(repository, state.version(), config.consistency().waitTimeout())
        .chain(() -> tableQueries.shapesChangedSince(repository, head,
            state.tables().values().stream().collect(Collectors.toMap(TableTracked::name, TableTracked::knownShape))))
        .map(changed -> !changed.isEmpty())
        .onFailure(ProjectionLagging.class).recoverWithItem(false);
  }

  /**
   * The same, capturing only tables among {@code capturable} (of {@code tracked}): what a merge commit
   * takes, the tables the merge wrote; those of {@code concluding} end the merge in progress there.
   * {@code applied}: change sets the command wrote itself (a merge's, captured from its plan), after the
   * captured ones.
   */
  public Uni<Commands.CreateCommit> prepare(UnitOfWork tx, RepositoryState state, String repository,
      Commands.CreateCommit command, List<TableRow> tracked, List<TableRow> capturable, boolean all,
      Set<String> concluding, List<Captured> applied) {
    return capture(tx, repository, state.defaultBranch(), command.branch(), capturable, command.tables(), all,
        concluding)
        .map(captured -> Stream.concat(captured.stream(), applied.stream()).toList())
        .chain(captured -> branchContent(tx, state, repository, command.branch(), tracked)
            .invoke(base -> keep(CommitDecider.contentAfter(state.tables(), base, captured)))
            .map(base -> command.withCaptured(captured, base)));
  }

  private Uni<List<Captured>> capture(UnitOfWork tx, String repository, String defaultBranch,
      String branch, List<TableRow> tracked, List<String> only, boolean all, Set<String> concluding) {
    for (String name : only) {
      if (tracked.stream().noneMatch(t -> t.name().equals(name))) {
        throw new StrataException(ErrorCode.TableNotFound, "table '" + name + "' is not tracked",
            Map.of("table", String.valueOf(name)));
      }
    }
    List<TableRow> selected = tracked.stream().filter(t -> only.isEmpty() || only.contains(t.name())).toList();
    List<TableRow> remote = selected.stream().filter(t -> !backends.sharesAppendTransaction(t.storage())).toList();
    // tables in the server's database first, in the append's own transaction; then the others, under
    // a recovery intent that the append deletes
    return Multi.createFrom().iterable(selected).filter(t -> backends.sharesAppendTransaction(t.storage()))
        .onItem().transformToUniAndConcatenate(t -> TableShapes.requireUnchanged(tx, TrackedTable.on(repository, t, branch))
            .chain(() -> tx.roles().changeSets().capture(tx, TrackedTable.on(repository, t, branch), BranchRef.of(branch, defaultBranch),
                all, null)))
        .collect().asList()
        .chain(local -> crossStorage.capture(tx, repository, defaultBranch, branch, remote, all, concluding)
            .map(others -> Stream.concat(local.stream().flatMap(Optional::stream), others.stream()).toList()));
  }

  /** Keeps what the tree of {@code tables} stands for. */
  private void keep(Map<String, TableTracked> tables) {
    Map<String, Commands.TableContent> content = new HashMap<>();
    tables.forEach((name, t) -> content.put(name, new Commands.TableContent(t.rowCount(), t.rowSum())));
    contents.put(CommitIds.treeOf(tables.values()), Map.copyOf(content));
  }

  /**
   * On a branch other than the default one: every tracked table's content at the branch's head. Kept
   * for the head's tree if a commit here prepared it; else from the recorded (default branch's) content
   * and the change sets between the two heads — O(rows that differ). Null on the default branch.
   */
  private Uni<Map<String, Commands.TableContent>> branchContent(UnitOfWork tx, RepositoryState state,
      String repository, String branch, List<TableRow> tracked) {
    if (branch.equals(state.defaultBranch())) {
      return Uni.createFrom().nullItem();
    }
    String mainHead = state.branch(state.defaultBranch()).head();
    String head = state.branch(branch).head();
    List<TableRow> tables = tracked.stream().filter(t -> state.tables().containsKey(t.name())).toList();
    if (head.equals(mainHead)) {
      Map<String, Commands.TableContent> recorded = new HashMap<>();
      tables.forEach(t -> recorded.put(t.name(), new Commands.TableContent(state.tables().get(t.name()).rowCount(),
          state.tables().get(t.name()).rowSum())));
      return Uni.createFrom().item(recorded);
    }
    // the commit graph read below must include every commit the state has seen
    return projections.awaitVersion(repository, state.version(), config.consistency().waitTimeout())
        .chain(() -> CommitGraphReads.tree(tx, repository, head))
        .chain(tree -> {
          Map<String, Commands.TableContent> kept = tree == null ? null : contents.get(tree);
          if (kept != null && tables.stream().allMatch(t -> kept.containsKey(t.name()))) {
            return Uni.createFrom().item(kept);
          }
          return summedContent(tx, state, repository, branch, mainHead, head, tables);
        });
  }

  /** The tables' content at {@code head}: the recorded one plus the change sets from the default branch's head. */
  private Uni<Map<String, Commands.TableContent>> summedContent(UnitOfWork tx, RepositoryState state,
      String repository, String branch, String mainHead, String head, List<TableRow> tables) {
    Map<String, Commands.TableContent> content = new ConcurrentHashMap<>();
    return CommitGraphReads.pathsBetween(tx, repository, mainHead, head)
        .chain(paths -> Multi.createFrom().iterable(tables)
            .onItem().transformToUniAndConcatenate(t -> {
              TableTracked recorded = state.tables().get(t.name());
              // the change sets live beside the table, in its own database
              Function<UnitOfWork, Uni<ChangeSets.ContentDelta>> deltaIn = c -> c.roles().changeSets().contentDelta(c,
                  TrackedTable.on(repository, t, branch), io.strata.projections.rowdata.BranchRef.of(branch,
                      state.defaultBranch()), paths.undo(t.name()), paths.redo(t.name()));
              return backends.inCommand(tx, repository, t.storage(), deltaIn)
                  .invoke(delta -> content.put(t.name(), new Commands.TableContent(recorded.rowCount() + delta.rows(),
                      new BigInteger(recorded.rowSum()).add(new BigInteger(delta.sum())).toString())))
                  .replaceWithVoid();
            })
            .collect().last())
        .map(done -> content);
  }
}
