package io.strata.benchmarks;

import static io.strata.benchmarks.QueryTiming.median;
import static io.strata.benchmarks.QueryTiming.timed;

import io.strata.projections.overlay.PgBranchObjects;
import io.strata.projections.overlay.PgTracking;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A branch view ({@code strata_<branch>.<table>}) against its floor, side by side in one run, at every
 * size asked for: base tables of each size, a 1 000-row and a 100 000-row overlay written through the
 * view, and four queries — {@code SELECT *} fetched by the client, {@code sum/count}, {@code GROUP BY}
 * and 5 000 point lookups. The floor is the cheapest of the hand-written statements over the same
 * tables that give the same rows (the overlay's live rows plus the base table's rows whose key the
 * overlay does not hold: the pre-image log holds nothing since the fork, checked), each measured in
 * the same rounds. Prints the medians, the ratio view / floor, and the shape of the view's plans
 * (which relations a hash table is built from; how a point lookup reads the base table); the full
 * plans go to {@code view-plans.txt} in the working directory.
 *
 * <p>Usage: {@code ViewBench [sizes, comma-separated]}. Starts its own PostgreSQL (fsync on), makes the
 * branch objects with Strata's own code (no server), reads over JDBC.
 */
public final class ViewBench {
  private static final List<Integer> OVERLAYS = List.of(1000, 100_000);
  private static final int LOOKUPS = 5000;

