package io.strata.server.queries;

import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StorageBackends.OpenUnit;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.RefResolver;
import io.strata.server.runtime.TableShapes;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/**
 * Differences between two refs, per table and per row: the net effect of the change sets on the two
 * paths from their merge base (immutable, so no snapshot is needed). O(rows changed on the paths).
 */
@ApplicationScoped
public class Diffs {
  private final RefResolver resolver;
  private final TableQueries tables;
  private final Pool metadata;
  private final StorageBackends backends;

  @Inject
  public Diffs(RefResolver resolver, TableQueries tables, Pool metadata,
      StorageBackends backends) {
    this.backends = backends;
    this.resolver = resolver;
    this.tables = tables;
    this.metadata = metadata;
  }

  /** Rows per fetch of a table's change cursor. */
  private static final int FETCH = 2_000;

  public record TableSummary(String table, long inserted, long updated, long deleted) {}

  public record RowDiff(String table, JsonNode key, String op, JsonNode before, JsonNode after, List<String> fields) {}

  public record Diff(String from, String to, String fromCommit, String toCommit, List<TableSummary> tables,
      @org.eclipse.microprofile.openapi.annotations.media.Schema(nullable = true) List<RowDiff> changes) {}

  /** The per-table summary of the differences (no rows). */
  public Uni<Diff> diff(RepositoryRow repository, String from, String to, String onlyTable) {
    return plan(repository.name(), from, to, onlyTable).chain(plan -> summary(repository.name(), from, to, plan));
  }

  /**
   * The summary, and every changed row after it as a stream read when subscribed: in table and key
   * order, one cursor per table, so a diff of any size passes through in bounded memory.
   */
  public Uni<Streamed> diffWithRows(RepositoryRow repository, String from, String to, String onlyTable) {
    String repo = repository.name();
    return plan(repo, from, to, onlyTable)
        .chain(plan -> summary(repo, from, to, plan).map(diff -> new Streamed(diff, changes(repo, plan))));
  }

  public record Streamed(Diff summary, Multi<RowDiff> changes) {}

  /** Every changed row, streamed (see {@link #diffWithRows}). */
  public Multi<RowDiff> stream(RepositoryRow repository, String from, String to, String onlyTable) {
    String repo = repository.name();
    return plan(repo, from, to, onlyTable).onItem().transformToMulti(plan -> changes(repo, plan));
  }

  private Uni<Diff> summary(String repo, String from, String to, Plan plan) {
    return Multi.createFrom().iterable(plan.tables())
        .onItem().transformToUniAndConcatenate(table -> backends.withoutTransaction(repo, table.storage(),
                c -> c.roles().changeSets().diffCounts(c, TrackedTable.of(repo, table),
                    plan.paths().undo(table.name()), plan.paths().redo(table.name())))
            .map(c -> new TableSummary(table.name(), c.inserted(), c.updated(), c.deleted()))
            .onFailure().recoverWithUni(e -> TableShapes.explain(e, backends, table.storage(), TrackedTable.of(repo, table))))
        .collect().asList()
        .map(summaries -> new Diff(from, to, plan.fromCommit(), plan.toCommit(), summaries, null));
  }

  private Multi<RowDiff> changes(String repo, Plan plan) {
    return Multi.createFrom().iterable(plan.tables())
        .onItem().transformToMultiAndConcatenate(table -> {
          TrackedTable tracked = TrackedTable.of(repo, table);
          List<String> fromPath = plan.paths().undo(table.name());
          List<String> toPath = plan.paths().redo(table.name());
          return Multi.createFrom().resourceFromUni(() -> backends.beginRead(repo, table.storage()),
                  read -> read.unit().roles().changeSets().diff(read.unit(), tracked, fromPath, toPath, FETCH))
              .withFinalizer(OpenUnit::rollback)
              .map(change -> rowDiff(table.name(), change))
              .onFailure().recoverWithMulti(e -> TableShapes.<RowDiff>explain(e, backends, table.storage(), tracked)
                  .toMulti());
        });
  }

  /** The two commits, the tables to compare and the change sets that lead to each side from their merge base. */
  private record Plan(String fromCommit, String toCommit, List<TableRow> tables, CommitGraph.Paths paths) {}

  private Uni<Plan> plan(String repo, String from, String to, String onlyTable) {
    return Uni.combine().all().unis(resolver.resolve(repo, from), resolver.resolve(repo, to),
            tables.tables(repo)).asTuple()
        .chain(t -> {
          List<TableRow> selected = t.getItem3().stream()
              .filter(x -> onlyTable == null || x.name().equals(onlyTable)).toList();
          if (onlyTable != null && selected.isEmpty()) {
            throw new StrataException(ErrorCode.TableNotFound, "table '" + onlyTable + "' is not tracked",
                Map.of("table", onlyTable));
          }
          String a = t.getItem1().commit();
          String b = t.getItem2().commit();
          return CommitGraph.pathsBetween(metadata, repo, a, b).map(paths -> new Plan(a, b, selected, paths));
        });
  }

  private static RowDiff rowDiff(String table, ChangeSets.RowChange r) {
    return new RowDiff(table, json(r.key()), r.op(), json(r.before()), json(r.after()), r.fields());
  }

  private static JsonNode json(String text) {
    try {
      return text == null ? null : EventCodec.mapper().readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
