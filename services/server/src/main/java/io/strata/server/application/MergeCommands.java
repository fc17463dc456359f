package io.strata.server.application;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.AppliedCommit;
import io.strata.events.Author;
import io.strata.events.BranchHeadMoved;
import io.strata.events.MergeStarted;
import io.strata.events.TableTracked;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.projections.rowdata.Merges.TableMerge;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.WorkingState;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.Storages;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.TableShapes;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.StoragePools;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Merges into a branch (docs/architecture.md, "Merges"): fast-forward when the target's head is an
 * ancestor of the source, else a three-way merge of every table the source changed since the merge
 * base, row by row and field by field, written to the target's working state in the transaction that
 * appends the merge's event, so the target is at its old head or at the merge, never between. Conflicts
 * stop the merge ({@code three_way}), are settled to one side ({@code ours}, {@code theirs}), or refuse it
 * ({@code fail_on_conflict}); a stopped merge is resolved, continued ({@link MergeCommits}) or aborted.
 */
@ApplicationScoped
public class MergeCommands {
  private static final Logger LOG = Logger.getLogger(MergeCommands.class);
  /** How many conflicts an answer lists (the rest are read from {@code GET …/merge}). */
  public static final int LISTED_CONFLICTS = 100;
  /** How many a dry run lists: it keeps nothing to read afterwards (a real merge's are read in full). */
  public static final int DRY_RUN_CONFLICTS = 1_000;

  private final CommandProcessor processor;
  private final Existing existing;
  private final RefResolver resolver;
  private final TableQueries tableQueries;
  private final ProjectionRuntime projections;
  private final StrataConfig config;
  private final Pool metadata;
  private final WorkingState<SqlConnection> working;
  private final Merges<SqlConnection> merges;
  private final ChangeSets<SqlConnection> changeSets;
  private final MergeCommits mergeCommits;
  private final RepositoryStateLoader loader;
  private final ObjectMapper json;
  private final StoragePools pools;
  private final CrossStorageCommits crossStorage;
  private final CommitGraph graph;

  @Inject
  public MergeCommands(CommandProcessor processor, Existing existing, RefResolver resolver, TableQueries tableQueries,
      ProjectionRuntime projections, StrataConfig config, Pool metadata, WorkingState<SqlConnection> working,
      Merges<SqlConnection> merges, ChangeSets<SqlConnection> changeSets, MergeCommits mergeCommits,
      RepositoryStateLoader loader, ObjectMapper json, StoragePools pools, CrossStorageCommits crossStorage,
      CommitGraph graph) {
    this.graph = graph;
    this.pools = pools;
    this.crossStorage = crossStorage;
    this.loader = loader;
    this.json = json;
    this.processor = processor;
    this.existing = existing;
    this.resolver = resolver;
    this.tableQueries = tableQueries;
    this.projections = projections;
    this.config = config;
    this.metadata = metadata;
    this.working = working;
    this.merges = merges;
    this.changeSets = changeSets;
    this.mergeCommits = mergeCommits;
  }

  /** When the target may simply move to the source. */
  public enum FastForward { AUTO, ONLY, NEVER }

  /**
   * A merge as the client asked for it, validated. {@code operation}: {@code merge}, or {@code revert} /
   * {@code cherry_pick} of {@code source} (a commit; with {@code mainline}, the parent of a merge commit
   * taken as its base).
   */
  public record Request(String source, Strategy strategy, FastForward fastForward, String message,
      boolean noCommit, boolean dryRun, String expectedHead, Author author, String operation, Integer mainline,
      boolean allowEmpty) {
    public Request(String source, Strategy strategy, FastForward fastForward, String message, boolean noCommit,
        boolean dryRun, String expectedHead, Author author) {
      this(source, strategy, fastForward, message, noCommit, dryRun, expectedHead, author, MergeStarted.MERGE, null,
          true);
    }
  }

  /** What a merge did (or, in a dry run, would do): for its answer. */
  public static final class Outcome {
    public String source;
    public String target;
    public String sourceCommit;
    public String base;
    public String head;
    public String strategy;
    public boolean upToDate;
    public boolean fastForward;
    public boolean dryRun;
    public boolean inProgress;
    public final List<TableMerge> tables = new ArrayList<>();
    public long conflicts;
    /** Conflicts left to the client: three_way's, and rows the table refused (under any strategy). */
    public long unsettled;
    public List<Merges.Conflict> listedConflicts = List.of();

