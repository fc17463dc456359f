package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.refs.RefRows.BranchRow;
import io.strata.server.domain.Commands;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.StrataException;
import io.strata.server.auth.Permission;
import io.strata.events.TableUntracked;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import org.jboss.logging.Logger;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/**
 * Creating, protecting and deleting branches. Where the repository tracks tables, a branch's overlays
 * are made or dropped in the transaction that appends the event ({@link BranchOverlays}).
 */
@ApplicationScoped
public class BranchCommands {
  private static final Logger LOG = Logger.getLogger(BranchCommands.class);
  private final CommandProcessor processor;
  private final Existing existing;
  private final RefResolver resolver;
  private final RefQueries refs;
  private final CommitGraph graph;
  private final BranchOverlays overlays;
  private final TableQueries tableQueries;
  private final TableCommands tableCommands;

  @Inject
  public BranchCommands(CommandProcessor processor, Existing existing, RefResolver resolver, RefQueries refs,
      CommitGraph graph, BranchOverlays overlays, TableQueries tableQueries, TableCommands tableCommands) {
    this.tableQueries = tableQueries;
    this.tableCommands = tableCommands;
    this.processor = processor;
    this.existing = existing;
    this.resolver = resolver;
    this.refs = refs;
    this.graph = graph;
    this.overlays = overlays;
  }

  @Permits(Permission.WRITE)
  public Uni<CommandResponse> createBranch(
      String repository, String name, String from, boolean isProtected, CommandContext ctx, Answer answer) {
    Names.branch(name);
    Uni<Commands.CreateBranch> command = from == null
        ? Uni.createFrom().item(new Commands.CreateBranch(name, null, null, null, isProtected))
        : existing.repository(Names.existingRepository(repository))
            .chain(() -> processor.caughtUp(repository))
            .chain(() -> resolver.resolve(repository, from))
            .chain(r -> r.isPlainBranch()
                ? Uni.createFrom().item(new Commands.CreateBranch(name, from, r.branch(), null, isProtected))
                // a commit of a branch that added columns: the new branch has them (BranchShapeInheritance.inherited)
                : tableQueries.addedAt(repository, r.commit())
                    .chain(added -> tableQueries.madeAt(repository, List.of(r.commit())).map(made ->
                        new Commands.CreateBranch(name, from, null, r.commit(), isProtected, added, Map.of())
                            .withCommitMade(List.copyOf(made.present().getOrDefault(r.commit(), Map.of()).keySet())))));
    return command.chain(c -> withTables(repository)
        ? processor.execute(repository, Footprint.of(c), (tx, state) -> overlays.prepareCreate(tx, state, repository, c), ctx, answer)
        : processor.execute(repository, c, ctx, answer));
  }

  @Permits(Permission.REPOSITORY_ADMIN)
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
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> deleteBranch(String repository, String name, boolean force, CommandContext ctx,
      Answer answer) {
    return existing.repository(Names.existingRepository(repository))
        .chain(() -> processor.caughtUp(repository))
        .chain(() -> refs.allBranches(repository))
        .chain(branches -> {
          BranchRow branch = branches.stream().filter(b -> b.name().equals(name)).findFirst()
              .orElseThrow(() -> StrataException.branchNotFound(name));
          List<String> others = branches.stream().filter(b -> !b.name().equals(name)).map(BranchRow::head).toList();
          return graph.isReachableFrom(repository, branch.head(), others)
              .map(merged -> new Commands.DeleteBranch(name, force, branch.head(), merged));
        })
        .chain(c -> {
          if (!withTables(repository)) {
            return processor.execute(repository, c, ctx, answer);
          }
          // the tables made on a branch that it alone has go with it (table.untracked, decided on the live state):
          // their objects once the deletion is recorded, as those of a table dropped, with the branch's overlays in
          // other databases, those the deletion found alone (a branch made anew under its name here waits for that; one
          // made by another server meanwhile keeps its own)
          BranchOverlays.RemoteOverlays remote = new BranchOverlays.RemoteOverlays();
          return tableQueries.tables(repository).chain(tracked -> processor.execute(repository, Footprint.of(c),
              (tx, state) -> overlays.prepareDelete(tx, state, repository, c, remote),
              events -> io.strata.server.runtime.Failpoints.hit("branch-delete.recorded")
                  .chain(() -> removeUntracked(repository, tracked, events.stream()
                      .filter(e -> e instanceof TableUntracked).map(e -> ((TableUntracked) e).name()).toList()))
                  .chain(() -> overlays.removeRemote(repository, name, remote)),
              ctx, answer));
        });
  }

  /**
   * Removes the objects of the tables a branch's deletion untracked. The branch is deleted by then: a failure is
   * logged and leaves them (their table aside among them) for an administrator, rather than answering an error.
   */
  private Uni<Void> removeUntracked(String repository, List<TableRow> tracked, List<String> untracked) {
    List<TableRow> rows = tracked.stream().filter(t -> untracked.contains(t.name())).toList();
    if (rows.size() < untracked.size()) { // made since they were read
      LOG.warnf("branch deletion in %s untracked %s, of which only %s were read: the objects of the others stay",
          repository, untracked, rows.stream().map(TableRow::name).toList());
    }
    return tableCommands.removeObjects(repository, rows).onFailure().invoke(e -> LOG.warnf(e,
        "the objects of %s, untracked in %s, could not all be removed", untracked, repository))
        .onFailure().recoverWithNull();
  }

  /** Whether commands on the repository may concern rows (false only when the cached state knows none are tracked). */
  private boolean withTables(String repository) {
    return !processor.holdsNoRows(Names.existingRepository(repository));
  }
}
