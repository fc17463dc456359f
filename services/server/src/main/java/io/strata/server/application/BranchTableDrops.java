package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.auth.Permission;
import io.strata.server.domain.BranchMadeTables;
import io.strata.server.domain.Commands;
import io.strata.server.domain.TableCommand;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.TableDecider;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A branch drops a table made on a branch (not yet in the default branch). The last branch that has it takes it out
 * of the repository ({@link TableCommand.DropTable}: its objects and its table aside go after the event, as an untrack's
 * do). A branch that shares it with others gives it up ({@link TableCommand.LeaveTable}): every row it had of it is
 * deleted and committed on it, in the transaction that appends, so its history says where the rows went and a later
 * gain of the table (a merge) starts from none; the others keep theirs.
 */
@ApplicationScoped
public class BranchTableDrops {
  private final CommandProcessor processor;
  private final TableQueries tables;
  private final StorageBackends backends;
  private final DataCommits dataCommits;
  private final TableCommands tableCommands;

  @Inject
  public BranchTableDrops(CommandProcessor processor, TableQueries tables, StorageBackends backends,
      DataCommits dataCommits, TableCommands tableCommands) {
    this.processor = processor;
    this.tables = tables;
    this.backends = backends;
    this.dataCommits = dataCommits;
    this.tableCommands = tableCommands;
  }

  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> drop(String repository, String branch, String name, Author author, CommandContext ctx,
      Answer answer) {
    // what the queue decided last: the table out of the repository (its objects go after the event), or given up
    AtomicBoolean takenOut = new AtomicBoolean();
    return tables.tables(repository).chain(tracked -> processor.execute(repository, Footprint.everything(),
            (tx, state) -> {
              BranchMadeTables.Made made = state.madeTables().of(name).orElse(null);
              TableRow row = tracked.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
              takenOut.set(made == null || row == null || !made.branches().contains(branch)
                  || made.branches().size() == 1);
              if (takenOut.get()) {
                return Uni.createFrom().item(new TableCommand.DropTable(name, branch, author)); // decided there
              }
              TableDecider.othersKeeping(state, name, branch); // refused before anything is written
              if (!backends.sharesAppendTransaction(row.storage())) {
                throw new StrataException(ErrorCode.ValidationError, "table '" + name + "' is in storage '"
                    + row.storage() + "', where its rows on '" + branch + "' cannot be deleted in the transaction"
                    + " that records the drop; it is on " + made.branches() + ": drop it from the others first, or"
                    + " delete its rows and commit", Map.of("table", name, "branch", branch));
              }
              TableTransactions held = new TableTransactions(backends, repository, tx);
              Commands.CreateCommit commit = new Commands.CreateCommit(branch, "Drop table " + name, author, null,
                  true, List.of(name), List.of(), null);
              return held.of(row).chain(c -> c.roles().workingState().clear(c, TrackedTable.on(repository, row,
                      branch), BranchRef.of(branch, state.defaultBranch())))
                  // the commit's tree records every table as the branch has it; its rows are the made table's
                  .chain(() -> dataCommits.prepare(tx, state, repository, commit, tracked, List.of(row), true,
                      Set.of(), List.of()))
                  // the other tables' shape changes stay working changes
                  .map(prepared -> (Commands.Command) new TableCommand.LeaveTable(name, branch,
                      prepared.recordingShapesOf(List.of(name), false)));
            }, ctx, answer)
        // the last branch's drop took it out of the repository: what versioned it goes too
        .call(response -> response.replayed() || !takenOut.get() ? Uni.createFrom().voidItem()
            : tableCommands.removeObjects(repository, tracked.stream().filter(t -> t.name().equals(name)).toList())));
  }
}
