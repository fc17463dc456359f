package io.strata.server.commands;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.refs.RefRows.BranchRow;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Commands;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.Storages;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.QueryRoleGrants;
import io.strata.server.runtime.StoragePools;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/**
 * The commands on repositories, branches, commits and tags: validate the input, resolve refs against
 * the projections where a command needs a commit, hand the command to the {@link CommandProcessor},
 * and say how its answer looks. The data side of branch and commit commands (overlays, captures) is
 * in {@link BranchOverlays} and {@link DataCommits}; no SQL here.
 */
@ApplicationScoped
public class RefCommands {
  private final CommandProcessor processor;
  private final ProjectionRuntime projections;
  private final RefResolver resolver;
  private final RefQueries refs;
  private final CommitGraph graph;
  private final StrataConfig config;
  private final StoragePools pools;
  private final TableQueries tableQueries;
  private final BranchOverlays overlays;
  private final DataCommits dataCommits;
  private final CrossStorageCommits crossStorage;
  private final TableCommands tableCommands;
  private final QueryRoleGrants queryRoleGrants;
  private final Existing existing;

  @Inject
  public RefCommands(CommandProcessor processor, ProjectionRuntime projections, RefResolver resolver,
      RefQueries refs, CommitGraph graph, StrataConfig config, StoragePools pools, TableQueries tableQueries,
      BranchOverlays overlays, DataCommits dataCommits, TableCommands tableCommands, QueryRoleGrants queryRoleGrants,
      CrossStorageCommits crossStorage, Existing existing) {
    this.existing = existing;
    this.crossStorage = crossStorage;
    this.processor = processor;
    this.projections = projections;
    this.resolver = resolver;
    this.refs = refs;
    this.graph = graph;
    this.config = config;
    this.pools = pools;
    this.tableQueries = tableQueries;
    this.overlays = overlays;
    this.dataCommits = dataCommits;
    this.tableCommands = tableCommands;
    this.queryRoleGrants = queryRoleGrants;
  }

  public Uni<CommandResponse> createRepository(
      String name, String description, String defaultBranch, Author author, CommandContext ctx, Answer answer) {
    Names.repository(name);
    Names.text("description", description, 4096, false);
    String branch = defaultBranch == null ? "main" : Names.branch(defaultBranch);
    return processor.execute(name, new Commands.CreateRepository(name, description, branch, author), ctx, answer);
  }

  public Uni<CommandResponse> deleteRepository(String repository, boolean force, CommandContext ctx) {
    // the tables stay where they are; Strata's objects beside them go with the repository
    return tableQueries.tables(Names.existingRepository(repository))
        .chain(tracked -> processor.execute(repository, new Commands.DeleteRepository(force), ctx,
                (events, position, after, time) -> new Answer.Reply(204, null))
            .call(response -> response.replayed() ? Uni.createFrom().voidItem()
                : tableCommands.removeObjects(repository, tracked).onFailure().recoverWithNull()
                    .chain(() -> tableCommands.removeQueryRole(repository, tracked).onFailure().recoverWithNull())))
        .invoke(() -> {
          pools.evictRepository(repository);
          queryRoleGrants.forget(repository);
        });
  }

  public Uni<CommandResponse> createBranch(
      String repository, String name, String from, boolean isProtected, CommandContext ctx, Answer answer) {
    Names.branch(name);
    Uni<Commands.CreateBranch> command = from == null
        ? Uni.createFrom().item(new Commands.CreateBranch(name, null, null, null, isProtected))
        : existing.repository(Names.existingRepository(repository))
            .chain(() -> caughtUp(repository))
            .chain(() -> resolver.resolve(repository, from))
            .map(r -> r.isPlainBranch()
                ? new Commands.CreateBranch(name, from, r.branch(), null, isProtected)
                : new Commands.CreateBranch(name, from, null, r.commit(), isProtected));
    return command.chain(c -> withTables(repository)
        ? processor.executeExclusive(repository, (tx, state) -> overlays.prepareCreate(tx, state, repository, c), ctx,
            answer)
        : processor.execute(repository, c, ctx, answer));
  }

  /** Whether commands on the repository may concern rows (false only when the cached state knows none are tracked). */
  private boolean withTables(String repository) {
    return !processor.holdsNoRows(Names.existingRepository(repository));
  }

  public Uni<CommandResponse> protectBranch(String repository, String name, Boolean isProtected, CommandContext ctx,
      Answer answer) {
    if (isProtected == null) {
      throw StrataException.invalid("protected", "is required (true or false)");
    }
    return processor.execute(Names.existingRepository(repository), new Commands.SetBranchProtection(name, isProtected), ctx,
        answer);
  }

