package io.strata.projections.tables;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.HashMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Reads of the tables projection. */
public final class TableQueries {
  public static final String COLUMNS =
      "name, storage, schema_name, table_name, primary_key, columns::text as columns, row_count, row_sum, content_hash, tracked_at,"
          + " shape::text as shape, ddl_through, branch_columns::text as branch_columns,"
          + " branch_added::text as branch_added, branch_renamed::text as branch_renamed,"
          + " made_on, made_schema, made_table, made_branches, placed_position";
  static final String ONE = "select " + COLUMNS + " from strata_meta.tables where repository = $1 and name = $2";
  static final String ALL = "select " + COLUMNS + " from strata_meta.tables where repository = $1 order by name";
  private static final TypeReference<List<TableColumn>> COLUMN_LIST = new TypeReference<>() {};
  private static final TypeReference<List<TableSchemaChanged.BranchColumns>> BRANCH_COLUMNS = new TypeReference<>() {};
  private static final TypeReference<List<TableRow.BranchAdded>> BRANCH_ADDED = new TypeReference<>() {};
  private static final TypeReference<List<TableRow.BranchRenamed>> BRANCH_RENAMED = new TypeReference<>() {};

  private final Pool pool;

  public TableQueries(Pool pool) {
    this.pool = pool;
  }