    /** Whether conflicts stopped it: it stays in progress with conflicts left to resolve (never a dry run). */
    public boolean stopped() {
      return inProgress && unsettled > 0 && !dryRun;
    }
  }

  @Permits(Permission.WRITE)
  public Uni<CommandResponse> merge(String repository, String target, Request r, CommandContext ctx,
      Function<Outcome, Answer> answer) {
    String repo = Names.existingRepository(repository);
    Names.text("message", r.message(), 65536, false);
    Outcome outcome = new Outcome();
    outcome.source = r.source();
    outcome.target = target;
    outcome.strategy = r.strategy().wire();
    outcome.dryRun = r.dryRun();
    return existing.repository(repo)
        .chain(() -> existing.branch(repo, target))
        .chain(() -> processor.caughtUp(repo))
        .chain(() -> resolver.resolve(repo, r.source()))
        .chain(source -> {
          if (target.equals(source.branch()) && source.isPlainBranch()) {
            throw StrataException.invalid("source", "a branch cannot be merged into itself");
          }
          outcome.sourceCommit = source.commit();
          return tableQueries.tables(repo);
        })
        .chain(tracked -> r.dryRun()
            ? dryRun(repo, target, r, tracked, outcome, answer)
            : settledAfter(repo, tracked, processor.execute(repo,
                (tx, state) -> prepare(tx, state, repo, target, r, tracked, outcome), ctx, answer.apply(outcome))));
  }

  /** A command that may have written tables in other storages: their recovery sidecars are settled after it. */
  private Uni<CommandResponse> settledAfter(String repository, List<TableRow> tracked, Uni<CommandResponse> command) {
    return crossStorage.settledAfter(repository, tracked, "merge.appended", command);
  }

  /** The merge worked out in a transaction that is rolled back: its answer, nothing changed, no event. */
  private Uni<CommandResponse> dryRun(String repo, String target, Request r, List<TableRow> tracked, Outcome outcome,
      Function<Outcome, Answer> answer) {
    return loader.load(repo).chain(state -> metadata.withConnection(c -> c.begin().chain(tx ->
            prepare(c, state, repo, target, r, tracked, outcome)
                .onTermination().call(() -> tx.rollback().onFailure().recoverWithNull())))
        .map(command -> {
          Answer.Reply reply = answer.apply(outcome).reply(List.of(), state.lastPosition(), state, null);
          try {
            return new CommandResponse(reply.status(), json.writeValueAsString(reply.body()), state.lastPosition(), 0,
                false, false);
          } catch (JsonProcessingException e) {
            throw new IllegalStateException("answer cannot be serialised", e);
          }
        }));
  }

  /** Works the merge out against the authoritative state, inside the transaction that appends its event. */
  private Uni<Commands.Command> prepare(SqlConnection tx, RepositoryState state, String repo, String target,
      Request r, List<TableRow> tracked, Outcome outcome) {
    String ours = targetHead(state, target, r.expectedHead());
    String theirs = outcome.sourceCommit;
    outcome.head = ours;
    BranchRef into = BranchRef.of(target, state.defaultBranch());
    TableTransactions tables = new TableTransactions(pools, repo, tx);
    // the commit graph read below must include every commit the state has seen
    return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
        .chain(() -> CommitGraph.mergeBase(tx, repo, ours, theirs))
        .chain(base -> {
          outcome.base = base;
          if (base == null) {
            throw StrataException.invalid("source", "'" + r.source() + "' shares no history with '" + target + "'");
          }
          if (base.equals(theirs)) {
            outcome.upToDate = true;
            return Uni.createFrom().item(new Commands.MergeUpToDate(target));
          }
          if (base.equals(ours) && r.fastForward() != FastForward.NEVER) {
            outcome.fastForward = true;
            return fastForward(tables, tx, state, repo, into, ours, theirs, tracked, r.dryRun());
          }
          if (r.fastForward() == FastForward.ONLY) {
            throw new StrataException(ErrorCode.NotFastForward, "'" + target + "' cannot be fast-forwarded to '"
                + r.source() + "': its head is not an ancestor of the source; merge with fast_forward auto or never",
                Map.of("branch", target, "source", r.source(), "merge_base", base));
          }
          return threeWay(tables, tx, state, repo, into, r, tracked, outcome);
        })
        // what is still held in other storages (a dry run's, a refused merge's) is rolled back
        .onTermination().call(tables::rollback);
  }