  /**
   * Deletes a branch. Whether its commits survive elsewhere is checked on the commit graph first; the
   * processor then refuses if the head moved since (so the check cannot go stale unnoticed).
   */
  public Uni<CommandResponse> deleteBranch(String repository, String name, boolean force, CommandContext ctx) {
    return existing.repository(Names.existingRepository(repository))
        .chain(() -> caughtUp(repository))
        .chain(() -> refs.allBranches(repository))
        .chain(branches -> {
          BranchRow branch = branches.stream().filter(b -> b.name().equals(name)).findFirst()
              .orElseThrow(() -> StrataException.branchNotFound(name));
          List<String> others = branches.stream().filter(b -> !b.name().equals(name)).map(BranchRow::head).toList();
          return graph.isReachableFrom(repository, branch.head(), others)
              .map(merged -> new Commands.DeleteBranch(name, force, branch.head(), merged));
        })
        .chain(c -> {
          Answer answer = (events, position, after, time) -> new Answer.Reply(204, null);
          if (!withTables(repository)) {
            return processor.execute(repository, c, ctx, answer);
          }
          return processor.executeExclusive(repository, (tx, state) -> overlays.prepareDelete(tx, state, repository, c),
                  ctx, answer)
              .call(response -> response.replayed() ? Uni.createFrom().voidItem()
                  : overlays.removeRemote(repository, name));
        });
  }

  public Uni<CommandResponse> commit(String repository, String branch, String message, Author author,
      String expectedHead, List<String> tables, boolean all, boolean allowEmpty, CommandContext ctx, Answer answer) {
    Names.text("message", message, 65536, true);
    if (expectedHead != null && (expectedHead.length() < 7 || expectedHead.length() > 64 || !Names.isHex(expectedHead))) {
      throw StrataException.invalid("expected_head", "must be a commit id (7 to 64 lower-case hex digits)");
    }
    Commands.CreateCommit command =
        new Commands.CreateCommit(branch, message, author, expectedHead, allowEmpty, tables, List.of(), null);
    String repo = Names.existingRepository(repository);
    if (processor.holdsNoRows(repo)) {
      return processor.execute(repo, command, ctx, answer); // the common case: no projection reads
    }
    return refs.repository(repo).chain(r -> r.isEmpty()
        ? processor.execute(repo, command, ctx, answer)
        : tableQueries.tables(repo).chain(tracked -> tracked.isEmpty()
            ? processor.execute(repo, command, ctx, answer)
            : settledAfter(repo, tracked, processor.executeExclusive(repo, (tx, state) -> state.branch(branch) == null
                    ? Uni.createFrom().item(command) // refused by the decider
                    : dataCommits.prepare(tx, state, repo, command, tracked, all),
                ctx, answer))));
  }

  /** A commit that may have captured rows in other storages: their recovery sidecars are settled after it. */
  private Uni<CommandResponse> settledAfter(String repository, List<TableRow> tracked, Uni<CommandResponse> commit) {
    if (tracked.stream().allMatch(t -> Storages.LOCAL.equals(t.storage()))) {
      return commit;
    }
    return commit.onTermination().call(() -> crossStorage.settle(repository));
  }

  public Uni<CommandResponse> createTag(
      String repository, String name, String ref, String message, Author tagger, CommandContext ctx, Answer answer) {
    Names.tag(name);
    if (ref == null || ref.isBlank()) {
      throw StrataException.invalid("ref", "is required");
    }
    Names.text("message", message, 65536, false);
    return existing.repository(Names.existingRepository(repository))
        .chain(() -> caughtUp(repository))
        .chain(() -> resolver.resolve(repository, ref))
        .map(r -> r.isPlainBranch()
            ? new Commands.CreateTag(name, r.branch(), null, message, tagger)
            : new Commands.CreateTag(name, null, r.commit(), message, tagger))
        .chain(c -> processor.execute(repository, c, ctx, answer));
  }

  public Uni<CommandResponse> deleteTag(String repository, String name, CommandContext ctx) {
    return processor.execute(Names.existingRepository(repository), new Commands.DeleteTag(name), ctx,
        (events, position, after, time) -> new Answer.Reply(204, null));
  }

  /** Waits until projections include everything this process has appended to the repository. */
  private Uni<Void> caughtUp(String repository) {
    return projections.awaitVersion(repository, processor.knownVersion(repository), config.consistency().waitTimeout());
  }
}