  /** Each repository with the storages its tracked tables are in: repository to storages. */
  public Uni<Map<String, List<String>>> storagesInUse() {
    return pool.query("select repository, storage from strata_meta.tables group by repository, storage"
            + " order by repository, storage").execute()
        .map(rows -> {
          Map<String, List<String>> storages = new TreeMap<>();
          rows.forEach(r -> storages.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r.getString(1)));
          return storages;
        });
  }

  /**
   * The shapes of the tables tracked at commit {@code commit}, by name; empty when the commit is unknown.
   * A commit's shapes are those recorded up to the newest commit of the default branch it reaches (its
   * {@code shape_position}, V21).
   */
  public Uni<Map<String, TableShape>> shapesAt(String repository, String commit) {
    return pool.preparedQuery(SHAPES_AS_OF).execute(Tuple.of(repository, commit))
        .chain(rows -> {
          Long position = rows.rowCount() == 0 ? null : rows.iterator().next().getLong(0);
          if (position == null) {
            return Uni.createFrom().item(Map.<String, TableShape>of());
          }
          return pool.preparedQuery(SHAPES_AT).execute(Tuple.of(repository, position))
              .chain(found -> madeAt(repository, List.of(commit)).map(made -> {
                Map<String, TableShape> shapes = new TreeMap<>();
                for (Row r : found) {
                  if (r.getBoolean(1)) {
                    shapes.put(r.getString(0), shapeOf(r.getString(2), r.getString(3), r.getArrayOfStrings(4)));
                  }
                }
                return made.apply(commit, shapes);
              }));
        });
  }

  /**
   * The shapes of the tables tracked on branch {@code branch} at its head {@code head}: the head's ({@link #shapesAt}),
   * each table in the columns of the shape of it the branch reads them from where that is another (it reads the table's
   * columns and the table changed them since, or it kept them from a shape of the table newer than the head's).
   */
  public Uni<Map<String, TableShape>> shapesOnBranch(String repository, String branch, String head) {
    return shapesAt(repository, head).chain(shapes -> pool.preparedQuery(BRANCH_SHAPES_FROM)
        .execute(Tuple.of(repository, head, branch)).map(rows -> {
          for (Row r : rows) {
            shapes.computeIfPresent(r.getString(0), (t, s) -> ShapeSources.columnsFrom(s,
                shapeOf(r.getString(1), r.getString(2), r.getArrayOfStrings(3))));
          }
          return shapes;
        }));
  }

  /**
   * Per table, the shape {@link ShapeSources#SHAPE_FROM_ALL} names for branch $3 at head $2 (also where it is the
   * one the head's {@code shape_position} gives: the head's own record may name another).
   */
  static final String BRANCH_SHAPES_FROM = "select h.name, h.shape::text, h.columns::text, h.primary_key from ("
      + ShapeSources.SHAPE_FROM_ALL + """
      ) f(repository, commit_id, table_name, position)
      cross join lateral (select * from strata_meta.table_shape_history x
                           where x.repository = f.repository and x.name = f.table_name and x.position <= f.position
                           order by x.position desc limit 1) h
      where h.tracked""";

  /**
   * The columns table {@code table} had at commit {@code commit} (as {@link #shapesAt} tells them, in one
   * indexed read); empty when the commit is unknown or the table was not tracked then.
   */
  public Uni<Optional<List<TableColumn>>> columnsAt(String repository, String commit, String table) {
    return pool.preparedQuery(COLUMNS_AT).execute(Tuple.of(repository, commit, table))
        .chain(rows -> madeAt(repository, List.of(commit)).map(made -> {
      TableShape madeShape = made.present().getOrDefault(commit, Map.of()).get(table);
      if (madeShape != null) {
        return Optional.of(madeShape.tableColumns());
      }
      if (rows.rowCount() == 0 || !rows.iterator().next().getBoolean(1)
          || made.absent().getOrDefault(commit, Set.of()).contains(table)) {
        return Optional.empty();
      }
      List<TableColumn> then;
      try {
        then = EventCodec.mapper().readValue(rows.iterator().next().getString(0), COLUMN_LIST);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("unreadable columns in the table shape history", e);
      }
      // in the columns of the shape its branch read them from (ShapeSources.columnsFrom)
      TableShape from = made.readFrom().getOrDefault(commit, Map.of()).get(table);
      return Optional.of(from == null ? then : from.tableColumns().stream().map(c -> then.stream()
          .filter(x -> x.name().equals(c.name())).findFirst().orElse(c)).toList());
    }));
  }

  /** What commits {@code commits} hold of the tables made on a branch ({@link CommitMadeTables}). */
  public Uni<CommitMadeTables.MadeAt> madeAt(String repository, List<String> commits) {
    return CommitMadeTables.at(pool, repository, commits);
  }

  /** Table $3's newest columns recorded at or before commit $2's shape position. */
  static final String COLUMNS_AT = """
      select h.columns::text, h.tracked from strata_meta.table_shape_history h
      where h.repository = $1 and h.name = $3
        and h.position <= (select c.shape_position from strata_meta.commits c where c.repository = $1 and c.id = $2)
      order by h.position desc limit 1""";

  /** The log position commit $2's shapes are as of (V21). */
  static final String SHAPES_AS_OF =
      "select shape_position from strata_meta.commits where repository = $1 and id = $2";

  /** Each table's newest shape recorded at or before position $2 (tracked false: untracked then). */
  static final String SHAPES_AT = """
      select distinct on (name) name, tracked, shape::text, columns::text, primary_key
      from strata_meta.table_shape_history where repository = $1 and position <= $2
      order by name, position desc""";

  /** The positions commits $2's shapes are as of. */
  static final String SHAPE_POSITIONS =
      "select id, shape_position from strata_meta.commits where repository = $1 and id = any($2::text[])";

  /** Every shape recorded up to position $2, oldest first. */
  static final String SHAPE_HISTORY = """
      select name, tracked, shape::text, columns::text, primary_key, position
      from strata_meta.table_shape_history where repository = $1 and position <= $2 order by position""";

  /**
   * The shapes of the tables tracked at each of {@code commits} (as {@link #shapesAt} answers one), read
   * with two queries whatever their number: for a walk along a history. A commit not known is left out.
   */
  public Uni<Map<String, Map<String, TableShape>>> shapesAtCommits(String repository, List<String> commits) {
    return pool.preparedQuery(SHAPE_POSITIONS).execute(Tuple.of(repository, commits.toArray(String[]::new)))
        .chain(rows -> {
          Map<String, Long> positions = new HashMap<>();
          rows.forEach(r -> positions.put(r.getString(0), r.getLong(1)));
          long newest = positions.values().stream().mapToLong(Long::longValue).max().orElse(0);
          return pool.preparedQuery(SHAPE_HISTORY).execute(Tuple.of(repository, newest)).map(history -> {
            // the history walked once, the shapes taken as it passes each position asked for
            List<Map.Entry<String, Long>> asked = positions.entrySet().stream().sorted(Map.Entry.comparingByValue())
                .toList();
            Map<String, Map<String, TableShape>> byCommit = new HashMap<>();
            Map<String, TableShape> current = new TreeMap<>();
            int next = 0;
            for (Row r : history) {
              for (; next < asked.size() && asked.get(next).getValue() < r.getLong(5); next++) {
                byCommit.put(asked.get(next).getKey(), new TreeMap<>(current));
              }
              if (r.getBoolean(1)) {
                current.put(r.getString(0), shapeOf(r.getString(2), r.getString(3), r.getArrayOfStrings(4)));
              } else {
                current.remove(r.getString(0));
              }
            }
            for (; next < asked.size(); next++) {
              byCommit.put(asked.get(next).getKey(), new TreeMap<>(current));
            }
            return byCommit;
          }).chain(byCommit -> madeAt(repository, commits).map(made -> {
            byCommit.forEach(made::apply);
            return byCommit;
          }));
        });
  }

  /**
   * The tables among {@code recorded} (name to the shape recorded now) whose shape differs from the one
   * recorded at {@code commit}: on the default branch, DDL made since its head.
   */
  public Uni<Set<String>> shapesChangedSince(String repository, String commit,
      Map<String, TableShape> recorded) {
    if (recorded.isEmpty()) {
      return Uni.createFrom().item(Set.of());
    }
    return shapesAt(repository, commit).map(then -> recorded.entrySet().stream()
        .filter(e -> then.containsKey(e.getKey()) && !then.get(e.getKey()).hash().equals(e.getValue().hash()))
        .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new)));
  }

  static TableShape shapeOf(String shape, String columns, String[] primaryKey) {
    try {
      return shape != null ? EventCodec.mapper().readValue(shape, TableShape.class)
          : TableShape.ofColumns(EventCodec.mapper().readValue(columns, COLUMN_LIST), Arrays.asList(primaryKey));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an unreadable shape in the table shape history", e);
    }
  }

  public Uni<Optional<TableRow>> table(String repository, String name) {
    return pool.preparedQuery(ONE).execute(Tuple.of(repository, name))
        .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(toRow(rows.iterator().next())));
  }

  public Uni<List<TableRow>> tables(String repository) {
    return pool.preparedQuery(ALL).execute(Tuple.of(repository)).map(rows -> {
      List<TableRow> list = new ArrayList<>();
      rows.forEach(r -> list.add(toRow(r)));
      return list;
    });
  }

  public static TableRow toRow(Row r) {
    String shape = r.getString("shape");
    try {
      return new TableRow(new TableTracked(r.getString("name"), r.getString("storage"), r.getString("schema_name"),
          r.getString("table_name"), Arrays.asList(r.getArrayOfStrings("primary_key")),
          EventCodec.mapper().readValue(r.getString("columns"), COLUMN_LIST), r.getLong("row_count"),
          r.getString("row_sum"), r.getString("content_hash"), shape == null ? null
              : EventCodec.mapper().readValue(shape, TableShape.class)), r.getOffsetDateTime("tracked_at").toInstant(),
          r.getLong("ddl_through"), EventCodec.mapper().readValue(r.getString("branch_columns"), BRANCH_COLUMNS),
          EventCodec.mapper().readValue(r.getString("branch_added"), BRANCH_ADDED),
          EventCodec.mapper().readValue(r.getString("branch_renamed"), BRANCH_RENAMED),
          r.getString("made_on") == null ? null : new TableRow.Made(r.getString("made_on"), r.getString("made_schema"),
              r.getString("made_table"), Arrays.asList(r.getArrayOfStrings("made_branches"))),
          r.getLong("placed_position"));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable table row", e);
    }
  }

  /**
   * The tables' shapes at commit {@code commit} ({@link #shapesAt}) in the columns its branch read when it
   * was made: those it had added through Strata ({@link #addedAt}) after theirs, without the table's it did
   * not read ({@link #columnNamesAt}: dropped on the branch, or gained by the table after it was created).
   */
  public Uni<Map<String, TableShape>> shapesWithAddedAt(String repository, String commit) {
    return storedShapesAt(repository, commit).chain(shapes -> BranchShapeRecords.renamedAt(pool, repository, commit)
        .map(renamed -> BranchShapeRecords.withRenamed(shapes, renamed)));
  }

  /**
   * {@link #shapesWithAddedAt} with every column under the name it is stored under (a column its branch showed
   * under another name: {@link #renamedAt}).
   */
  public Uni<Map<String, TableShape>> storedShapesAt(String repository, String commit) {
    return shapesAt(repository, commit).chain(shapes -> addedAt(repository, commit)
        .chain(added -> BranchShapeRecords.columnNamesAt(pool, repository, commit)
            .chain(names -> BranchShapeRecords.redefinedAt(pool, repository, commit)
                .chain(redefined -> BranchShapeRecords.constraintsAt(pool, repository, commit)
                    .map(constraints -> BranchShapeRecords.withConstraints(BranchShapeRecords.withRedefined(
                        BranchShapeRecords.withBranchColumns(shapes, added, names), redefined), constraints))))));
  }

  /**
   * {@link BranchShapeRecords#shapesDifferingFrom(SqlClient, String, String, String, String, List)} of commit
   * {@code commit}'s record, in the metadata database.
   */
  public Uni<java.util.Set<String>> shapesDifferingFrom(String repository, String branch, String commit,
      List<String> tables) {
    return tables.isEmpty() ? Uni.createFrom().item(java.util.Set.of())
        : BranchShapeRecords.shapesDifferingFrom(pool, repository, branch, commit, commit, tables);
  }

  /**
   * {@link BranchShapeRecords#recordedOnBranch(SqlClient, String, String, String, java.time.Instant, String, List)} in
   * the metadata database.
   */
  public Uni<List<String>> recordedOnBranch(String repository, String table, String branch, java.time.Instant since,
      String head, List<String> names) {
    return BranchShapeRecords.recordedOnBranch(pool, repository, table, branch, since, head, names);
  }

  /** {@link BranchShapeRecords#renamedAt(SqlClient, String, String)} in the metadata database. */
  public Uni<Map<String, Map<String, String>>> renamedAt(String repository, String commit) {
    return BranchShapeRecords.renamedAt(pool, repository, commit);
  }

  /**
   * Per table tracked at commit {@code commit}, the names of the table's columns as its recorded shape was
   * then ({@link #shapesAt}: without the columns a branch added, nor the commit's branch's own choice of them,
   * {@link #columnNamesAt}). Read in {@code client}'s snapshot; empty for a commit unknown.
   */
  public static Uni<Map<String, List<String>>> shapeColumnNamesAt(SqlClient client, String repository,
      String commit) {
    return client.preparedQuery("""
            select h.name, (select jsonb_agg(c->>'name' order by n)
                              from jsonb_array_elements(h.columns) with ordinality x(c, n))::text
            from (select distinct on (h.name) h.name, h.tracked, h.columns from strata_meta.table_shape_history h
                   left join strata_meta.commit_shape_from f
                          on f.repository = $1 and f.commit_id = $2 and f.table_name = h.name
                   where h.repository = $1 and h.position <= coalesce(f.position,
                           (select c.shape_position from strata_meta.commits c where c.repository = $1 and c.id = $2))
                   order by h.name, h.position desc) h
            where h.tracked""")
        .execute(Tuple.of(repository, commit))
        .map(BranchShapeRecords::namesByTable);
  }

  /** {@link BranchShapeRecords#columnNamesAt(SqlClient, String, String)} in the metadata database. */
  public Uni<Map<String, List<String>>> columnNamesAt(String repository, String commit) {
    return BranchShapeRecords.columnNamesAt(pool, repository, commit);
  }

  /** {@link BranchShapeRecords#constraintsAt(SqlClient, String, String)} in the metadata database. */
  public Uni<Map<String, List<TableShape.Constraint>>> constraintsAt(String repository, String commit) {
    return BranchShapeRecords.constraintsAt(pool, repository, commit);
  }

  /** {@link BranchShapeRecords#redefinedAt(SqlClient, String, String)} in the metadata database. */
  public Uni<Map<String, List<TableShape.Column>>> redefinedAt(String repository, String commit) {
    return BranchShapeRecords.redefinedAt(pool, repository, commit);
  }

  /** {@link BranchShapeRecords#addedAt(SqlClient, String, String)} in the metadata database. */
  public Uni<Map<String, List<TableShape.Column>>> addedAt(String repository, String commit) {
    return BranchShapeRecords.addedAt(pool, repository, commit);
  }

  /** Whether commit {@code commit} (or a stash key) records a branch's own shape of any table. */
  public Uni<Boolean> recordsBranchShapeAt(String repository, String commit) {
    return BranchShapeRecords.recordsAny(pool, repository, commit);
  }
}
