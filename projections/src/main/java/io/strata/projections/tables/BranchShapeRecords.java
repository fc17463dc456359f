package io.strata.projections.tables;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.TableShape;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A branch's own shape of its tables (the columns it added, those it reads, shows under other names or defines
 * otherwise, the checks it added), as each commit made on it and each stash of it records them in {@code
 * strata_meta.commit_added}: the reads of those records in a given client's snapshot, the comparison of a
 * branch's shapes now with one, and the shapes they make of the table's own.
 */
public final class BranchShapeRecords {
  private static final TypeReference<List<TableShape.Column>> SHAPE_COLUMNS = new TypeReference<>() {};
  private static final TypeReference<List<String>> NAMES = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> RENAMED = new TypeReference<>() {};

  private BranchShapeRecords() {}

  /**
   * {@code shapes} with the table's columns {@code redefined} names (per table, by stored name) defined as it
   * defines them (a branch's types, NOT NULL and defaults of the table's columns).
   */
  public static Map<String, TableShape> withRedefined(Map<String, TableShape> shapes,
      Map<String, List<TableShape.Column>> redefined) {
    Map<String, TableShape> out = new TreeMap<>(shapes);
    redefined.forEach((table, columns) -> {
      TableShape s = out.get(table);
      if (!columns.isEmpty() && s != null) {
        out.put(table, new TableShape(s.columns().stream().map(c -> columns.stream()
            .filter(r -> r.name().equals(c.name())).findFirst().orElse(c)).toList(),
            s.primaryKey(), s.constraints(), s.indexes()));
      }
    });
    return out;
  }

  /**
   * Branch $3's own shape of each table where it has one, as a row of {@code strata_meta.commit_added} keyed $2
   * (a commit made on it, or a stash of it): the columns it added (none: an empty list), the names of all it reads,
   * in order, those it shows under other names, the table's own it defines otherwise and the CHECK constraints it
   * added. A branch with no shape of its own: no row.
   */
  public static final String BRANCH_SHAPES = """
      select t.repository, $2::text, t.name,
             coalesce((select e->'columns' from jsonb_array_elements(t.branch_added) e where e->>'branch' = $3), '[]'),
             (select jsonb_agg(c->>'name' order by n) from jsonb_array_elements(t.branch_columns) e
                cross join lateral jsonb_array_elements(e->'columns') with ordinality x(c, n) where e->>'branch' = $3),
             (select e->'renamed' from jsonb_array_elements(t.branch_renamed) e where e->>'branch' = $3),
             (select e->'redefined' from jsonb_array_elements(t.branch_added) e
               where e->>'branch' = $3 and jsonb_array_length(coalesce(e->'redefined', '[]')) > 0),
             (select e->'constraints' from jsonb_array_elements(t.branch_added) e
               where e->>'branch' = $3 and jsonb_array_length(coalesce(e->'constraints', '[]')) > 0)
        from strata_meta.tables t
       where t.repository = $1
         and (t.branch_columns @> jsonb_build_array(jsonb_build_object('branch', $3::text))
              or t.branch_renamed @> jsonb_build_array(jsonb_build_object('branch', $3::text))
              or exists (select from jsonb_array_elements(t.branch_added) e
                          where e->>'branch' = $3 and (jsonb_array_length(e->'columns') > 0
                                                       or jsonb_array_length(coalesce(e->'redefined', '[]')) > 0
                                                       or jsonb_array_length(coalesce(e->'constraints', '[]')) > 0)))
      """;

