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
import io.strata.projections.tables.BranchShapeRecords;
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
   * at once), else those the commit's branch had when it was made ({@link TableQueries#addedAt}) — and the
   * columns it shows under other names named so.
   */
  private Uni<Map<String, TableShape>> shapesOf(String repository, RefResolver.Resolved ref) {
    return storedShapesOf(repository, ref).map(s -> BranchShapeRecords.withRenamed(s.stored(), s.renamed()));
  }

  /** The shapes at a ref with every column under its stored name, and the names the ref shows some under. */
  private record Shapes(Map<String, TableShape> stored, Map<String, Map<String, String>> renamed) {}

  private Uni<Shapes> storedShapesOf(String repository, RefResolver.Resolved ref) {
    if (!ref.isPlainBranch()) {
      return tables.storedShapesAt(repository, ref.commit()).chain(shapes -> tables.renamedAt(repository, ref.commit())
          .map(renamed -> new Shapes(shapes, renamed)));
    }
    return tables.shapesOnBranch(repository, ref.branch(), ref.commit()).chain(shapes -> tables.tables(repository)
        // a table made on another branch is not on this one, whatever its head's commit holds
        .invoke(rows -> rows.stream().filter(row -> !row.on(ref.branch()))
            .forEach(row -> shapes.remove(row.name())))
        .map(rows -> new Shapes(BranchShapeRecords.withConstraints(BranchShapeRecords.withRedefined(BranchShapeRecords.withBranchColumns(
            shapes, rows.stream()
            .collect(java.util.stream.Collectors.toMap(TableRow::name, row -> row.addedOn(ref.branch()))), rows.stream()
            .collect(java.util.stream.Collectors.toMap(TableRow::name, row -> row.columnsOn(ref.branch()).stream()
                .map(io.strata.events.TableColumn::name).toList()))), rows.stream()
            .collect(java.util.stream.Collectors.toMap(TableRow::name, row -> row.redefinedOn(ref.branch())))),
            rows.stream().collect(java.util.stream.Collectors.toMap(TableRow::name,
                row -> row.constraintsOn(ref.branch())))), rows.stream()
            .collect(java.util.stream.Collectors.toMap(TableRow::name, row -> row.renamedOn(ref.branch()))))));
  }

  public Uni<SchemaDiff> diff(RepositoryRow repository, String from, String to, String onlyTable) {
    String repo = repository.name();
    if (from == null || from.isBlank() || to == null || to.isBlank()) {
      throw StrataException.invalid(from == null || from.isBlank() ? "from" : "to", "name two refs: from and to");
    }
    return resolver.resolve(repo, from).chain(f -> resolver.resolve(repo, to).chain(t -> storedShapesOf(repo, f)
        .chain(before -> storedShapesOf(repo, t)
            .chain(after -> tables.tables(repo).chain(now -> tableDiffs(repo, before.stored(), after.stored(), now,
                onlyTable, before.renamed(), after.renamed())))
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
    return tableDiffs(repo, before, after, now, onlyTable, Map.of(), Map.of());
  }

  /**
   * As above, the shapes' columns under their stored names, {@code renamedBefore} and {@code renamedAfter}
   * the names each side shows some of them under (a column shown otherwise is {@code renamed}).
   */
  private Uni<List<TableDiff>> tableDiffs(String repo, Map<String, TableShape> before, Map<String, TableShape> after,
      List<TableRow> now, String onlyTable, Map<String, Map<String, String>> renamedBefore,
      Map<String, Map<String, String>> renamedAfter) {
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
      diffs.add(tableDiff(repo, name, a, b, where, renamedBefore.getOrDefault(name, Map.of()),
          renamedAfter.getOrDefault(name, Map.of())));
    }
    if (diffs.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    return Uni.join().all(diffs).andFailFast()
        .map(found -> found.stream().flatMap(Optional::stream).toList());
  }

  /**
   * One table's difference. A table tracked at one ref only is added or removed as a whole (its own change: with
   * the statements that make or drop it when Strata made it on a branch, else none — tracking a table in place is
   * not a migration). The statements need the table's place, so a table no longer tracked gets its changes without
   * them.
   */
  private Uni<Optional<TableDiff>> tableDiff(String repo, String name, TableShape a, TableShape b,
      Optional<TableRow> where, Map<String, String> ra, Map<String, String> rb) {
    if (a == null || b == null) {
      // a table made on a branch is made by a migration (where one tracked in place was there before)
      List<String> make = List.of();
      List<String> drop = List.of();
      if (where.isPresent() && where.get().madeOnBranch()) {
        TableRow row = where.get();
        TrackedTable placed = new TrackedTable(repo, name, row.placeSchema(), row.placeTable(), row.primaryKey(),
            row.columns());
        Tracking<UnitOfWork> tracking = backends.sqlRoles().tracking();
        make = tracking.creation(placed, a == null ? b : a);
        drop = tracking.removal(placed);
      }
      return Uni.createFrom().item(Optional.of(a == null
          ? new TableDiff(name, ShapeChange.Kind.added, null, b.hash(), List.of(), make, drop)
          : new TableDiff(name, ShapeChange.Kind.removed, a.hash(), null, List.of(), drop, make)));
    }
    // the shapes as the refs show them: a rename changes the hash
    String hashA = BranchShapeRecords.withRenamed(Map.of(name, a), Map.of(name, ra)).get(name).hash();
    String hashB = BranchShapeRecords.withRenamed(Map.of(name, b), Map.of(name, rb)).get(name).hash();
    List<ShapeChange> up = shown(ShapeDiff.between(a, b), a, b, ra, rb);
    if (up.isEmpty()) {
      return Uni.createFrom().item(Optional.empty());
    }
    List<ShapeChange> down = shown(ShapeDiff.between(b, a), b, a, rb, ra);
    if (where.isEmpty()) {
      return Uni.createFrom().item(Optional.of(new TableDiff(name, ShapeChange.Kind.modified, hashA, hashB,
          up.stream().map(c -> new TableSchemas.Change(c, List.of())).toList(), List.of(), List.of())));
    }
    TableRow row = where.get();
    TrackedTable tracked = TrackedTable.of(repo, row);
    // the statements are the storages' dialect (PostgreSQL's), written without database work
    Tracking<UnitOfWork> tracking = backends.sqlRoles().tracking();
    return Uni.createFrom().item(Optional.of(new TableDiff(name, ShapeChange.Kind.modified, hashA, hashB,
        up.stream().map(c -> new TableSchemas.Change(c, tracking.migration(tracked, List.of(c)))).toList(),
        tracking.migration(tracked, up), tracking.migration(tracked, down))));
  }

  /**
   * {@code changes} from shape {@code a} to {@code b} (columns under their stored names) with each column named
   * as its side shows it ({@code ra}, {@code rb}: stored name to shown name), after a {@code renamed} change for
   * each column both have that the sides show under different names (not destructive: its values stay).
   */
  private static List<ShapeChange> shown(List<ShapeChange> changes, TableShape a, TableShape b,
      Map<String, String> ra, Map<String, String> rb) {
    if (ra.isEmpty() && rb.isEmpty()) {
      return changes;
    }
    List<ShapeChange> out = new ArrayList<>();
    for (TableShape.Column c : a.columns()) {
      String from = ra.getOrDefault(c.name(), c.name());
      b.columns().stream().filter(x -> x.name().equals(c.name())).findFirst().ifPresent(x -> {
        String to = rb.getOrDefault(x.name(), x.name());
        if (!from.equals(to)) {
          out.add(new ShapeChange(ShapeChange.Kind.renamed, ShapeChange.ObjectType.column, from, c.named(from),
              x.named(to), false, "renamed to '" + to + "': the same column, its values kept (readers of '" + from
                  + "' must follow)"));
        }
      });
    }
    for (ShapeChange c : changes) {
      if (c.objectType() != ShapeChange.ObjectType.column) {
        out.add(c);
        continue;
      }
      Map<String, String> side = c.change() == ShapeChange.Kind.removed ? ra : rb;
      out.add(new ShapeChange(c.change(), c.objectType(), side.getOrDefault(c.object(), c.object()),
          c.before() == null ? null : ((TableShape.Column) c.before()).named(ra.getOrDefault(c.object(), c.object())),
          c.after() == null ? null : ((TableShape.Column) c.after()).named(rb.getOrDefault(c.object(), c.object())),
          c.destructive(), c.why()));
    }
    return out;
  }
}
