package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.tables.TableQueries;
import io.strata.server.domain.BranchMadeTables;
import io.strata.server.domain.Commands;
import io.strata.server.domain.TableCommand;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Tables made on a branch reach the default branch with the merge that brings them: before its rows, each is moved
 * from Strata's own place to its place in its storage (no row copied: the branches' rows are in their objects, and
 * the merge then writes the source's into the table as any table's), in the repository's queue, and recorded as
 * {@code table.placed}. From then on every branch has it, as a table tracked on the default branch. A crash between
 * the move and the event leaves the table at its place, which a retry of the merge finds and records.
 */
@ApplicationScoped
public class TablePlacements {
  private final RepositoryStateLoader loader;
  private final TableQueries tables;
  private final StorageBackends backends;
  private final CommandProcessor processor;
  private final StrataConfig config;

  @Inject
  public TablePlacements(RepositoryStateLoader loader, TableQueries tables, StorageBackends backends,
      CommandProcessor processor, StrataConfig config) {
    this.loader = loader;
    this.tables = tables;
    this.backends = backends;
    this.processor = processor;
    this.config = config;
  }

  /**
   * The tables made on a branch that commit {@code sourceCommit} has and the default branch does not: a merge of it
   * into the default branch places them first.
   */
  Uni<List<String>> broughtBy(String repository, String target, String sourceCommit) {
    return loader.load(repository).chain(state -> {
      if (!state.exists() || !target.equals(state.defaultBranch()) || state.madeTables().all().isEmpty()) {
        return Uni.createFrom().item(List.<String>of());
      }
      return tables.madeAt(repository, List.of(sourceCommit)).map(made -> {
        TreeSet<String> brought = new TreeSet<>(made.present().getOrDefault(sourceCommit, Map.of()).keySet());
        brought.retainAll(state.madeTables().all().keySet());
        return List.copyOf(brought);
      });
    });
  }

  /**
   * Places {@code brought} (what {@link #broughtBy} found a merge into the default branch brings) before the merge's
   * rows, each in the repository's queue; nothing for a dry run, which reads them where they are.
   */
  Uni<Void> place(String repository, List<String> brought, boolean dryRun, CommandContext ctx) {
    return brought.isEmpty() || dryRun ? Uni.createFrom().voidItem()
        : Multi.createFrom().iterable(brought)
            .onItem().transformToUniAndConcatenate(name -> place(repository, name, ctx))
            .collect().last()
            .chain(() -> processor.caughtUp(repository));
  }

  /**
   * Refuses (422) to {@code what} (a reset, revert, cherry-pick or rebase of the default branch) onto commit {@code
   * commit} when it holds tables made on a branch that the default branch does not have: only a merge brings them.
   */
  public Uni<Void> requireNoneBrought(String repository, String target, String commit, String what) {
    return broughtBy(repository, target, commit).invoke(brought -> {
      if (!brought.isEmpty()) {
        throw new StrataException(ErrorCode.ValidationError, what + " would bring " + brought + ", made on a branch,"
            + " into the default branch '" + target + "': a merge of that branch brings them (and makes them at their"
            + " place)", Map.of("branch", target, "tables", brought));
      }
    }).replaceWithVoid();
  }

  /** Moves table {@code name} to its place and records it, in the repository's queue. */
  private Uni<Void> place(String repository, String name, CommandContext ctx) {
    CommandContext internal = new CommandContext(ctx.actor(), null, null, null, UUID.randomUUID().toString(), true);
    return processor.execute(repository, Footprint.everything(), (tx, state) -> {
      BranchMadeTables.Made made = state.madeTables().of(name).orElse(null);
      TableTracked t = state.tables().get(name);
      // refused before the move, not after it: the decider's checks come again with the event
      if (state.merge(state.defaultBranch()) != null) {
        throw io.strata.server.domain.RepositoryDecider.mergeInProgress(state.defaultBranch(),
            state.merge(state.defaultBranch()));
      }
      if (made == null || t == null) {
        return Uni.createFrom().item((Commands.Command) new TableCommand.PlaceTable(name, null)); // placed meanwhile
      }
      String takes = "table '" + name + "', made on branch '" + made.branch() + "', goes to " + made.schema() + "."
          + made.table() + " on the default branch, but ";
      return backends.inOwnTransaction(repository, t.storage(), unit -> unit.roles().tableMaking().place(unit,
              TrackedTable.of(repository, t), made.schema(), made.table(), config.schema().migrationLockTimeout()))
          .onFailure(Tracking.TableExists.class).transform(e -> new StrataException(ErrorCode.TableAlreadyExists,
              takes + e.getMessage(), Map.of("table", name)))
          .onFailure(Tracking.Untrackable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
              takes + e.getMessage(), Map.of("table", name)))
          .onFailure(Tracking.Busy.class).transform(e -> new StrataException(ErrorCode.ConcurrentWrite,
              takes + e.getMessage() + "; merge again", Map.of("table", name)))
          .map(key -> (Commands.Command) new TableCommand.PlaceTable(name, key));
    }, internal, Answer.NONE).replaceWithVoid();
  }
}
