package io.strata.projections.tables;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which tables made on a branch (and not yet, or only since, in the default branch) commits have: a commit's shapes
 * are the default branch's as of the newest commit of it that the commit reaches, which has none of them, so each
 * commit's own record ({@code strata_meta.commit_made}) and the table's placement say.
 */
public final class CommitMadeTables {
  private CommitMadeTables() {}

  /**
   * What commits hold of the tables made on a branch: per commit, those it does not have (its branch did not have
   * them when it was made, and they had not reached the default branch by then), and the shapes of those it has
   * (recorded when its branch had them: a commit's shapes are otherwise the default branch's as of the newest
   * commit of it that it reaches, which has none of them).
   */
  public record MadeAt(Map<String, Set<String>> absent, Map<String, Map<String, TableShape>> present,
      Map<String, Map<String, TableShape>> readFrom) {
    /**
     * {@code shapes} at {@code commit} with the made tables it lacks left out and those it has put in, and the
     * tables its branch read from another of their shapes ({@code strata_meta.commit_shape_from}) in that one's columns.
     */
    public Map<String, TableShape> apply(String commit, Map<String, TableShape> shapes) {
      shapes.keySet().removeAll(absent.getOrDefault(commit, Set.of()));
      present.getOrDefault(commit, Map.of()).forEach(shapes::putIfAbsent);
      readFrom.getOrDefault(commit, Map.of()).forEach((table, shape) -> shapes.computeIfPresent(table,
          (t, s) -> ShapeSources.columnsFrom(s, shape)));
      return shapes;
    }
  }

  static Uni<MadeAt> at(SqlClient pool, String repository, List<String> commits) {
    // one round trip: every read of shapes at a commit asks, in repositories that never made a table on a branch too
    return pool.preparedQuery(MADE_AT).execute(Tuple.of(repository, commits.toArray(String[]::new))).map(rows -> {
      Map<String, Set<String>> absent = new HashMap<>();
      Map<String, Map<String, TableShape>> present = new HashMap<>();
      Map<String, Map<String, TableShape>> readFrom = new HashMap<>();
      rows.forEach(r -> {
        if ("absent".equals(r.getString(0))) {
          absent.computeIfAbsent(r.getString(1), c -> new TreeSet<>()).add(r.getString(2));
        } else {
          ("present".equals(r.getString(0)) ? present : readFrom).computeIfAbsent(r.getString(1), c -> new TreeMap<>())
              .put(r.getString(2), TableQueries.shapeOf(r.getString(3), r.getString(4), r.getArrayOfStrings(5)));
        }
      });
      return new MadeAt(absent, present, readFrom);
    });
  }

  /**
   * Per commit ($2), the tables made on branches it does not have (false), and those it has (true): those its branch
   * had when it was made, in the shape recorded last before it; and those placed into the default branch before it
   * was made, in the shape they had then (or as of the newest commit of the default branch it reaches, if later).
   */
  static final String MADE_AT = """
      select 'absent', c.id, t.name, null::text, null::text, null::text[] from strata_meta.commits c
        join strata_meta.tables t on t.repository = c.repository
       where c.repository = $1 and c.id = any($2::text[])
         and (t.made_on is not null or t.placed_position > c.position)
         and not exists (select from strata_meta.commit_made m
                          where m.repository = $1 and m.commit_id = c.id and m.table_name = t.name)
      union all
      select 'present', m.commit_id, h.name, h.shape::text, h.columns::text, h.primary_key
        from strata_meta.commit_made m
        join strata_meta.commits c on c.repository = m.repository and c.id = m.commit_id
        cross join lateral (select * from strata_meta.table_shape_history x
                             where x.repository = m.repository and x.name = m.table_name and x.position <= c.position
                             order by x.position desc limit 1) h
       where m.repository = $1 and m.commit_id = any($2::text[]) and (h.tracked or h.shape is not null)
      union all
      select 'present', c.id, h.name, h.shape::text, h.columns::text, h.primary_key
        from strata_meta.commits c
        join strata_meta.tables t on t.repository = c.repository and t.placed_position <= c.position
        cross join lateral (select * from strata_meta.table_shape_history x
                             where x.repository = c.repository and x.name = t.name
                               and x.position <= greatest(c.shape_position, t.placed_position)
                             order by x.position desc limit 1) h
       where c.repository = $1 and c.id = any($2::text[]) and h.tracked
      union all
      select 'from', f.commit_id, h.name, h.shape::text, h.columns::text, h.primary_key
        from strata_meta.commit_shape_from f
        cross join lateral (select * from strata_meta.table_shape_history x
                             where x.repository = f.repository and x.name = f.table_name and x.position <= f.position
                             order by x.position desc limit 1) h
       where f.repository = $1 and f.commit_id = any($2::text[]) and h.tracked""";
}