  /**
   * Of {@code tables}, those whose shape on {@code branch} now differs from the one recorded under {@code key}
   * (a commit's id, or a stash's key) when the tables' own shapes were those at commit {@code commit} (the
   * commit itself, or the stash's head), read in {@code client}'s snapshot: their schema changes since. Both sides
   * are compared as what they mean, as a hard reset to the commit would change them: the columns read among those
   * the table had at the commit (for a table tracked after it, made on a branch among others: those it was first
   * tracked with) and those added (a column the table gained since is left as it is); a record of
   * nothing of the branch's own (no column added, renamed or redefined, no check, and the table's columns read as
   * the table had them at the commit) is the same as none; a column added that the table had at the commit, defined
   * the same (a merge promoted it), is read as the table's; and a record that did not list the columns read (before
   * they were recorded) read the table's then and those it added.
   */
  public static Uni<java.util.Set<String>> shapesDifferingFrom(SqlClient client, String repository, String branch,
      String key, String commit, List<String> tables) {
    // the columns read, of those the table had at the commit and those added (a column the table gained since is
    // the branch's to read or not: a reset to the commit leaves it as it is); one added that the table had there,
    // defined the same (promoted by a merge, then the branch moved to a commit of the table's since), the table's
    String meant = """
        select r.table_name,
               coalesce((select jsonb_agg(c order by m) from jsonb_array_elements(r.added) with ordinality ad(c, m)
                          where not exists (select from jsonb_array_elements(tc.cols) y
                                             where y->>'name' = c->>'name' and y->>'type' = c->>'type'
                                               and y->'nullable' = c->'nullable')), '[]'::jsonb) as added,
               (select jsonb_agg(x order by n)
                  from jsonb_array_elements_text(coalesce(r.columns, tc.names
                         || coalesce((select jsonb_agg(c->>'name' order by m)
                                        from jsonb_array_elements(r.added) with ordinality ad(c, m)
                                       where not coalesce(tc.names ? (c->>'name'), false)), '[]'::jsonb)))
                       with ordinality e(x, n)
                 where x in (select jsonb_array_elements_text(coalesce(tc.names, '[]'::jsonb)))
                    or x in (select c->>'name' from jsonb_array_elements(r.added) c)) as columns,
               r.renamed, r.redefined, r.constraints, tc.names as then_names
          from %s r left join then_cols tc on tc.name = r.table_name""";
    String own = """
        select table_name, added, columns, renamed, redefined, constraints from %s
         where not (added = '[]'::jsonb and renamed is null and redefined is null and constraints is null
                    and columns is not distinct from then_names)""";
    return client.preparedQuery("""
            with then_cols as (
              select h.name, (select jsonb_agg(c->>'name' order by n)
                                from jsonb_array_elements(h.columns) with ordinality y(c, n)) as names,
                     h.columns as cols
                from (select distinct on (h.name) h.name, h.columns
                        from strata_meta.table_shape_history h
                        left join (select x.shape_position from strata_meta.commits x
                                    where x.repository = $1 and x.id = $5) p0 on true
                        left join strata_meta.commit_shape_from f
                               on f.repository = $1 and f.commit_id = $5 and f.table_name = h.name
                        cross join lateral (select coalesce(f.position, p0.shape_position) as shape_position) p
                       where h.repository = $1 and h.name = any($4)
                       -- the newest at the commit; a table tracked after it (made on a branch, among others): the
                       -- first shape it was tracked with
                       order by h.name, coalesce(h.position <= p.shape_position, false) desc,
                                case when coalesce(h.position <= p.shape_position, false) then -h.position
                                     else h.position end) h),
            now0 (repository, commit_id, table_name, added, columns, renamed, redefined, constraints) as (
            """ + BRANCH_SHAPES + """
             and t.name = any($4)),
            at0 as (select repository, commit_id, table_name, added, columns, renamed, redefined, constraints
                      from strata_meta.commit_added
                     where repository = $1 and commit_id = $2 and table_name = any($4)),
            now1 as (""" + meant.formatted("now0") + """
            ),
            at1 as (""" + meant.formatted("at0") + """
            ),
            a as (""" + own.formatted("now1") + """
            ),
            b as (""" + own.formatted("at1") + """
            )
            select table_name from (select * from a except select * from b) d
            union select table_name from (select * from b except select * from a) e""")
        .execute(Tuple.from(new Object[] {repository, key, branch, tables.toArray(String[]::new), commit}))
        .map(rows -> {
          java.util.Set<String> names = new java.util.TreeSet<>();
          rows.forEach(r -> names.add(r.getString(0)));
          return names;
        });
  }

  /**
   * Per table, the columns the branch commit {@code commit} was made on showed under other names then (stored
   * name to shown name; a table absent: none), read in {@code client}'s snapshot. Recorded since V26.
   */
  public static Uni<Map<String, Map<String, String>>> renamedAt(SqlClient client, String repository, String commit) {
    return client.preparedQuery("select table_name, renamed::text from strata_meta.commit_added"
            + " where repository = $1 and commit_id = $2 and renamed is not null")
        .execute(Tuple.of(repository, commit))
        .map(rows -> {
          Map<String, Map<String, String>> renamed = new TreeMap<>();
          for (Row r : rows) {
            try {
              renamed.put(r.getString(0), EventCodec.mapper().readValue(r.getString(1), RENAMED));
            } catch (JsonProcessingException e) {
              throw new IllegalStateException("unreadable renamed columns", e);
            }
          }
          return renamed;
        });
  }

