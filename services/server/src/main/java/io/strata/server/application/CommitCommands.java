package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Commands;
import io.strata.server.domain.Names;
import io.strata.server.domain.RepositoryState;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.domain.StrataException;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;

/**
 * Commits. Every commit takes one path: the tables whose staged rows it captures are found, and the
 * command runs with their capture in its append transaction ({@link DataCommits}); with none to
 * capture, the command is batched with its repository's other commands (group commit).
 */
@ApplicationScoped
public class CommitCommands {
  private final CommandProcessor processor;
  private final RefQueries refs;
  private final TableQueries tableQueries;
  private final DataCommits dataCommits;
  private final CrossStorageCommits crossStorage;
  private final MergeCommits mergeCommits;
  private final StorageBackends backends;

  private final SchemaFollower follower;

  @Inject
  public CommitCommands(CommandProcessor processor, RefQueries refs, TableQueries tableQueries,
      DataCommits dataCommits, CrossStorageCommits crossStorage, MergeCommits mergeCommits, StorageBackends backends,
      SchemaFollower follower) {
    this.follower = follower;
    this.backends = backends;
    this.mergeCommits = mergeCommits;
    this.processor = processor;
    this.refs = refs;
    this.tableQueries = tableQueries;
    this.dataCommits = dataCommits;
    this.crossStorage = crossStorage;
  }

  @Permits(Permission.WRITE)
  public Uni<CommandResponse> commit(String repository, String branch, String message, Author author,
      String expectedHead, List<String> tables, boolean all, boolean allowEmpty, CommandContext ctx, Answer answer) {
    Names.text("message", message, 65536, true);
    Names.expectedHead(expectedHead);
    Commands.CreateCommit command =
        new Commands.CreateCommit(branch, message, author, expectedHead, allowEmpty, tables, List.of(), null);
    String repo = Names.existingRepository(repository);
    return trackedTables(repo).chain(known -> known.isEmpty()
        ? processor.execute(repo, command, ctx, answer)
        // DDL made before the commit is recorded first, by this round or by one running beside it (the
        // server's own, which may record it first): the tables are read again once the projections show it
        : follower.followRepository(repo).chain(() -> processor.caughtUp(repo)).chain(() -> trackedTables(repo))
        .chain(tracked -> crossStorage.settledAfter(repo, tracked, "commit.appended", processor.execute(repo, Footprint.of(command), (tx, state) -> {
              if (state.branch(branch) == null) {
                return Uni.createFrom().item(command); // refused by the decider
              }
              RepositoryState.Merge merge = state.merge(branch);
              if (merge != null && merge.remaining() == 0) { // this commit concludes the merge
                List<String> mergeTables = merge.started().tables().stream().map(t -> t.table()).toList();
                if (!command.tables().isEmpty() && !command.tables().containsAll(mergeTables)) {
                  throw StrataException.invalid("tables", "this commit concludes the merge in progress on '" + branch
                      + "', which wrote " + mergeTables + ": commit them all (or leave out tables)");
                }
                return mergeCommits.conclude(new TableTransactions(backends, repo, tx), tx, state, repo, command,
                    merge.started(), tracked, tracked, all, Set.of(), List.of());
              }
              return dataCommits.prepare(tx, state, repo, command, tracked, all);
            },
            ctx, answer))));
  }

  /**
   * The tables a commit of {@code repository} may capture rows of: none when this server's state knows
   * none are tracked (the common case needs no projection read) or the repository is unknown (the
   * decider refuses the commit).
   */
  private Uni<List<TableRow>> trackedTables(String repository) {
    if (processor.holdsNoRows(repository)) {
      return Uni.createFrom().item(List.of());
    }
    return refs.repository(repository).chain(r -> r.isEmpty()
        ? Uni.createFrom().item(List.<TableRow>of())
        : tableQueries.tables(repository));
  }
}
