package io.strata.server.application;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.MergeStarted;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.projections.rowdata.Merges.TableMerge;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.domain.ColumnsGiven;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaChoices;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Merges into a branch (docs/architecture.md, "Merges"): fast-forward when the target's head is an
 * ancestor of the source, else a three-way merge of every table the source changed since the merge
 * base, row by row and field by field, written to the target's working state in the transaction that
 * appends the merge's event, so the target is at its old head or at the merge, never between. Conflicts
 * stop the merge ({@code three_way}), are settled to one side ({@code ours}, {@code theirs}), or refuse it
 * ({@code fail_on_conflict}); a stopped merge is resolved, continued or aborted
 * ({@link MergeInProgressCommands}). The data work itself is {@link MergeWork}'s.
 */
@ApplicationScoped
public class MergeCommands {
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
  private final RepositoryStateLoader loader;
  private final ObjectMapper json;
  private final StorageBackends backends;
  private final CrossStorageCommits crossStorage;
  private final CommitGraph graph;
  private final MergeWork work;

  private final SchemaFollower follower;
  private final SchemaPromotions promotions;
  private final TablePlacements placements;
  private final SchemaMerges schemaMerges;
  private final MergeRehearsal rehearsal;
  private final DefaultBranchNarrowing narrowing;

  @Inject
  public MergeCommands(CommandProcessor processor, Existing existing, RefResolver resolver, TableQueries tableQueries,
      ProjectionRuntime projections, StrataConfig config, RepositoryStateLoader loader, ObjectMapper json,
      StorageBackends backends, CrossStorageCommits crossStorage, CommitGraph graph, MergeWork work,
      SchemaFollower follower, SchemaPromotions promotions, SchemaMerges schemaMerges, MergeRehearsal rehearsal, DefaultBranchNarrowing narrowing,
      TablePlacements placements) {
    this.placements = placements;
    this.narrowing = narrowing;
    this.schemaMerges = schemaMerges;
    this.rehearsal = rehearsal;
    this.follower = follower;
    this.promotions = promotions;
    this.processor = processor;
    this.existing = existing;
    this.resolver = resolver;
    this.tableQueries = tableQueries;
    this.projections = projections;
    this.config = config;
    this.loader = loader;
    this.json = json;
    this.backends = backends;
    this.crossStorage = crossStorage;
    this.graph = graph;
    this.work = work;
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
      boolean allowEmpty, SchemaChoices schema) {
    public Request {
      schema = schema == null ? SchemaChoices.NONE : schema;
    }

    public Request(String source, Strategy strategy, FastForward fastForward, String message, boolean noCommit,
        boolean dryRun, String expectedHead, Author author, String operation, Integer mainline, boolean allowEmpty) {
      this(source, strategy, fastForward, message, noCommit, dryRun, expectedHead, author, operation, mainline,
          allowEmpty, null);
    }

    public Request(String source, Strategy strategy, FastForward fastForward, String message, boolean noCommit,
        boolean dryRun, String expectedHead, Author author) {
      this(source, strategy, fastForward, message, noCommit, dryRun, expectedHead, author, SchemaChoices.NONE);
    }

    /** A merge, its schema conflicts settled as {@code schema} settles them (open ones refuse it). */
    public Request(String source, Strategy strategy, FastForward fastForward, String message, boolean noCommit,
        boolean dryRun, String expectedHead, Author author, SchemaChoices schema) {
      this(source, strategy, fastForward, message, noCommit, dryRun, expectedHead, author, MergeStarted.MERGE, null,
          true, schema);
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
        // a gated target refuses it before its schema changes and tables reach the target (a dry run changes nothing)
        .chain(() -> r.dryRun() ? Uni.createFrom().voidItem() : processor.admitted(repo, target, "merge", ctx))
        .chain(() -> follower.followRepository(repo)) // DDL made before the merge is recorded before it
        .chain(() -> processor.caughtUp(repo))
        .chain(() -> resolver.resolve(repo, r.source()))
        .chain(source -> {
          if (target.equals(source.branch()) && source.isPlainBranch()) {
            throw StrataException.invalid("source", "a branch cannot be merged into itself");
          }
          outcome.sourceCommit = source.commit();
          // the columns merge three ways first, then the source's new ones reach the target before its rows do;
          // a head the client did not expect refuses it before any of that changes a table (checked again with
          // the rows, in the queue)
          return (r.expectedHead() == null ? Uni.createFrom().voidItem() : loader.load(repo)
                  .invoke(state -> targetHead(state, target, r.expectedHead())).replaceWithVoid())
              .chain(() -> schemaMerges.merge(repo, target, source, r.schema())).chain(settled ->
              // tables made on a branch that the merge brings into the default branch: made there first, once the
              // merge is known not to be refused (rehearsed as if they were there), in a merge commit
              placements.broughtBy(repo, target, source.commit()).chain(brought -> {
                if (!brought.isEmpty() && r.fastForward() == FastForward.ONLY) {
                  throw new StrataException(ErrorCode.NotFastForward, "'" + r.source() + "' brings " + brought
                      + ", made on a branch, into '" + target + "': a merge commit makes them there, so fast_forward"
                      + " only cannot be honoured", Map.of("branch", target));
                }
                return rehearsal.refusedBeforeColumnsChange(repo, target, r, settled, outcome, brought,
                        (tx, state, tracked, dry, o) -> prepare(tx, state, repo, target, dry, tracked, o, settled))
                    .chain(() -> placements.place(repo, brought, r.dryRun(), ctx))
                    .chain(() -> promotions.beforeMerge(repo, target, source.ref(), source.commit(), r.dryRun(),
                        r.fastForward() == FastForward.ONLY, settled, ctx))
                    .map(migrated -> migrated || !brought.isEmpty());
              })
              .chain(migrated -> merge(repo, target, r, ctx, answer, outcome, settled, migrated)));
        });
  }

  private Uni<CommandResponse> merge(String repo, String target, Request r, CommandContext ctx,
      Function<Outcome, Answer> answer, Outcome outcome, SchemaMerges.Settled settled, boolean migrated) {
    return tableQueries.tables(repo).chain(tracked -> narrowing.droppedColumn(repo, target, tracked, outcome.sourceCommit)
        .chain(narrows -> {
          if (narrows != null && r.fastForward() == FastForward.ONLY) {
            throw new StrataException(ErrorCode.NotFastForward, "'" + r.source() + "' dropped column '" + narrows
                + "' of a table on its branch, which '" + target + "' keeps: its head then records the table's"
                + " columns in a merge commit, so fast_forward only cannot be honoured", Map.of("branch", target));
          }
          // columns added to the default branch's tables: its next commit records the shape with them, so the
          // merge makes one rather than moving to the source's commits (made before the table had them); so too
          // when the source's commit reads fewer of a table's columns than the table has (dropped on its branch)
          Request request = (migrated || narrows != null) && r.fastForward() == FastForward.AUTO
              ? withFastForward(r, FastForward.NEVER) : r;
          return r.dryRun()
              ? dryRun(repo, target, request, tracked, outcome, settled, answer)
              : settledAfter(repo, tracked, processor.execute(repo, Footprint.branches(target, r.source()),
                  (tx, state) -> prepare(tx, state, repo, target, request, tracked, outcome, settled), ctx,
                  answer.apply(outcome)));
        }));
  }

  private static Request withFastForward(Request r, FastForward mode) {
    return new Request(r.source(), r.strategy(), mode, r.message(), r.noCommit(), r.dryRun(), r.expectedHead(),
        r.author(), r.operation(), r.mainline(), r.allowEmpty(), r.schema());
  }

  /** A command that may have written tables in other storages: their recovery sidecars are settled after it. */
  private Uni<CommandResponse> settledAfter(String repository, List<TableRow> tracked, Uni<CommandResponse> command) {
    return crossStorage.settledAfter(repository, tracked, "merge.appended", command);
  }

  /** The merge worked out in a transaction that is rolled back: its answer, nothing changed, no event. */
  private Uni<CommandResponse> dryRun(String repo, String target, Request r, List<TableRow> tracked, Outcome outcome,
      SchemaMerges.Settled settled, Function<Outcome, Answer> answer) {
    // decided against the columns the merge redefines as they will be (its work alters them, rolled back)
    return loader.load(repo).chain(state -> backends.inRolledBackTransaction(repo, backends.serverOwn(),
            tx -> prepare(tx, settled.alters().isEmpty() ? state
                : ColumnsGiven.stateAfter(state, target, Map.of(), Map.of(), settled.alters()), repo, target, r,
                settled.altered(tracked), outcome, settled))
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
  private Uni<Commands.Command> prepare(UnitOfWork tx, RepositoryState state, String repo, String target,
      Request r, List<TableRow> tracked, Outcome outcome, SchemaMerges.Settled settled) {
    String ours = targetHead(state, target, r.expectedHead());
    String theirs = outcome.sourceCommit;
    outcome.head = ours;
    BranchRef into = BranchRef.of(target, state.defaultBranch());
    TableTransactions tables = new TableTransactions(backends, repo, tx);
    // the commit graph read below must include every commit the state has seen
    return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
        .chain(() -> ColumnFit.require(tx, state, repo, target, r.source(), theirs, tracked, ColumnFit.MERGE,
            settled))
        .chain(() -> CommitGraphReads.mergeBase(tx, repo, ours, theirs))
        .chain(base -> {
          outcome.base = base;
          if (base == null) {
            throw StrataException.invalid("source", "'" + r.source() + "' shares no history with '" + target + "'");
          }
          if (base.equals(theirs)) {
            outcome.upToDate = true;
            // the rows are; columns the source dropped since may still leave the target
            return work.losingColumns(tables, tx, repo, into, tracked, settled, base, ours)
                .replaceWith(new Commands.MergeUpToDate(target));
          }
          if (base.equals(ours) && r.fastForward() != FastForward.NEVER) {
            outcome.fastForward = true;
            return work.fastForward(tables, tx, state, repo, into, ours, theirs, tracked, r.dryRun(), settled);
          }
          if (r.fastForward() == FastForward.ONLY) {
            throw new StrataException(ErrorCode.NotFastForward, "'" + target + "' cannot be fast-forwarded to '"
                + r.source() + "': its head is not an ancestor of the source; merge with fast_forward auto or never",
                Map.of("branch", target, "source", r.source(), "merge_base", base));
          }
          return work.threeWay(tables, tx, state, repo, into, r, tracked, outcome, settled);
        })
        // what is still held in other storages (a dry run's, a refused merge's) is rolled back
        .onTermination().call(tables::rollback);
  }

  /** The target's head: the branch exists, has no merge in progress, and is where the client expects. */
  static String targetHead(RepositoryState state, String target, String expectedHead) {
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

  /** A failure of the table (a user's trigger raising, a value it does not take) rather than of Strata. */
  static boolean refusedByTable(Throwable e) {
    PgErrors.Kind kind = PgErrors.kind(e);
    return kind == PgErrors.Kind.REJECTED_DATA || kind == PgErrors.Kind.OTHER || kind == PgErrors.Kind.DUPLICATE
        || kind == PgErrors.Kind.TYPE_MISMATCH;
  }

  /** The 422 of a write the table refused (a merge's, a reset's, a stash's rows), in the database's words. */
  static StrataException refused(String table, Throwable e) {
    return new StrataException(ErrorCode.ValidationError, "table '" + table + "' refused the rows written to it: "
        + PgErrors.message(e), Map.of("table", table));
  }

  /** The 409 of a merge stopped (or refused) by conflicts: their count and the first of them. */
  public static StrataException conflicts(String target, Outcome outcome) {
    List<ConflictDetail> first = outcome.listedConflicts.stream().map(ConflictDetail::of).toList();
    long count = outcome.inProgress ? outcome.unsettled : outcome.conflicts;
    return new StrataException(ErrorCode.MergeConflict, count + " conflict(s) merging " + outcome.source
        + " into '" + target + "'" + (outcome.inProgress ? ": resolve them, then continue (or abort)" : ""),
        Map.of("conflicts", count, "first_conflicts", first, "merge_in_progress", outcome.inProgress));
  }
}