  /**
   * {@code shapes} with the columns {@code renamed} names (per table: stored name to shown name) named as
   * shown (their definitions, and the constraints and indexes, as the table has them).
   */
  public static Map<String, TableShape> withRenamed(Map<String, TableShape> shapes,
      Map<String, Map<String, String>> renamed) {
    Map<String, TableShape> out = new TreeMap<>(shapes);
    renamed.forEach((table, names) -> {
      TableShape s = out.get(table);
      if (!names.isEmpty() && s != null) {
        out.put(table, new TableShape(s.columns().stream().map(c -> !names.containsKey(c.name()) ? c
            : c.named(names.get(c.name()))).toList(), s.primaryKey(), s.constraints(), s.indexes()));
      }
    });
    return out;
  }

  /**
   * {@link #withAdded}, then each table named in {@code names} (a branch's columns, by name) without the
   * columns that list lacks.
   */
  public static Map<String, TableShape> withBranchColumns(Map<String, TableShape> shapes,
      Map<String, List<TableShape.Column>> added, Map<String, List<String>> names) {
    Map<String, TableShape> all = withAdded(shapes, added);
    names.forEach((table, columns) -> {
      TableShape shape = all.get(table);
      if (shape != null && shape.columns().stream().anyMatch(c -> !columns.contains(c.name()))) {
        all.put(table, new TableShape(shape.columns().stream().filter(c -> columns.contains(c.name())).toList(),
            shape.primaryKey(), shape.constraints(), shape.indexes()));
      }
    });
    return all;
  }

  /**
   * Per table, the names of the columns the branch commit {@code commit} was made on read then, in order,
   * where it had columns of its own (a table absent: it read the table's, and those it had added), read in
   * {@code client}'s snapshot. Recorded for commits made since V25.
   */
  public static Uni<Map<String, List<String>>> columnNamesAt(SqlClient client, String repository, String commit) {
    return client.preparedQuery("select table_name, columns::text from strata_meta.commit_added"
            + " where repository = $1 and commit_id = $2 and columns is not null")
        .execute(Tuple.of(repository, commit))
        .map(BranchShapeRecords::namesByTable);
  }

  /** Rows of (table name, JSON array of column names) by table. */
  static Map<String, List<String>> namesByTable(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
    Map<String, List<String>> names = new TreeMap<>();
    for (Row r : rows) {
      try {
        names.put(r.getString(0), EventCodec.mapper().readValue(r.getString(1), NAMES));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("unreadable column names", e);
      }
    }
    return names;
  }

  /** {@code shapes} with each table's {@code added} columns it lacks after its own. */
  public static Map<String, TableShape> withAdded(Map<String, TableShape> shapes,
      Map<String, List<TableShape.Column>> added) {
    Map<String, TableShape> all = new TreeMap<>(shapes);
    added.forEach((table, columns) -> {
      TableShape shape = shapes.get(table);
      List<TableShape.Column> missing = shape == null ? List.of() : columns.stream()
          .filter(c -> shape.columns().stream().noneMatch(x -> x.name().equals(c.name()))).toList();
      if (!missing.isEmpty()) {
        List<TableShape.Column> columnsThen = new ArrayList<>(shape.columns());
        columnsThen.addAll(missing);
        all.put(table, new TableShape(columnsThen, shape.primaryKey(), shape.constraints(), shape.indexes()));
      }
    });
    return all;
  }

  /**
   * Per table, the table's own columns the branch commit {@code commit} was made on defined otherwise when it
   * was made (nullability, default; a table absent: none), read in {@code client}'s snapshot.
   */
  public static Uni<Map<String, List<TableShape.Column>>> redefinedAt(SqlClient client, String repository,
      String commit) {
    return definitionsAt(client, "redefined", repository, commit);
  }

  /**
   * Per table, the column definitions commit {@code commit}'s row of {@code strata_meta.commit_added} keeps in
   * {@code column} ({@code added} or {@code redefined}; none there: the table absent).
   */
  private static Uni<Map<String, List<TableShape.Column>>> definitionsAt(SqlClient client, String column,
      String repository, String commit) {
    return listsAt(client, column, SHAPE_COLUMNS, repository, commit);
  }

