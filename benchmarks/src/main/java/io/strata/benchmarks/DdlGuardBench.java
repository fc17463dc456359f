package io.strata.benchmarks;

import static io.strata.benchmarks.QueryTiming.median;
import static io.strata.benchmarks.QueryTiming.timed;

import io.strata.projections.overlay.PgBranchObjects;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the DDL guard (event triggers on every DDL command, issue 29) costs, side by side in one run on
 * its own PostgreSQL (fsync on), the guard enabled and disabled in alternating rounds: Strata's own
 * DDL (a branch's objects for {@code tables} tracked tables, made and removed), an application's DDL on a
 * tracked table (an index created and dropped: looked at and filed) and on a table nobody tracks (looked
 * at, let through). Prints the medians per round and the ratio on ÷ off.
 *
 * <p>Usage: {@code DdlGuardBench [tables] [rounds]} (default 20 tables, 9 rounds after a warm-up).
 */
public final class DdlGuardBench {
  private static final int STATEMENTS = 50;

  private DdlGuardBench() {}

  public static void main(String[] args) throws Exception {
    int tables = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
    try (OverlayDatabase od = OverlayDatabase.start("ddlbench")) {
      Connection db = od.db();
      List<TrackedTable> tracked = new ArrayList<>();
      for (int i = 0; i < tables; i++) {
        String name = "g" + i;
        OverlayDatabase.exec(db, "create table public." + name + " (id int primary key, v text, n int)");
        OverlayDatabase.exec(db, "insert into public." + name + " select g, md5(g::text), g from generate_series(1, 1000) g");
        tracked.add(od.track(name, "r"));
      }
      OverlayDatabase.exec(db, "create table public.untracked (id int primary key, v text)");

      String[] names = {"branch objects", "index on tracked", "ddl on untracked"};
      List<List<Double>> on = new ArrayList<>();
      List<List<Double>> off = new ArrayList<>();
      for (int k = 0; k < names.length; k++) {
        on.add(new ArrayList<>());
        off.add(new ArrayList<>());
      }
      int[] branch = {0};
      for (int round = 0; round <= rounds; round++) {
        for (boolean guarded : round % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
          OverlayDatabase.exec(db, "alter event trigger strata_ddl_guard_end " + (guarded ? "enable" : "disable")
              + "; alter event trigger strata_ddl_guard_drop " + (guarded ? "enable" : "disable"));
          // dropped columns count against PostgreSQL's 1600 a table: the untracked table starts afresh
          OverlayDatabase.exec(db, "drop table public.untracked; create table public.untracked (id int primary key, v text)");
          double[] ms = {
              timed(() -> branchObjects(od, tracked, "b" + (branch[0]++))),
              timed(() -> {
                for (int i = 0; i < STATEMENTS; i++) {
                  OverlayDatabase.exec(db, "create index g0_v on public.g0 (v); drop index public.g0_v");
                }
              }),
              timed(() -> {
                for (int i = 0; i < STATEMENTS; i++) {
                  OverlayDatabase.exec(db, "alter table public.untracked add column extra int; alter table public.untracked drop column extra");
                }
              })};
          if (round > 0) { // the first round warms up
            for (int k = 0; k < names.length; k++) {
              (guarded ? on : off).get(k).add(ms[k]);
            }
          }
          OverlayDatabase.exec(db, "delete from strata.ddl_followed");
        }
      }
      System.out.printf(Locale.ROOT, "%d tracked tables, %d rounds (medians; %d statements of each DDL per round)%n",
          tables, rounds, STATEMENTS * 2);
      System.out.printf(Locale.ROOT, "%-18s %12s %12s %8s%n", "what", "guard on ms", "guard off ms", "ratio");
      for (int k = 0; k < names.length; k++) {
        double a = median(on.get(k));
        double b = median(off.get(k));
        System.out.printf(Locale.ROOT, "%-18s %12.1f %12.1f %8.2f%n", names[k], a, b, a / b);
      }
    }
  }

  /** A branch's objects for every table, made (one transaction per table, as Strata does) and removed. */
  private static void branchObjects(OverlayDatabase od, List<TrackedTable> tables, String branch) {
    for (TrackedTable t : tables) {
      od.inTransaction(unit -> new PgBranchObjects().create(unit, t, branch, StatePath.WORKING));
    }
    for (TrackedTable t : tables) {
      od.inTransaction(unit -> new PgBranchObjects().remove(unit, t, branch));
    }
  }
}