  private ViewBench() {}

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = new ArrayList<>();
    for (String s : (args.length > 0 ? args[0] : "10000,100000,1000000").split(",")) {
      sizes.add(Integer.parseInt(s.trim()));
    }
    StringBuilder plans = new StringBuilder();
    try (OverlayDatabase od = OverlayDatabase.start("viewbench")) {
      System.out.printf(Locale.ROOT, "%-10s %-8s %-9s %10s %10s %7s %10s  %s%n", "rows", "overlay", "query",
          "view ms", "floor ms", "ratio", "table ms", "view's plan: hashed relations; base table read by");
      for (int rows : sizes) {
        for (int overlay : OVERLAYS) {
          long t0 = System.nanoTime();
          run(od, rows, overlay, plans);
          System.out.printf(Locale.ROOT, "  (%,d rows x %,d overlay: %.0f s with set-up)%n", rows, overlay,
              (System.nanoTime() - t0) / 1e9);
        }
      }
    }
    Files.writeString(Path.of("view-plans.txt"), plans);
  }

  private static void run(OverlayDatabase od, int rows, int overlay, StringBuilder plans) throws Exception {
    Connection db = od.db();
    String name = "b_" + rows + "_" + overlay;
    String table = "public." + name;
    TrackedTable t = od.trackedTable(name, rows);
    od.inTransaction(unit -> new PgBranchObjects().create(unit, t, "dev", StatePath.WORKING));
    String view = "strata_dev." + name;
    String overlayTable = "strata." + quote(t.id() + "__v_" + t.branchId("dev"));
    String preimages = "strata." + quote(t.id() + "__p");
    // the overlay, written through the view: every (rows / overlay)-th row updated, or every row and
    // new ones past the table's end when the overlay is the larger
    if (overlay <= rows) {
      OverlayDatabase.exec(db, "update " + view + " set v = v + 1 where id % " + (rows / overlay) + " = 0");
    } else {
      OverlayDatabase.exec(db, "update " + view + " set v = v + 1");
      OverlayDatabase.exec(db, "insert into " + view + " select g, g, md5(g::text) from generate_series(" + (rows + 1) + ", "
          + overlay + ") g");
    }
    OverlayDatabase.exec(db, "vacuum analyze");
    if (count(db, "select count(*) from " + preimages) != 0) {
      throw new IllegalStateException("pre-images since the fork: the floor below would not be the same rows");
    }
    String floor = "(select id, v, pad from " + overlayTable + " o where not o.__deleted union all"
        + " select id, v, pad from " + table + " x where not exists (select 1 from " + overlayTable
        + " o where o.id = x.id))";
    String floorIn = "(select id, v, pad from " + overlayTable + " o where not o.__deleted union all"
        + " select id, v, pad from " + table + " x where x.id not in (select id from " + overlayTable + "))";
    long expected = count(db, "select count(*) from " + floor + " f");
    if (count(db, "select count(*) from " + view) != expected) {
      throw new IllegalStateException("the view and the floor differ");
    }
    int runs = rows >= 10_000_000 ? 3 : rows >= 1_000_000 ? 7 : 11;
    Map<String, String> queries = new LinkedHashMap<>();
    queries.put("SELECT *", "select * from {r} s");
    queries.put("sum/count", "select sum(v), count(*) from {r} s");
    queries.put("GROUP BY", "select v % 100, count(*), max(pad) from {r} s group by 1");
    for (Map.Entry<String, String> q : queries.entrySet()) {
      String v = q.getValue().replace("{r}", view);
      String f = q.getValue().replace("{r}", floor);
      String fIn = q.getValue().replace("{r}", floorIn);
      String b = q.getValue().replace("{r}", table);
      Map<String, List<Double>> times = alternate(db, runs, v, f, fIn, b);
      String plan = explain(db, v);
      plans.append(String.format(Locale.ROOT, "== %,d rows, %,d-row overlay: %s%n%s%n", rows, overlay, v, plan));
      print(rows, overlay, q.getKey(), times.get(v), Math.min(median(times.get(f)), median(times.get(fIn))),
          median(times.get(b)), shape(plan, name));
    }
    String pointView = "select * from " + view + " where id = ?";
    String pointFloor = "select id, v, pad from " + overlayTable + " where id = ? and not __deleted union all"
        + " select id, v, pad from " + table + " x where id = ? and not exists (select 1 from " + overlayTable
        + " o where o.id = x.id)";
    String pointTable = "select * from " + table + " where id = ?";
    Map<String, List<Double>> times = lookups(db, Math.max(rows, overlay), runs, pointView, pointFloor, pointTable);
    String plan = explain(db, pointView.replace("?", Integer.toString(rows / 2 + 1)));
    plans.append(String.format(Locale.ROOT, "== %,d rows, %,d-row overlay: %s%n%s%n", rows, overlay, pointView, plan));
    print(rows, overlay, "point x" + LOOKUPS, times.get(pointView), median(times.get(pointFloor)),
        median(times.get(pointTable)), shape(plan, name));
    od.inTransaction(unit -> new PgBranchObjects().remove(unit, t, "dev"));
    od.inTransaction(unit -> new PgTracking().untrack(unit, t));
    OverlayDatabase.exec(db, "drop table " + table);
  }

  private static void print(int rows, int overlay, String query, List<Double> view, double floor, double table,
      String shape) {
    double v = median(view);
    System.out.printf(Locale.ROOT, "%-10s %-8s %-9s %10.1f %10.1f %7.3f %10.1f  %s%n", String.format("%,d", rows),
        String.format("%,d", overlay), query, v, floor, v / floor, table, shape);
  }

  /** Each statement once per round, in turn, after one warm-up round; every row fetched by the client. */
  private static Map<String, List<Double>> alternate(Connection db, int runs, String... queries) throws Exception {
    Map<String, List<Double>> times = new LinkedHashMap<>();
    for (int round = -1; round < runs; round++) {
      for (String q : queries) {
        double ms = timed(db, q);
        if (round >= 0) {
          times.computeIfAbsent(q, k -> new ArrayList<>()).add(ms);
        }
      }
    }
    return times;
  }

  /** {@link #LOOKUPS} point lookups of random keys per statement and round, statements in turn. */
  private static Map<String, List<Double>> lookups(Connection db, int keys, int runs, String... queries)
      throws Exception {
    Map<String, List<Double>> times = new LinkedHashMap<>();
    Random random = new Random(7);
    List<PreparedStatement> prepared = new ArrayList<>();
    try {
      for (String q : queries) {
        prepared.add(db.prepareStatement(q));
      }
      for (int round = -1; round < runs; round++) {
        int[] sample = random.ints(LOOKUPS, 1, keys + 1).toArray();
        for (int i = 0; i < queries.length; i++) {
          PreparedStatement ps = prepared.get(i);
          int parameters = ps.getParameterMetaData().getParameterCount();
          long t0 = System.nanoTime();
          for (int k : sample) {
            for (int p = 1; p <= parameters; p++) {
              ps.setInt(p, k);
            }
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                rs.getObject(1);
              }
            }
          }
          if (round >= 0) {
            times.computeIfAbsent(queries[i], q -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
          }
        }
      }
    } finally {
      for (PreparedStatement ps : prepared) {
        ps.close();
      }
    }
    return times;
  }

  private static String explain(Connection db, String query) throws Exception {
    StringBuilder plan = new StringBuilder();
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("explain (costs off) " + query)) {
      while (rs.next()) {
        plan.append(rs.getString(1)).append('\n');
      }
    }
    return plan.toString();
  }

  /**
   * The plan's shape in one line: the relations read below each Hash node (the inputs of hash tables),
   * and the nodes that read the base table {@code table}.
   */
  static String shape(String plan, String table) {
    List<String> hashed = new ArrayList<>();
    List<String> baseReads = new ArrayList<>();
    int hashIndent = -1;
    for (String line : plan.split("\n")) {
      String trimmed = line.strip();
      if (!trimmed.startsWith("->") && Character.isWhitespace(line.isEmpty() ? ' ' : line.charAt(0))) {
        continue; // a node's detail (Hash Cond, Filter...), not a node
      }
      int indent = line.indexOf(trimmed);
      String node = trimmed.replaceFirst("^->\\s+", "");
      String relation = word(node, " on ");
      String index = word(node, " using ");
      String type = node.split(" (on|using) |  \\(")[0].strip();
      if (hashIndent >= 0 && indent <= hashIndent) {
        hashIndent = -1;
      }
      if (type.equals("Hash") || type.equals("Parallel Hash")) {
        hashIndent = indent;
      } else if (hashIndent >= 0 && relation != null) {
        hashed.add(relation.equals(table) ? "THE BASE TABLE" : relation.replaceAll("^t[0-9a-f]+__", "__"));
      }
      if (table.equals(relation)) {
        baseReads.add(type + (index != null ? " (" + index.replace(table + "_", "") + ")" : ""));
      }
    }
    return "hashed " + (hashed.isEmpty() ? "nothing" : String.join(", ", hashed)) + "; table by "
        + String.join(", ", baseReads);
  }

  private static String word(String node, String after) {
    int at = node.indexOf(after);
    return at < 0 ? null : node.substring(at + after.length()).split(" ")[0];
  }


  private static long count(Connection db, String query) throws Exception {
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
