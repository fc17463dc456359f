package io.strata.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** How the benchmarks time SQL: whole results fetched by the client, medians of alternated runs. */
final class QueryTiming {
  private QueryTiming() {}

  /**
   * One run of {@code query} in ms, every row fetched by the client, as psql would (no cursor: a
   * cursor's fetches would also rule out a parallel plan); garbage of the previous run is collected
   * first, so a collection during one run does not fall on the other's account.
   */
  static double timed(Connection db, String query) throws Exception {
    System.gc();
    long t0 = System.nanoTime();
    try (Statement st = db.createStatement(); var rs = st.executeQuery(query)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        for (int i = 1; i <= columns; i++) {
          rs.getObject(i);
        }
      }
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  /** Median time of {@code query} over median time of {@code base}, run alternately after one warm-up each. */
  static double ratio(Connection db, String query, String base, int runs) throws Exception {
    List<Double> q = new ArrayList<>();
    List<Double> b = new ArrayList<>();
    timed(db, query);
    timed(db, base);
    for (int i = 0; i < runs; i++) {
      q.add(timed(db, query));
      b.add(timed(db, base));
    }
    return median(q) / median(b);
  }

  /** 5 000 point lookups of random keys in 1..{@code keys} by {@code id} in {@code view} vs {@code base}, alternated in rounds. */
  static double pointRatio(Connection db, String view, String base, int keys) throws Exception {
    List<Double> v = new ArrayList<>();
    List<Double> b = new ArrayList<>();
    try (var pv = db.prepareStatement("select * from " + view + " where id = ?");
        var pb = db.prepareStatement("select * from " + base + " where id = ?")) {
      Random random = new Random(7);
      for (int round = 0; round < 7; round++) {
        int[] sample = random.ints(5000, 1, keys + 1).toArray();
        v.add(lookups(pv, sample));
        b.add(lookups(pb, sample));
      }
    }
    return median(v) / median(b);
  }

  /** The time in ms of one execution of {@code ps} per key, every row read. */
  static double lookups(PreparedStatement ps, int[] keys) throws Exception {
    long t0 = System.nanoTime();
    for (int k : keys) {
      ps.setInt(1, k);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          rs.getObject(1);
        }
      }
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  /** Something timed. */
  interface Call {
    void run() throws Exception;
  }

  /** The time {@code call} takes, in ms. */
  static double timed(Call call) throws Exception {
    long t0 = System.nanoTime();
    call.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
