package io.strata.benchmarks;

import static io.strata.benchmarks.QueryTiming.median;

import io.strata.events.TableShape;
import io.strata.projections.overlay.PgBranchObjects;
import io.strata.projections.overlay.PgTracking;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a branch's unique constraint costs its writes, side by side in one run: at each size, a base table whose
 * {@code pad} column is indexed (the lookup index the rule requires) and a branch of it; rounds of single-row
 * inserts through the branch's view, alternately into the branch without the rule and into a second branch with a
 * unique rule on {@code pad}, each insert its own autocommit statement, then one statement of {@link #BATCH} rows into
 * each. Prints the median round per row and the ratio with / without, for both.
 *
 * <p>Usage: {@code UniqueWriteBench [sizes, comma-separated]}. Starts its own PostgreSQL (fsync on), makes the
 * branch objects with Strata's own code (no server), writes over JDBC.
 */
public final class UniqueWriteBench {
  private static final int INSERTS = 1000;
  /** Rows of one batch: a single INSERT … SELECT through the view, one transaction. */
  private static final int BATCH = 10_000;
  private static final int ROUNDS = 7;

  private UniqueWriteBench() {}

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = new ArrayList<>();
    for (String s : (args.length > 0 ? args[0] : "10000,1000000").split(",")) {
      sizes.add(Integer.parseInt(s.trim()));
    }
    try (OverlayDatabase od = OverlayDatabase.start("uniquebench")) {
      System.out.printf(Locale.ROOT, "%-10s %14s %14s %7s %14s %14s %7s%n", "rows", "plain us/row", "unique us/row",
          "ratio", "batch plain", "batch unique", "ratio");
      for (int rows : sizes) {
        run(od, rows);
      }
    }
  }

  private static void run(OverlayDatabase od, int rows) throws Exception {
    Connection db = od.db();
    String name = "u_" + rows;
    TrackedTable t = od.trackedTable(name, rows);
    od.exec("create index on public." + name + " (pad)");
    od.exec("analyze public." + name);
    od.inTransaction(unit -> new PgBranchObjects().create(unit, t, "plain", StatePath.WORKING));
    od.inTransaction(unit -> new PgBranchObjects().create(unit, t, "held", StatePath.WORKING));
    od.inTransaction(unit -> new PgBranchObjects().addRules(unit, t, "held",
        List.of(new TableShape.Constraint("pad_unique", "unique", "UNIQUE (pad)"))));
    List<Double> plain = new ArrayList<>();
    List<Double> held = new ArrayList<>();
    List<Double> plainBatch = new ArrayList<>();
    List<Double> heldBatch = new ArrayList<>();
    int next = rows + 1;
    for (int round = -1; round < ROUNDS; round++) {
      double p = inserts(db, "strata_plain." + name, next);
      double h = inserts(db, "strata_held." + name, next);
      next += INSERTS;
      double pb = batch(db, "strata_plain." + name, next);
      double hb = batch(db, "strata_held." + name, next);
      next += BATCH;
      if (round >= 0) {
        plain.add(p);
        held.add(h);
        plainBatch.add(pb);
        heldBatch.add(hb);
      }
    }
    // the rule held: a row of the table's value is refused on the branch that has it
    try (PreparedStatement ps = db.prepareStatement("insert into strata_held." + name + " values (?, 1, md5('1'))")) {
      ps.setInt(1, next + 1);
      ps.executeUpdate();
      throw new IllegalStateException("a duplicate of the table's row was written");
    } catch (java.sql.SQLException e) {
      if (!"23505".equals(e.getSQLState())) {
        throw e;
      }
    }
    double p = median(plain) * 1000 / INSERTS;
    double h = median(held) * 1000 / INSERTS;
    double pb = median(plainBatch) * 1000 / BATCH;
    double hb = median(heldBatch) * 1000 / BATCH;
    System.out.printf(Locale.ROOT, "%-10s %14.1f %14.1f %7.2f %14.1f %14.1f %7.2f%n", String.format("%,d", rows), p, h,
        h / p, pb, hb, hb / pb);
    for (String branch : List.of("plain", "held")) {
      od.inTransaction(unit -> new PgBranchObjects().remove(unit, t, branch));
    }
    od.inTransaction(unit -> new PgTracking().untrack(unit, t));
    OverlayDatabase.exec(db, "drop table public." + name);
  }

  /** One statement inserting {@link #BATCH} rows of new keys and values through {@code view}: milliseconds. */
  private static double batch(Connection db, String view, int first) throws Exception {
    try (PreparedStatement ps = db.prepareStatement("insert into " + view
        + " select g, g, md5(g::text) from generate_series(?::int, ?::int) g")) {
      ps.setInt(1, first);
      ps.setInt(2, first + BATCH - 1);
      long t0 = System.nanoTime();
      ps.executeUpdate();
      return (System.nanoTime() - t0) / 1e6;
    }
  }

  /** {@link #INSERTS} single-row inserts of new keys and values through {@code view}: milliseconds. */
  private static double inserts(Connection db, String view, int first) throws Exception {
    try (PreparedStatement ps = db.prepareStatement("insert into " + view + " values (?, ?, md5(?::text))")) {
      long t0 = System.nanoTime();
      for (int k = first; k < first + INSERTS; k++) {
        ps.setInt(1, k);
        ps.setInt(2, k);
        ps.setInt(3, k);
        ps.executeUpdate();
      }
      return (System.nanoTime() - t0) / 1e6;
    }
  }
}
