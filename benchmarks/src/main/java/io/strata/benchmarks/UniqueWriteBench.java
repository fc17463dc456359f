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
 * {@code pad} column is indexed (the lookup index the rule requires) and branches of it; rounds of single-row
 * inserts through each branch's view, alternately into a branch without any rule, a branch with a unique rule on
 * {@code pad}, and a branch created after the table gained a unique constraint of its own on {@code v} (which every
 * branch created since holds), each insert its own autocommit statement, then one statement of {@link #BATCH} rows
 * into each. Prints the median round per row and the ratios to the plain branch; and what creating (and removing) a
 * branch costs before and after the table has its unique constraint.
 *
 * <p>Usage: {@code UniqueWriteBench [sizes, comma-separated]}. Starts its own PostgreSQL (fsync on), makes the
 * branch objects with Strata's own code (no server), writes over JDBC.
 */
public final class UniqueWriteBench {
  private static final int INSERTS = 1000;
  /** Rows of one batch: a single INSERT … SELECT through the view, one transaction. */
  private static final int BATCH = 10_000;
  private static final int ROUNDS = 7;
  private static final int CREATIONS = 7;

  private UniqueWriteBench() {}

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = new ArrayList<>();
    for (String s : (args.length > 0 ? args[0] : "10000,1000000").split(",")) {
      sizes.add(Integer.parseInt(s.trim()));
    }
    try (OverlayDatabase od = OverlayDatabase.start("uniquebench")) {
      System.out.printf(Locale.ROOT, "%-10s %9s %9s %6s %9s %6s | %9s %9s %6s %9s %6s | %9s %9s %6s%n", "rows",
          "plain", "rule", "ratio", "own", "ratio", "batch", "rule", "ratio", "own", "ratio", "create", "own", "ratio");
      System.out.printf(Locale.ROOT, "%-10s %9s %9s %6s %9s %6s | %9s %9s %6s %9s %6s | %9s %9s %6s%n", "",
          "us/row", "us/row", "", "us/row", "", "us/row", "us/row", "", "us/row", "", "ms", "ms", "");
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
    double created = creations(od, t);
    // the table's own unique constraint (v holds the key's value): a branch created from now on holds it
    od.exec("alter table public." + name + " add constraint " + name + "_v unique (v)");
    double createdOwn = creations(od, t);
    od.inTransaction(unit -> new PgBranchObjects().create(unit, t, "own", StatePath.WORKING));
    List<Double> plain = new ArrayList<>();
    List<Double> held = new ArrayList<>();
    List<Double> own = new ArrayList<>();
    List<Double> plainBatch = new ArrayList<>();
    List<Double> heldBatch = new ArrayList<>();
    List<Double> ownBatch = new ArrayList<>();
    int next = rows + 1;
    for (int round = -1; round < ROUNDS; round++) {
      double p = inserts(db, "strata_plain." + name, next);
      double h = inserts(db, "strata_held." + name, next);
      double o = inserts(db, "strata_own." + name, next);
      next += INSERTS;
      double pb = batch(db, "strata_plain." + name, next);
      double hb = batch(db, "strata_held." + name, next);
      double ob = batch(db, "strata_own." + name, next);
      next += BATCH;
      if (round >= 0) {
        plain.add(p);
        held.add(h);
        own.add(o);
        plainBatch.add(pb);
        heldBatch.add(hb);
        ownBatch.add(ob);
      }
    }
    // each rule held: a row of the table's value is refused on the branch that has it
    refused(db, "insert into strata_held." + name + " values (?, ?, md5('1'))", next + 1);
    refused(db, "insert into strata_own." + name + " values (?, 1, md5(?::text))", next + 1);
    double p = median(plain) * 1000 / INSERTS;
    double h = median(held) * 1000 / INSERTS;
    double o = median(own) * 1000 / INSERTS;
    double pb = median(plainBatch) * 1000 / BATCH;
    double hb = median(heldBatch) * 1000 / BATCH;
    double ob = median(ownBatch) * 1000 / BATCH;
    System.out.printf(Locale.ROOT, "%-10s %9.1f %9.1f %6.2f %9.1f %6.2f | %9.1f %9.1f %6.2f %9.1f %6.2f | %9.1f %9.1f"
        + " %6.2f%n", String.format("%,d", rows), p, h, h / p, o, o / p, pb, hb, hb / pb, ob, ob / pb, created,
        createdOwn, createdOwn / created);
    for (String branch : List.of("plain", "held", "own")) {
      od.inTransaction(unit -> new PgBranchObjects().remove(unit, t, branch));
    }
    od.inTransaction(unit -> new PgTracking().untrack(unit, t));
    OverlayDatabase.exec(db, "drop table public." + name);
  }

  /** The median of {@link #CREATIONS} creations of a branch of {@code t} (each then removed): milliseconds. */
  private static double creations(OverlayDatabase od, TrackedTable t) {
    List<Double> took = new ArrayList<>();
    for (int i = -1; i < CREATIONS; i++) {
      long t0 = System.nanoTime();
      od.inTransaction(unit -> new PgBranchObjects().create(unit, t, "probe", StatePath.WORKING));
      double ms = (System.nanoTime() - t0) / 1e6;
      od.inTransaction(unit -> new PgBranchObjects().remove(unit, t, "probe"));
      if (i >= 0) {
        took.add(ms);
      }
    }
    return median(took);
  }

  /** Runs {@code insert} (its parameters all {@code key}): refused with 23505, or this run is wrong. */
  private static void refused(Connection db, String insert, int key) throws Exception {
    try (PreparedStatement ps = db.prepareStatement(insert)) {
      for (int i = 1; i <= ps.getParameterMetaData().getParameterCount(); i++) {
        ps.setInt(i, key);
      }
      ps.executeUpdate();
      throw new IllegalStateException("a duplicate of the table's row was written: " + insert);
    } catch (java.sql.SQLException e) {
      if (!"23505".equals(e.getSQLState())) {
        throw e;
      }
    }
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