  /** Per table, the JSON list commit {@code commit}'s row of {@code strata_meta.commit_added} keeps in {@code column}. */
  private static <T> Uni<Map<String, List<T>>> listsAt(SqlClient client, String column,
      TypeReference<List<T>> type, String repository, String commit) {
    return client.preparedQuery("select table_name, " + column + "::text from strata_meta.commit_added"
            + " where repository = $1 and commit_id = $2 and " + column + " is not null")
        .execute(Tuple.of(repository, commit))
        .map(rows -> {
          Map<String, List<T>> by = new TreeMap<>();
          for (Row r : rows) {
            try {
              by.put(r.getString(0), EventCodec.mapper().readValue(r.getString(1), type));
            } catch (JsonProcessingException e) {
              throw new IllegalStateException("unreadable " + column + " of a commit", e);
            }
          }
          return by;
        });
  }

  /**
   * Per table, the CHECK constraints the branch commit {@code commit} was made on had added then (a table absent:
   * none), read in {@code client}'s snapshot.
   */
  public static Uni<Map<String, List<TableShape.Constraint>>> constraintsAt(SqlClient client, String repository,
      String commit) {
    return listsAt(client, "constraints", CONSTRAINTS, repository, commit);
  }

  private static final TypeReference<List<TableShape.Constraint>> CONSTRAINTS = new TypeReference<>() {};

  /**
   * {@code shapes} with the rules {@code constraints} names (per table: a branch's own) among theirs: its CHECK
   * constraints among the shape's constraints, its indexes (rules of kind {@link TableShape#INDEX}) among its indexes.
   */
  public static Map<String, TableShape> withConstraints(Map<String, TableShape> shapes,
      Map<String, List<TableShape.Constraint>> constraints) {
    Map<String, TableShape> out = new TreeMap<>(shapes);
    constraints.forEach((table, own) -> {
      TableShape s = out.get(table);
      if (!own.isEmpty() && s != null && !s.partial()) {
        List<TableShape.Constraint> all = new java.util.ArrayList<>(s.constraints());
        List<TableShape.Index> indexes = new java.util.ArrayList<>(s.indexes());
        for (TableShape.Constraint c : own) {
          if (TableShape.INDEX.equals(c.kind())) {
            if (indexes.stream().noneMatch(x -> x.name().equals(c.name()))) {
              indexes.add(TableShape.Index.ofRule(c));
            }
          } else if (all.stream().noneMatch(x -> x.name().equals(c.name()))) {
            all.add(c);
          }
        }
        out.put(table, new TableShape(s.columns(), s.primaryKey(), all, indexes));
      }
    });
    return out;
  }

  /** Whether {@code commit} (a commit's id, or a stash's key) records a branch's own shape of any table. */
  public static Uni<Boolean> recordsAny(SqlClient client, String repository, String commit) {
    return client.preparedQuery("select exists (select from strata_meta.commit_added where repository = $1"
            + " and commit_id = $2)")
        .execute(Tuple.of(repository, commit)).map(rows -> rows.iterator().next().getBoolean(0));
  }

  /**
   * Per table, the columns the branch commit {@code commit} was made on had added through Strata when it
   * was made (a table absent: none), read in {@code client}'s snapshot.
   */
  public static Uni<Map<String, List<TableShape.Column>>> addedAt(SqlClient client, String repository,
      String commit) {
    return definitionsAt(client, "added", repository, commit);
  }

  /**
   * Of {@code names} (columns {@code branch} added to {@code table}), those a record holds: the record of commit
   * {@code head}, of any commit made on the branch since {@code since} (its creation), or of any stash of it — the
   * records of every value of them a merge, a cherry-pick, a revert, a reset or a stash could bring back.
   */
  public static Uni<List<String>> recordedOnBranch(SqlClient client, String repository, String table, String branch,
      java.time.Instant since, String head, List<String> names) {
    return client.preparedQuery("""
            select distinct e->>'name' from strata_meta.commit_added a, jsonb_array_elements(a.added) e
             where a.repository = $1 and a.table_name = $2 and e->>'name' = any($6)
               and (a.commit_id = $5 or starts_with(a.commit_id, 'stash:' || $3 || ':')
                    or a.commit_id in (select c.id from strata_meta.commits c where c.repository = $1
                                        and c.branch = $3 and c.created_at >= $4))
             order by 1""")
        .execute(Tuple.from(List.of(repository, table, branch, since.atOffset(java.time.ZoneOffset.UTC), head,
            names.toArray(String[]::new))))
        .map(rows -> {
          List<String> found = new ArrayList<>();
          rows.forEach(r -> found.add(r.getString(0)));
          return found;
        });
  }
}
