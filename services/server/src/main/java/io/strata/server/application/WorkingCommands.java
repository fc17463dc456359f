package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableCounts;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Commands;
import io.strata.server.domain.Commands.ChangeKind;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Existing;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/**
 * Stage, unstage and discard: operations on a branch's working tree in its tables' databases (the
 * working logs the capture triggers fill), each recorded as an event with the rows concerned. Only
 * the default branch holds working changes until branch overlays exist; on other branches these
 * operations concern nothing.
 */
@ApplicationScoped
public class WorkingCommands {
  private final CommandProcessor processor;
  private final Existing existing;
  private final TableQueries tables;
  private final StorageBackends backends;

  @Inject
  public WorkingCommands(CommandProcessor processor, Existing existing, TableQueries tables, StorageBackends backends) {
    this.backends = backends;
    this.processor = processor;
    this.existing = existing;
    this.tables = tables;
  }

  @Permits(Permission.WRITE)
  public Uni<CommandResponse> run(String repository, String defaultBranch, String branch, ChangeKind kind,
      List<String> only, CommandContext ctx, Answer answer) {
    BranchRef on = BranchRef.of(branch, defaultBranch);
    if (kind == ChangeKind.DISCARDED) {
      // in the repository's queue, in the transaction that records it: never between a merge's start and
      // its rows (a merge's rows are working changes; abort puts them back)
      return existing.branch(repository, branch)
          // a table in another storage is discarded in its own transaction first: a gated branch refuses it before
          .chain(b -> processor.admitted(repository, branch, "discard", ctx))
          .chain(() -> selected(repository, only))
          .chain(selected -> processor.execute(repository, Footprint.branches(branch), (tx, state) -> {
            RepositoryState.Merge merge = state.merge(branch);
            if (merge != null) {
              throw RepositoryDecider.mergeInProgress(branch, merge);
            }
            return Multi.createFrom().iterable(selected)
                .onItem().transformToUniAndConcatenate(t -> backends.sharesAppendTransaction(t.storage())
                    ? TableShapes.requireUnchanged(tx, TrackedTable.on(repository, t, on.name()))
                        .chain(() -> tx.roles().workingState().discard(tx, TrackedTable.on(repository, t, on.name()), on))
                        .map(c -> new TableCounts(t.name(), c.inserted(), c.updated(), c.deleted()))
                    : apply(repository, on, t, kind))
                .filter(c -> c.inserted() + c.updated() + c.deleted() > 0)
                .collect().asList()
                .map(counts -> new Commands.RecordChanges(kind, branch, counts, false));
          }, ctx, answer));
    }
    // staging and unstaging change the working log before they are recorded: a gated branch refuses them first
    return existing.branch(repository, branch)
        .chain(b -> processor.admitted(repository, branch, kind == ChangeKind.STAGED ? "stage" : "unstage", ctx))
        .chain(() -> selected(repository, only))
        .chain(selected -> Multi.createFrom().iterable(selected)
            .onItem().transformToUniAndConcatenate(t -> apply(repository, on, t, kind))
            .filter(c -> c.inserted() + c.updated() + c.deleted() > 0)
            .collect().asList())
        .chain(counts -> processor.execute(repository, new Commands.RecordChanges(kind, branch, counts, false), ctx,
            answer));
  }

  private Uni<List<TableRow>> selected(String repository, List<String> only) {
    return tables.tables(repository).map(all -> {
      if (only == null || only.isEmpty()) {
        return all;
      }
      for (String name : only) {
        if (all.stream().noneMatch(t -> t.name().equals(name))) {
          throw new StrataException(ErrorCode.TableNotFound, "table '" + name + "' is not tracked",
              Map.of("table", String.valueOf(name)));
        }
      }
      return all.stream().filter(t -> only.contains(t.name())).toList();
    });
  }

  private Uni<TableCounts> apply(String repository, BranchRef branch, TableRow t, ChangeKind kind) {
    TrackedTable table = TrackedTable.on(repository, t, branch.name());
    return backends.inOwnTransaction(repository, t.storage(), tx -> TableShapes.requireUnchanged(tx, table)
            .chain(() -> switch (kind) {
              case STAGED -> tx.roles().workingState().stage(tx, table, branch, true);
              case UNSTAGED -> tx.roles().workingState().stage(tx, table, branch, false);
              case DISCARDED -> tx.roles().workingState().discard(tx, table, branch);
            }))
        .map((ChangeCounts c) -> new TableCounts(t.name(), c.inserted(), c.updated(), c.deleted()));
  }
}
