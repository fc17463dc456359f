package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A branch's schema changes promoted into the default branch by a merge, before its rows: the columns
 * the source branch added through Strata that the default branch's tables lack are added to the tables
 * themselves, online — one ALTER TABLE per table that waits at most {@code
 * STRATA_SCHEMA_MIGRATION_LOCK_TIMEOUT} for its lock (else the merge is refused with 409 and nothing
 * changed) and rewrites no row (PostgreSQL keeps a constant default in the catalog). The DDL guard follows
 * each in its own transaction, like any column an application adds, and the follower records it as
 * {@code table.schema_changed} on the default branch (the statement {@code ALTER TABLE} on the table, by
 * Strata's database user) before the merge reads the tables. The shape either changed or did not: a
 * failure after the ALTER leaves the columns (recorded) and no merge, which a retry completes.
 */
@ApplicationScoped
public class SchemaPromotions {
  private final RepositoryStateLoader loader;
  private final StorageBackends backends;
  private final SchemaFollower follower;
  private final StrataConfig config;

  @Inject
  public SchemaPromotions(RepositoryStateLoader loader, StorageBackends backends, SchemaFollower follower,
      StrataConfig config) {
    this.loader = loader;
    this.backends = backends;
    this.follower = follower;
    this.config = config;
  }

  /** Per table, the columns {@code source} added that the table lacks (in {@code state}). */
  static Map<String, List<TableShape.Column>> pending(RepositoryState state, String source) {
    return state.tables().values().stream()
        .map(t -> Map.entry(t.name(), missing(t, state.addedOn(t.name(), source))))
        .filter(e -> !e.getValue().isEmpty())
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  private static List<TableShape.Column> missing(TableTracked t, List<TableShape.Column> added) {
    Set<String> has = t.columns().stream().map(TableColumn::name).collect(Collectors.toSet());
    return added.stream().filter(c -> !has.contains(c.name())).toList();
  }

  /**
   * Before a merge of {@code source} into {@code target}: when the target is the default branch and the
   * source a live branch named as such, adds the columns the source added to the tables (see the class
   * comment) and waits until they are recorded. Nothing for a dry run, nor for other merges.
   */
  public Uni<Void> beforeMerge(String repository, String target, RefResolver.Resolved source, boolean dryRun) {
    if (dryRun || source.branch() == null) {
      return Uni.createFrom().voidItem();
    }
    return loader.load(repository).chain(state -> {
      if (!state.exists() || !target.equals(state.defaultBranch()) || state.branch(source.branch()) == null) {
        return Uni.createFrom().voidItem();
      }
      Map<String, List<TableShape.Column>> pending = pending(state, source.branch());
      if (pending.isEmpty()) {
        return Uni.createFrom().voidItem();
      }
      return Multi.createFrom().iterable(pending.entrySet())
          .onItem().transformToUniAndConcatenate(e -> {
            TableTracked t = state.tables().get(e.getKey());
            return backends.inOwnTransaction(repository, t.storage(), tx -> tx.roles().tracking()
                    .addColumns(tx, TrackedTable.of(repository, t), e.getValue(),
                        config.schema().migrationLockTimeout()))
                .onFailure(Tracking.Busy.class).transform(f -> new StrataException(ErrorCode.ConcurrentWrite,
                    "merging '" + source.branch() + "' into '" + target + "' adds columns "
                        + e.getValue().stream().map(TableShape.Column::name).toList() + " to table '" + t.name()
                        + "' first, and " + f.getMessage() + "; retry when the table's long transactions are done",
                    Map.of("table", t.name(), "branch", target)));
          })
          .collect().last()
          .chain(() -> follower.followRepositoryForReads(repository));
    });
  }
}