  /**
   * The merge's attempt when it writes tables in other storages (not in a dry run): their writes are
   * committed before the append, under a recovery intent that undoes them if the event never is.
   */
  private Uni<String> attempt(SqlConnection tx, String repo, String branch, List<TableRow> touched, boolean dryRun) {
    return dryRun ? Uni.createFrom().nullItem()
        : crossStorage.beginFor(tx, repo, branch, touched, CrossStorageCommits.Kind.MERGE);
  }

  /** Whether what the merge writes to {@code table} is kept for recovery: the table is in another storage. */
  private static boolean undoable(String attempt, TableRow table) {
    return attempt != null && !Storages.LOCAL.equals(table.storage());
  }

  /** Just before the append: the merge's writes in other storages are committed, and its intent goes with the append. */
  private Uni<Commands.Command> committedElsewhere(SqlConnection tx, TableTransactions tables, String attempt,
      Commands.Command command) {
    return crossStorage.commitBeforeAppend(tx, tables, attempt, "merge").replaceWith(command);
  }

  /** The target's head: the branch exists, has no merge in progress, and is where the client expects. */
  private static String targetHead(RepositoryState state, String target, String expectedHead) {
    RepositoryState.Branch branch = state.branch(target);
    if (branch == null) {
      throw StrataException.branchNotFound(target);
    }
    RepositoryState.Merge inProgress = state.merge(target);
    if (inProgress != null) {
      throw RepositoryDecider.mergeInProgress(target, inProgress);
    }
    String ours = branch.head();
    if (expectedHead != null && !ours.startsWith(expectedHead)) {
      throw new StrataException(ErrorCode.HeadMoved, "branch '" + target + "' is at " + ours + ", not "
          + expectedHead, Map.of("branch", target, "expected_head", expectedHead, "actual_head", ours));
    }
    return ours;
  }

  // ---- revert and cherry-pick: a commit's change applied three-way, with the merge's conflict handling ----

