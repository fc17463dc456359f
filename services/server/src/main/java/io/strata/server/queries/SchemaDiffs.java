package io.strata.server.queries;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.rowdata.ShapeChange;
import io.strata.projections.rowdata.ShapeDiff;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The shapes of tracked tables at a ref (time travel of the schema) and the difference between two
 * refs' shapes: per table, each change (what, before, after, destructive and why) with its statements,
 * and the migration both ways ({@code up} turns {@code from}'s shape into {@code to}'s, {@code down}
 * back), ordered as a migration must run. A shape at a commit is read from the shape history (see
 * {@link TableQueries#shapesAt}).
 */
@ApplicationScoped
public class SchemaDiffs {
  private final RefResolver resolver;
  private final TableQueries tables;
  private final StorageBackends backends;
  private final SqlQueries queries;

  @Inject
  public SchemaDiffs(RefResolver resolver, TableQueries tables, StorageBackends backends, SqlQueries queries) {
    this.queries = queries;
    this.resolver = resolver;
    this.tables = tables;
    this.backends = backends;
  }

  /** How one table's shape differs between two refs. */
  public record TableDiff(String table, ShapeChange.Kind changeType, String fromHash, String toHash,
      List<TableSchemas.Change> changes, List<String> up, List<String> down) {
    public boolean destructive() {
      return changes.stream().anyMatch(c -> c.change().destructive()) || changeType == ShapeChange.Kind.removed;
    }
  }

  public record SchemaDiff(String from, String to, String fromCommit, String toCommit, List<TableDiff> tables) {}

  /** The shape of {@code table} recorded at {@code ref}; 404 when the ref is unknown or the table was not tracked there. */
  public Uni<TableShape> shapeAt(RepositoryRow repository, String table, String ref) {
    return resolver.resolve(repository.name(), ref)
        .chain(r -> shapesOf(repository.name(), r))
        .map(shapes -> Optional.ofNullable(shapes.get(table)).orElseThrow(() -> new StrataException(
            ErrorCode.TableNotFound, "table '" + table + "' is not tracked at " + ref, Map.of("table", table))));
  }

  /**
   * The tables' shapes at a ref: its commit's ({@link TableQueries#shapesAt}) with the columns added
   * through Strata after them — for a branch named as such, those it has (they apply to its working state
   * at once), else those the commit's branch had when it was made ({@link TableQueries#addedAt}).
   */
  private Uni<Map<String, TableShape>> shapesOf(String repository, RefResolver.Resolved ref) {
    if (!ref.isPlainBranch()) {
      return tables.shapesWithAddedAt(repository, ref.commit());
    }
    return tables.shapesAt(repository, ref.commit()).chain(shapes -> tables.tables(repository)
        .map(rows -> TableQueries.withRenamed(TableQueries.withBranchColumns(shapes, rows.stream()
            .collect(java.util.stream.Collectors.toMap(TableRow::name, row -> row.addedOn(ref.branch()))), rows.stream()
            .collect(java.util.stream.Collectors.toMap(TableRow::name, row -> row.columnsOn(ref.branch()).stream()
                .map(io.strata.events.TableColumn::name).toList()))), rows.stream()
            .collect(java.util.stream.Collectors.toMap(TableRow::name, row -> row.renamedOn(ref.branch()))))));
  }

  public Uni<SchemaDiff> diff(RepositoryRow repository, String from, String to, String onlyTable) {
    String repo = repository.name();
    if (from == null || from.isBlank() || to == null || to.isBlank()) {
      throw StrataException.invalid(from == null || from.isBlank() ? "from" : "to", "name two refs: from and to");
    }
    return resolver.resolve(repo, from).chain(f -> resolver.resolve(repo, to).chain(t -> shapesOf(repo, f)
        .chain(before -> shapesOf(repo, t)
            .chain(after -> tables.tables(repo).chain(now -> tableDiffs(repo, before, after, now, onlyTable)))
            .chain(diffs -> withNullsCounted(repository, f.commit(), diffs))
            .map(diffs -> new SchemaDiff(from, to, f.commit(), t.commit(), diffs)))));
  }

  /**
   * The lint of a column made NOT NULL: how many of {@code from}'s rows hold NULL there (the migration up
   * runs on them), read through the query sandbox at that commit; any makes the change destructive (the
   * migration fails). A count that cannot be read (the table changed its columns since) leaves the change
   * as it was.
   */
  private Uni<List<TableDiff>> withNullsCounted(RepositoryRow repository, String fromCommit, List<TableDiff> diffs) {
    return Multi.createFrom().iterable(diffs).onItem().transformToUniAndConcatenate(d -> Multi.createFrom()
            .iterable(d.changes())
            .onItem().transformToUniAndConcatenate(c -> madeNotNull(c.change())
                ? nulls(repository, fromCommit, d.table(), c.change().object()).map(n -> n < 0 ? c
                    : new TableSchemas.Change(new ShapeChange(c.change().change(), c.change().objectType(),
                        c.change().object(), c.change().before(), c.change().after(), n > 0, n > 0
                            ? "NOT NULL: " + n + (n == 1 ? " row" : " rows") + " at " + fromCommit.substring(0, 12)
                                + " hold NULL, the migration fails on them"
                            : "NOT NULL: no row at " + fromCommit.substring(0, 12) + " holds NULL"), c.sql()))
                : Uni.createFrom().item(c))
            .collect().asList()
            .map(changes -> new TableDiff(d.table(), d.changeType(), d.fromHash(), d.toHash(), changes, d.up(),
                d.down())))
        .collect().asList();
  }

  private static boolean madeNotNull(ShapeChange c) {
    return c.objectType() == ShapeChange.ObjectType.column && c.before() instanceof TableShape.Column b
        && c.after() instanceof TableShape.Column a && b.nullable() && !a.nullable();
  }

  /** Rows of {@code table} at the commit whose {@code column} is NULL; -1 when they cannot be counted. */
  private Uni<Long> nulls(RepositoryRow repository, String commit, String table, String column) {
    String sql = "select count(*) from " + table + " where \"" + column.replace("\"", "\"\"") + "\" is null";
    return queries.run(repository, sql, commit, false, 1)
        .map(r -> r.rows().get(0).get(0).asLong())
        .onFailure().recoverWithItem(-1L);
  }

  Uni<List<TableDiff>> tableDiffs(String repo, Map<String, TableShape> before, Map<String, TableShape> after,
      List<TableRow> now, String onlyTable) {
    TreeSet<String> names = new TreeSet<>(before.keySet());
    names.addAll(after.keySet());
    if (onlyTable != null) {
      names.retainAll(List.of(onlyTable));
    }
    List<Uni<Optional<TableDiff>>> diffs = new ArrayList<>();
    for (String name : names) {
      TableShape a = before.get(name);
      TableShape b = after.get(name);
      Optional<TableRow> where = now.stream().filter(r -> r.name().equals(name)).findFirst();
      diffs.add(tableDiff(repo, name, a, b, where));
    }
    if (diffs.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    return Uni.join().all(diffs).andFailFast()
        .map(found -> found.stream().flatMap(Optional::stream).toList());
  }

  /**
   * One table's difference. A table tracked at one ref only is added or removed as a whole (its own
   * change, without statements: creating or dropping tables is not a migration Strata writes yet). The
   * statements need the table's place, so a table no longer tracked gets its changes without them.
   */
  private Uni<Optional<TableDiff>> tableDiff(String repo, String name, TableShape a, TableShape b,
      Optional<TableRow> where) {
    if (a == null || b == null) {
      return Uni.createFrom().item(Optional.of(new TableDiff(name, a == null ? ShapeChange.Kind.added
          : ShapeChange.Kind.removed, a == null ? null : a.hash(), b == null ? null : b.hash(), List.of(), List.of(),
          List.of())));
    }
    List<ShapeChange> up = ShapeDiff.between(a, b);
    if (up.isEmpty()) {
      return Uni.createFrom().item(Optional.empty());
    }
    List<ShapeChange> down = ShapeDiff.between(b, a);
    if (where.isEmpty()) {
      return Uni.createFrom().item(Optional.of(new TableDiff(name, ShapeChange.Kind.modified, a.hash(), b.hash(),
          up.stream().map(c -> new TableSchemas.Change(c, List.of())).toList(), List.of(), List.of())));
    }
    TableRow row = where.get();
    TrackedTable tracked = TrackedTable.of(repo, row);
    // the statements are the storages' dialect (PostgreSQL's), written without database work
    Tracking<UnitOfWork> tracking = backends.sqlRoles().tracking();
    return Uni.createFrom().item(Optional.of(new TableDiff(name, ShapeChange.Kind.modified, a.hash(), b.hash(),
        up.stream().map(c -> new TableSchemas.Change(c, tracking.migration(tracked, List.of(c)))).toList(),
        tracking.migration(tracked, up), tracking.migration(tracked, down))));
  }
}