  /**
   * Reverts ({@code revert}: base the commit, theirs its parent) or cherry-picks ({@code cherry_pick}:
   * base the parent, theirs the commit) {@code r.source()} on {@code target}, three-way against the
   * branch's head: rows changed since by someone else conflict as in a merge (listed, resolved,
   * continued, aborted through {@code …/merge}). Its commit has one parent and names the commit applied.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> applyCommit(String repository, String target, Request r, CommandContext ctx,
      Function<Outcome, Answer> answer) {
    String repo = Names.existingRepository(repository);
    Names.text("message", r.message(), 65536, false);
    if (r.mainline() != null && r.mainline() != 1 && r.mainline() != 2) {
      throw StrataException.invalid("mainline", "is 1 or 2: the parent of a merge commit taken as its base");
    }
    boolean revert = AppliedCommit.REVERT.equals(r.operation());
    Outcome outcome = new Outcome();
    outcome.source = r.source();
    outcome.target = target;
    outcome.strategy = r.strategy().wire();
    return existing.repository(repo)
        .chain(() -> existing.branch(repo, target))
        .chain(() -> processor.caughtUp(repo))
        .chain(() -> resolver.resolve(repo, r.source()))
        .chain(resolved -> graph.commit(repo, resolved.commit()).map(found -> found.orElseThrow(
            () -> StrataException.invalid("commit", "no commit " + resolved.commit()))))
        .chain(commit -> {
          List<String> parents = commit.parents();
          if (parents.isEmpty()) {
            throw StrataException.invalid("commit", "the repository's first commit has no parent to "
                + (revert ? "revert to" : "take its changes against"));
          }
          if (parents.size() > 1 && r.mainline() == null) {
            throw StrataException.invalid("mainline", "commit " + commit.id() + " is a merge: say which parent"
                + " (mainline 1 or 2) its changes are taken against");
          }
          if (parents.size() == 1 && r.mainline() != null) {
            throw StrataException.invalid("mainline", "commit " + commit.id() + " is not a merge: leave out mainline");
          }
          String parent = parents.get(r.mainline() == null ? 0 : r.mainline() - 1);
          outcome.sourceCommit = commit.id();
          String message = r.message() != null ? r.message()
              : revert ? "Revert \"" + commit.message().lines().findFirst().orElse("") + "\"" : commit.message();
          Request applying = new Request(r.source(), r.strategy(), FastForward.NEVER, message, r.noCommit(),
              false, r.expectedHead(), r.author(), r.operation(), r.mainline(), r.allowEmpty());
          return tableQueries.tables(repo).chain(tracked -> settledAfter(repo, tracked, processor.execute(repo,
              (tx, state) -> prepareApplying(tx, state, repo, target, applying, tracked, outcome,
                  revert ? commit.id() : parent, revert ? parent : commit.id(), revert),
              ctx, answer.apply(outcome))));
        });
  }

  private Uni<Commands.Command> prepareApplying(SqlConnection tx, RepositoryState state, String repo, String target,
      Request r, List<TableRow> tracked, Outcome outcome, String base, String theirs, boolean revert) {
    String ours = targetHead(state, target, r.expectedHead());
    outcome.head = ours;
    outcome.base = base;
    BranchRef into = BranchRef.of(target, state.defaultBranch());
    TableTransactions tables = new TableTransactions(pools, repo, tx);
    return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
        .chain(() -> revert ? CommitGraph.mergeBase(tx, repo, outcome.sourceCommit, ours)
            : Uni.createFrom().item(outcome.sourceCommit))
        .invoke(found -> {
          if (!outcome.sourceCommit.equals(found)) {
            throw StrataException.invalid("commit", "commit " + outcome.sourceCommit + " is not on branch '"
                + target + "': only a commit in its history can be reverted there");
          }
        })
        .chain(() -> CommitGraph.pathsBetween(tx, repo, base, ours))
        .chain(oursPaths -> CommitGraph.pathsBetween(tx, repo, base, theirs).chain(theirsPaths -> {
          List<TableRow> touched = tracked.stream().filter(t -> !theirsPaths.undo(t.name()).isEmpty()
              || !theirsPaths.redo(t.name()).isEmpty()).toList();
          return attempt(tx, repo, target, touched, false).chain(attempt -> threeWay(tables, tx, state, repo, into, r,
              tracked, outcome, new Sides(oursPaths.redo(), theirsPaths.redo(), touched, attempt, oursPaths.undo(),
                  theirsPaths.undo())));
        }))
        .onTermination().call(tables::rollback);
  }

  /** Moves the target's working state along the source's change sets and its head to the source. */
  private Uni<Commands.Command> fastForward(TableTransactions tables, SqlConnection tx, RepositoryState state,
      String repo, BranchRef into, String ours, String theirs, List<TableRow> tracked, boolean dryRun) {
    return CommitGraph.changeSetsBetween(tx, repo, ours, theirs).chain(paths -> {
      List<TableRow> touched = touched(tracked, paths);
      List<BranchHeadMoved.TableContent> contents = new ArrayList<>();
      return attempt(tx, repo, into.name(), touched, dryRun).chain(attempt -> Multi.createFrom().iterable(touched)
          .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
            TrackedTable table = TrackedTable.of(repo, t);
            List<String> path = paths.get(t.name());
            boolean undoable = undoable(attempt, t);
            return CleanTables.require(working, c, table, into, "the merge")
                // in another storage, the rows the move writes are planned so that recovery can undo them
                .chain(() -> undoable ? merges.plan(c, table, into, List.of(), path, Strategy.THEIRS).replaceWithVoid()
                    : Uni.createFrom().voidItem())
                .chain(() -> dryRun ? Uni.createFrom().voidItem() : working.advance(c, table, into, path))
                .chain(() -> undoable ? merges.saveUndo(c, table, into, attempt) : Uni.createFrom().voidItem())
                .chain(() -> !into.isDefault() || !state.tables().containsKey(t.name())
                    ? Uni.createFrom().voidItem()
                    : changeSets.contentDelta(c, table, List.of(), path).invoke(delta -> {
                      TableTracked recorded = state.tables().get(t.name());
                      TableTracked next = recorded.withContent(recorded.rowCount() + delta.rows(),
                          new BigInteger(recorded.rowSum()).add(new BigInteger(delta.sum())).toString());
                      contents.add(new BranchHeadMoved.TableContent(t.name(), next.rowCount(), next.rowSum(),
                          next.contentHash()));
                    }).replaceWithVoid());
          }))
          .collect().last()
          .chain(() -> Failpoints.hit("merge.applied"))
          .chain(() -> committedElsewhere(tx, tables, attempt, new Commands.FastForward(
              into.name(), ours, theirs, contents, false))));
    });
  }

  private Uni<Commands.Command> threeWay(TableTransactions tables, SqlConnection tx, RepositoryState state,
      String repo, BranchRef into, Request r, List<TableRow> tracked, Outcome outcome) {
    String ours = outcome.head;
    String theirs = outcome.sourceCommit;
    String base = outcome.base;
    return CommitGraph.changeSetsBetween(tx, repo, base, ours)
        .chain(oursPaths -> CommitGraph.changeSetsBetween(tx, repo, base, theirs).chain(theirsPaths -> {
          List<TableRow> touched = touched(tracked, theirsPaths);
          return attempt(tx, repo, into.name(), touched, r.dryRun()).chain(attempt -> threeWay(tables, tx, state,
              repo, into, r, tracked, outcome, new Sides(oursPaths, theirsPaths, touched, attempt, Map.of(),
              Map.of())));
        }));
  }

  /**
   * A three-way merge's two sides: per table the change sets from the base to ours and to theirs
   * (through their merge base when the base is not an ancestor of a side, as in a revert: {@code
   * oursUndo}, {@code theirsUndo} lead from that merge base to the base); the tables theirs changed; and
   * the attempt its writes in other storages are under (null: none).
   */
  private record Sides(Map<String, List<String>> ours, Map<String, List<String>> theirs, List<TableRow> touched,
      String attempt, Map<String, List<String>> oursUndo, Map<String, List<String>> theirsUndo) {}

  private Uni<Commands.Command> threeWay(TableTransactions tables, SqlConnection tx, RepositoryState state,
      String repo, BranchRef into, Request r, List<TableRow> tracked, Outcome outcome, Sides sides) {
    Map<String, List<String>> oursPaths = sides.ours();
    Map<String, List<String>> theirsPaths = sides.theirs();
    List<TableRow> touched = sides.touched();
    String attempt = sides.attempt();
    String ours = outcome.head;
    String theirs = outcome.sourceCommit;
    String base = outcome.base;
    Map<String, TableMerge> planned = new LinkedHashMap<>();
    List<Merges.Conflict> listed = new ArrayList<>();
    int listing = r.dryRun() ? DRY_RUN_CONFLICTS : LISTED_CONFLICTS;
    // a table's plan is applied before the next one's replaces it; a dry run applies too (its
    // transaction is rolled back): only writing finds the rows the table refuses
    return Multi.createFrom().iterable(touched)
        .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
          TrackedTable table = TrackedTable.of(repo, t);
          return CleanTables.require(working, c, table, into, "the merge")
              .chain(() -> TableShapes.requireUnchanged(c, t.toEvent()))
              .chain(() -> merges.plan(c, table, into, sides.oursUndo().getOrDefault(t.name(), List.of()),
                  oursPaths.getOrDefault(t.name(), List.of()), sides.theirsUndo().getOrDefault(t.name(), List.of()),
                  theirsPaths.getOrDefault(t.name(), List.of()), r.strategy()))
              .chain(m -> r.strategy() == Strategy.FAIL_ON_CONFLICT && m.conflicts() > 0
                  ? Uni.createFrom().item(m)
                  : merges.apply(c, table, into).onFailure(MergeCommands::refusedByTable)
                      .transform(e -> refused(t.name(), e)))
              .invoke(m -> planned.put(t.name(), m))
              .chain(m -> m.conflicts() == 0 || listed.size() >= listing
                  ? Uni.createFrom().voidItem()
                  : merges.plannedConflicts(c, table, listing - listed.size())
                      .invoke(listed::addAll).replaceWithVoid());
        }))
        .collect().last()
        .chain(() -> {
          outcome.tables.addAll(planned.values());
          outcome.conflicts = planned.values().stream().mapToLong(TableMerge::conflicts).sum();
          outcome.unsettled = planned.values().stream().mapToLong(TableMerge::unsettled).sum();
          outcome.listedConflicts = listed;
          if (r.strategy() == Strategy.FAIL_ON_CONFLICT && outcome.conflicts > 0 && !r.dryRun()) {
            throw conflicts(into.name(), outcome);
          }
          // conflicts a strategy did not settle (three_way's; rows the table refused, under any) stop it
          boolean stops = outcome.unsettled > 0 || r.noCommit();
          outcome.inProgress = stops && !r.dryRun(); // a dry run keeps nothing: no merge is in progress after it
          String message = r.message() != null ? r.message()
              : "Merge " + r.source() + " into " + into.name();
          if (r.dryRun()) {
            return Uni.createFrom().item(new Commands.MergeUpToDate(into.name()));
          }
          if (stops) {
            List<MergeStarted.TableConflicts> conflicts = planned.values().stream()
                .map(m -> new MergeStarted.TableConflicts(m.table(), m.unsettled(),
                    m.unsettled() == 0 ? null : m.conflictsHash())).toList();
            Commands.Command start = new Commands.StartMerge(new MergeStarted(into.name(), r.source(), theirs,
                base, ours, r.strategy().wire(), message, r.author(), outcome.unsettled, conflicts, r.operation(),
                r.mainline()));
            return Multi.createFrom().iterable(touched)
                .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
                  TrackedTable table = TrackedTable.of(repo, t);
                  return merges.keep(c, table, into).chain(() -> undoable(attempt, t)
                      ? merges.saveUndo(c, table, into, attempt) : Uni.createFrom().voidItem());
                }))
                .collect().last()
                .chain(() -> Failpoints.hit("merge.applied"))
                .chain(() -> committedElsewhere(tx, tables, attempt, start));
          }
          MergeStarted merge = new MergeStarted(into.name(), r.source(), theirs, base, ours, r.strategy().wire(),
              message, r.author(), 0, List.of(), r.operation(), r.mainline());
          // the commit takes exactly what the merge wrote: captured from the plans, not the working logs
          // a revert or cherry-pick that changes nothing is refused unless asked for (a merge's never is)
          Commands.CreateCommit commit = new Commands.CreateCommit(into.name(), message, r.author(), ours,
              r.allowEmpty(), List.of(), List.of(), null);
          return Multi.createFrom().iterable(touched)
              .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
                TrackedTable table = TrackedTable.of(repo, t);
                return merges.captureApplied(c, table, into).call(() -> undoable(attempt, t)
                    ? merges.saveUndo(c, table, into, attempt) : Uni.createFrom().voidItem());
              }))
              .collect().asList()
              .chain(captured -> mergeCommits.conclude(tables, tx, state, repo, commit, merge, tracked, List.of(),
                  true, planned.keySet(), captured.stream().flatMap(Optional::stream).toList()))
              .call(() -> Failpoints.hit("merge.applied"))
              .chain(command -> committedElsewhere(tx, tables, attempt, command));
        });
  }

  /** A failure of the table (a user's trigger raising, a value it does not take) rather than of Strata. */
  static boolean refusedByTable(Throwable e) {
    PgErrors.Kind kind = PgErrors.kind(e);
    return kind == PgErrors.Kind.REJECTED_DATA || kind == PgErrors.Kind.OTHER || kind == PgErrors.Kind.DUPLICATE
        || kind == PgErrors.Kind.TYPE_MISMATCH;
  }

  /** The 422 of a write the table refused, in the database's words. */
  static StrataException refused(String table, Throwable e) {
    return new StrataException(ErrorCode.ValidationError, "table '" + table + "' refused the merged rows: "
        + PgErrors.message(e), Map.of("table", table));
  }

  /** The tables of {@code tracked} that {@code paths} change. */
  private static List<TableRow> touched(List<TableRow> tracked, Map<String, List<String>> paths) {
    return tracked.stream().filter(t -> !paths.getOrDefault(t.name(), List.of()).isEmpty()).toList();
  }



  /** The 409 of a merge stopped (or refused) by conflicts: their count and the first of them. */
  public static StrataException conflicts(String target, Outcome outcome) {
    List<ConflictDetail> first = outcome.listedConflicts.stream().map(ConflictDetail::of).toList();
    long count = outcome.inProgress ? outcome.unsettled : outcome.conflicts;
    return new StrataException(ErrorCode.MergeConflict, count + " conflict(s) merging " + outcome.source
        + " into '" + target + "'" + (outcome.inProgress ? ": resolve them, then continue (or abort)" : ""),
        Map.of("conflicts", count, "first_conflicts", first, "merge_in_progress", outcome.inProgress));
  }

  // ---- a merge in progress ----

  /** A resolution as the client asked for it, validated ({@code key}: a JSON array). */
  public record Resolution(String table, String key, String field, String take, String value) {}

  @Permits(Permission.WRITE)
  public Uni<CommandResponse> resolve(String repository, String target, Resolution r, CommandContext ctx,
      Answer answer) {
    String repo = Names.existingRepository(repository);
    if (r.table() == null && (r.key() != null || r.field() != null)) {
      throw StrataException.invalid("table", "is required with key or field: they name a table's row and column");
    }
    return onMerge(repo, target, ctx, answer, (tx, state, merge, into, tables, tracked) -> {
      TableTransactions held = new TableTransactions(pools, repo, tx);
      if (r.table() != null && tables.stream().noneMatch(t -> t.name().equals(r.table()))) {
        throw StrataException.invalid("table", "the merge in progress on '" + target + "' has no conflicts in table '"
            + r.table() + "'");
      }
      long[] resolved = {0};
      long[] remaining = {0};
      return Multi.createFrom().iterable(tables)
          .onItem().transformToUniAndConcatenate(t -> held.of(t).chain(c -> {
            TrackedTable table = TrackedTable.of(repo, t);
            Uni<Long> done = r.table() == null || r.table().equals(t.name())
                ? TableShapes.requireUnchanged(c, t.toEvent())
                    .chain(() -> merges.resolve(c, table, into, r.key(), r.field(), r.take(), r.value()))
                    .onFailure(IllegalArgumentException.class)
                    .transform(e -> StrataException.invalid("field", e.getMessage()))
                    .onFailure(MergeCommands::refusedByTable).transform(e -> refused(t.name(), e))
                : Uni.createFrom().item(0L);
            return done.invoke(n -> resolved[0] += n)
                .chain(() -> merges.remaining(c, table, into)).invoke(n -> remaining[0] += n);
          }))
          .collect().last()
          // resolutions in other storages stand once made, as one made there in SQL does: the
          // conflicts left are what continue reads, whether or not the event is appended
          .call(() -> held.commit())
          .onTermination().call(held::rollback)
          .map(done -> {
            if (resolved[0] == 0 && (r.key() != null || r.field() != null)) {
              throw StrataException.invalid(r.key() != null ? "key" : "field", "no conflict of the merge in progress on '"
                  + target + "' matches" + (r.key() != null ? " key " + r.key() : "")
                  + (r.field() != null ? " field '" + r.field() + "'" : ""));
            }
            return new Commands.ResolveConflicts(target, r.table(), r.key(), r.field(), r.take(), resolved[0],
                remaining[0]);
          });
    });
  }

  /**
   * Aborts the merge in progress: in the server's database with its event; in other storages right
   * after it (the recovery sweep that follows every command writing there), under an intent its append
   * writes, so that recovery completes an abort the server stopped in the middle of. A branch with a
   * rebase in progress refuses it (409 RebaseInProgress): aborting the step's merge alone would leave the
   * rebase stopped, half done; the rebase's own abort and skip end it.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> abort(String repository, String target, CommandContext ctx, Answer answer) {
    return abort(repository, target, ctx, answer, false);
  }

  /** Aborts the merge of the step a rebase stopped at: for the rebase's skip and abort. */
  Uni<CommandResponse> abortRebaseStep(String repository, String target, CommandContext ctx, Answer answer) {
    return abort(repository, target, ctx, answer, true);
  }

  private Uni<CommandResponse> abort(String repository, String target, CommandContext ctx, Answer answer,
      boolean rebaseStep) {
    String repo = Names.existingRepository(repository);
    return onMerge(repo, target, ctx, answer, "merge.abort-appended", !rebaseStep, (tx, state, merge, into, tables,
        tracked) -> {
      Set<String> elsewhere = tables.stream().map(TableRow::storage).filter(s -> !Storages.LOCAL.equals(s))
          .collect(Collectors.toCollection(LinkedHashSet::new));
      // the rows the merge wrote go back, unless someone changed them since: that is their work
      return Multi.createFrom().iterable(tables).filter(t -> Storages.LOCAL.equals(t.storage()))
          .onItem().transformToUniAndConcatenate(t -> TableShapes.requireUnchanged(tx, t.toEvent())
              .chain(() -> merges.abort(tx, TrackedTable.of(repo, t), into))
              .invoke(kept -> {
                if (kept > 0) {
                  LOG.infof("merge into %s/%s aborted: %d row(s) of %s changed since the merge stay as working"
                      + " changes", repo, target, kept, t.name());
                }
              }))
          .collect().last()
          .chain(() -> elsewhere.isEmpty() ? Uni.createFrom().voidItem()
              : crossStorage.intendAbort(tx, repo, target, elsewhere))
          .map(done -> new Commands.AbortMerge(target, tables.stream().map(TableRow::name).toList()));
    });
  }

  /**
   * Concludes the merge in progress with its commit (two parents), taking every working change of the
   * tables it wrote, staged or not (a resolution made in SQL included); refused while conflicts remain.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> continueMerge(String repository, String target, String message, Author author,
      CommandContext ctx, Answer answer) {
    String repo = Names.existingRepository(repository);
    Names.text("message", message, 65536, false);
    return onMerge(repo, target, ctx, answer, (tx, state, merge, into, tables, tracked) -> {
      TableTransactions held = new TableTransactions(pools, repo, tx);
      return Multi.createFrom().iterable(tables)
            .onItem().transformToUniAndConcatenate(t -> held.in(t, c -> merges.conflicts(c, TrackedTable.of(repo, t),
                into, 200).select().first(LISTED_CONFLICTS).collect().asList()))
            .onItem().transformToIterable(list -> list)
            .select().first(LISTED_CONFLICTS)
            .collect().asList()
            .chain(conflicts -> {
              if (!conflicts.isEmpty()) {
                Outcome outcome = new Outcome();
                outcome.source = merge.started().source();
                outcome.conflicts = merge.remaining();
                outcome.unsettled = merge.remaining();
                outcome.inProgress = true;
                outcome.listedConflicts = conflicts;
                throw conflicts(target, outcome);
              }
              MergeStarted m = merge.started();
              Commands.CreateCommit commit = new Commands.CreateCommit(target, message != null ? message
                  : m.message(), author, null, true, tables.stream().map(TableRow::name).toList(), List.of(), null);
              return mergeCommits.conclude(held, tx, state, repo, commit, m, tracked, tables, true, Set.of(),
                  List.of());
            });
    });
  }

  /** Work on the merge in progress on a branch, in the transaction that appends its event. */
  @FunctionalInterface
  private interface OnMerge {
    Uni<Commands.Command> prepare(SqlConnection tx, RepositoryState state, RepositoryState.Merge merge, BranchRef into,
        List<TableRow> mergeTables, List<TableRow> tracked);
  }

  /** Runs {@code work} on the merge in progress on {@code target}; 409 NoMergeInProgress without one. */
  private Uni<CommandResponse> onMerge(String repository, String target, CommandContext ctx, Answer answer,
      OnMerge work) {
    return onMerge(repository, target, ctx, answer, "merge.appended", false, work);
  }

  /** @param notInRebase whether a rebase in progress on {@code target} refuses the work (409 naming the rebase) */
  private Uni<CommandResponse> onMerge(String repository, String target, CommandContext ctx, Answer answer,
      String settledAt, boolean notInRebase, OnMerge work) {
    String repo = Names.existingRepository(repository);
    return existing.branch(repo, target).chain(() -> tableQueries.tables(repo)).chain(tracked ->
        crossStorage.settledAfter(repo, tracked, settledAt, processor.execute(repo, (tx, state) -> {
          RepositoryState.Rebase rebase = state.rebase(target);
          if (notInRebase && rebase != null) {
            throw rebaseNotMerge(target, rebase);
          }
          RepositoryState.Merge merge = state.merge(target);
          if (merge == null) {
            throw RepositoryDecider.noMerge(target);
          }
          return work.prepare(tx, state, merge, BranchRef.of(target, state.defaultBranch()),
              mergeTables(merge, tracked), tracked);
        }, ctx, answer)));
  }

  /** The 409 of merge/abort on a branch whose rebase is in progress: it names the rebase and how to end it. */
  private static StrataException rebaseNotMerge(String branch, RepositoryState.Rebase rebase) {
    StrataException inProgress = RepositoryDecider.rebaseInProgress(branch, rebase);
    return new StrataException(ErrorCode.RebaseInProgress, "branch '" + branch + "' has a rebase onto "
        + rebase.started().onto() + " in progress, not a merge (" + rebase.done() + " of "
        + rebase.started().commits().size() + " commits done): end it with rebase/abort (the branch goes back"
        + " where it was), rebase/skip or rebase/continue", inProgress.details());
  }

  /** The tracked tables a merge in progress wrote. */
  static List<TableRow> mergeTables(RepositoryState.Merge merge, List<TableRow> tracked) {
    List<String> names = merge.started().tables().stream().map(MergeStarted.TableConflicts::table).toList();
    return tracked.stream().filter(t -> names.contains(t.name())).toList();
  }
}
