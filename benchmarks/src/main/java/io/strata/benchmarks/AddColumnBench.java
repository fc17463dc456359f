package io.strata.benchmarks;

import static io.strata.benchmarks.QueryTiming.median;
import static io.strata.benchmarks.QueryTiming.timed;

import io.strata.events.TableShape;
import io.strata.projections.overlay.PgBranchObjects;
import io.strata.projections.overlay.PgTracking;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Columns added on a branch and promoted (issue 29), side by side in one run, on a private PostgreSQL
 * (fsync on), with Strata's own code (no server):
 *
 * <ol>
 *   <li><b>adding a column on a branch</b> ({@code BranchObjects.addColumns}, the whole transaction) of a
 *       small table and of a large one, in alternating rounds: zero-copy means the same time whatever the
 *       table's size (ratio large / small); and <b>altering it</b> ({@code BranchObjects.alterColumns}, an
 *       integer column widened to bigint, the branch's 1 000 written rows converted), then <b>dropping a column
 *       of the table itself</b> there ({@code BranchObjects.dropColumns}: the branch's own row type made, its
 *       overlay and log lose the column, its view made again), then <b>renaming a column</b> there
 *       ({@code BranchObjects.renameColumns}: its views made again, nothing else): the same; a <b>default of the
 *       table's column</b> given on a branch ({@code BranchObjects.redefineColumns}): the same; <b>NOT NULL</b> of
 *       it, a <b>CHECK</b> there ({@code BranchObjects.addRules}) and a <b>wider type</b> of it, which look at
 *       every row the branch reads, against PostgreSQL's own {@code ALTER TABLE} doing the same on the table (the
 *       type on a copy of it: PostgreSQL rewrites the table) (ratio branch / table); an <b>index</b> of the
 *       branch's own ({@code BranchObjects.addRules} with an index: built on its overlay): small against large;
 *   <li><b>the branch's view after</b>: a branch that added a column, one that renamed a column, and one that
 *       gave a column of the table a wider type (integer to bigint: {@code sum} of a bigint is a numeric), against
 *       one that did neither, over the same table with the same 1 000-row overlay, each query in turn in every
 *       round (ratio after / before); {@code SELECT cols} reads the columns both have (the view's own cost),
 *       {@code SELECT *} fetches the added column too (more bytes to the client);
 *   <li><b>the promotion's ALTER TABLE</b> ({@code Tracking.addColumns}, nullable, on the large table,
 *       with the DDL guard following it) while a writer updates single rows of the table in a loop: how
 *       long the ALTER's transaction takes and the longest any write waited meanwhile; then a wider type
 *       promoted the same way ({@code Tracking.redefineColumns}: every branch's view made again around it), text to
 *       varchar (no rewrite) and integer to bigint (PostgreSQL rewrites the table under its lock); then an index
 *       promoted ({@code Tracking.buildIndexes}: CREATE INDEX CONCURRENTLY) against a plain CREATE INDEX of the
 *       same column, which holds the writers for the build.
 * </ol>
 *
 * <p>Usage: {@code AddColumnBench [small rows, default 1000] [large rows, default 1000000] [rounds, default 9]}.
 */
public final class AddColumnBench {
  private AddColumnBench() {}

  public static void main(String[] args) throws Exception {
    int small = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int large = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 9;
    try (OverlayDatabase od = OverlayDatabase.start("addcolumn")) {
      Connection db = od.db();
      TrackedTable s = od.trackedTable("small_t", small);
      TrackedTable l = od.trackedTable("large_t", large);

      // 1. adding a column on a branch: small and large in turn, a new branch each round
      List<Double> addSmall = new ArrayList<>();
      List<Double> addLarge = new ArrayList<>();
      List<Double> alterSmall = new ArrayList<>();
      List<Double> alterLarge = new ArrayList<>();
      List<Double> dropSmall = new ArrayList<>();
      List<Double> dropLarge = new ArrayList<>();
      List<Double> renameSmall = new ArrayList<>();
      List<Double> renameLarge = new ArrayList<>();
      for (int round = -1; round < rounds; round++) {
        for (TrackedTable t : List.of(s, l)) {
          String branch = "b" + (round + 1);
          od.inTransaction(unit -> new PgBranchObjects().create(unit, t, branch, StatePath.WORKING));
          od.exec("update strata_" + branch + "." + t.name() + " set v = v + 1 where id <= 1000");
          double ms = timed(() -> od.inTransaction(unit -> new PgBranchObjects().addColumns(unit, t,
              branch, List.of(column("region", "'eu'::text", false)))));
          TableShape.Column score = new TableShape.Column("score", "integer", true, null, "0", null, null);
          TableShape.Column region = column("region", "'eu'::text", false);
          TrackedTable withRegion = onBranch(t, List.of(region));
          od.inTransaction(unit -> new PgBranchObjects().addColumns(unit, withRegion, branch, List.of(score)));
          TrackedTable withScore = onBranch(t, List.of(region, score));
          double alterMs = timed(() -> od.inTransaction(unit -> new PgBranchObjects().alterColumns(unit, withScore,
              branch, List.of(new TableShape.Column("score", "bigint", true, null, "'0'::bigint", null, null)))));
          TrackedTable altered = onBranch(t, List.of(region,
              new TableShape.Column("score", "bigint", true, null, "'0'::bigint", null, null)));
          // and a column of the table itself dropped there (the branch's row type made, its view again)
          double dropMs = timed(() -> od.inTransaction(unit -> new PgBranchObjects().dropColumns(unit, altered,
              branch, List.of("pad"))));
          // and a column shown under another name there (its views made again, no row touched)
          TrackedTable dropped = new TrackedTable(t.repository(), t.name(), t.schema(), t.table(), t.key(),
              t.columns(), altered.columnsOnRef().stream().filter(c -> !c.name().equals("pad")).toList(),
              altered.refAdded());
          double renameMs = timed(() -> od.inTransaction(unit -> new PgBranchObjects().renameColumns(unit, dropped,
              branch, Map.of("v", "value"))));
          if (round >= 0) {
            (t == s ? addSmall : addLarge).add(ms);
            (t == s ? alterSmall : alterLarge).add(alterMs);
            (t == s ? dropSmall : dropLarge).add(dropMs);
            (t == s ? renameSmall : renameLarge).add(renameMs);
          }
          od.inTransaction(unit -> new PgBranchObjects().remove(unit, t, branch));
        }
      }
      System.out.printf(Locale.ROOT, "add a column on a branch: %,d rows %.1f ms, %,d rows %.1f ms: ratio %.2f%n",
          small, median(addSmall), large, median(addLarge), median(addLarge) / median(addSmall));
      System.out.printf(Locale.ROOT, "alter a column on a branch (integer -> bigint): %,d rows %.1f ms, %,d rows %.1f ms:"
          + " ratio %.2f%n", small, median(alterSmall), large, median(alterLarge), median(alterLarge) / median(alterSmall));
      System.out.printf(Locale.ROOT, "drop a column of the table on a branch: %,d rows %.1f ms, %,d rows %.1f ms:"
          + " ratio %.2f%n", small, median(dropSmall), large, median(dropLarge), median(dropLarge) / median(dropSmall));
      System.out.printf(Locale.ROOT, "rename a column on a branch: %,d rows %.1f ms, %,d rows %.1f ms: ratio %.2f%n",
          small, median(renameSmall), large, median(renameLarge), median(renameLarge) / median(renameSmall));

      // 1b. the table's own columns redefined on a branch, and a CHECK added there: a default is a catalog change
      // (the same time whatever the size); NOT NULL and a CHECK look at every row the branch reads once, as
      // PostgreSQL's own ALTER TABLE looks at every row of the table: side by side with it on the large table
      List<Double> defaultSmall = new ArrayList<>();
      List<Double> defaultLarge = new ArrayList<>();
      List<Double> notNullBranch = new ArrayList<>();
      List<Double> notNullTable = new ArrayList<>();
      List<Double> checkBranch = new ArrayList<>();
      List<Double> checkTable = new ArrayList<>();
      List<Double> retypeSmall = new ArrayList<>();
      List<Double> retypeBranch = new ArrayList<>();
      List<Double> retypeTable = new ArrayList<>();
      TableShape.Column wideV = new TableShape.Column("v", "bigint", false, null, null, null, null);
      TableShape.Column pad = new TableShape.Column("pad", "text", true, null, null, null, null);
      TableShape.Column padDefault = new TableShape.Column("pad", "text", true, null, "'x'::text", null, null);
      TableShape.Constraint positive = new TableShape.Constraint("v_positive", "check", "CHECK ((v > 0))");
      TableShape.Constraint byPad = new TableShape.Index("by_pad", false, "btree (pad)").asRule();
      List<Double> indexSmall = new ArrayList<>();
      List<Double> indexLarge = new ArrayList<>();
      for (int round = -1; round < rounds; round++) {
        for (TrackedTable t : List.of(s, l)) {
          String branch = "r" + (round + 1);
          od.inTransaction(unit -> new PgBranchObjects().create(unit, t, branch, StatePath.WORKING));
          double ms = timed(() -> od.inTransaction(unit -> new PgBranchObjects().redefineColumns(unit, t, branch,
              List.of(padDefault))));
          // an index of the branch's own: built on its overlay (the rows it writes), the table's rows untouched
          double ix = timed(() -> od.inTransaction(unit -> new PgBranchObjects().addRules(unit, t, branch,
              List.of(byPad))));
          if (round >= 0) {
            (t == s ? indexSmall : indexLarge).add(ix);
          }
          if (t == l) {
            double nn = timed(() -> od.inTransaction(unit -> new PgBranchObjects().redefineColumns(unit, t, branch,
                List.of(new TableShape.Column("pad", "text", false, null, "'x'::text", null, null)))));
            double nnTable = timed(() -> od.exec("alter table public.large_t alter column pad set not null"));
            od.exec("alter table public.large_t alter column pad drop not null");
            double ck = timed(() -> od.inTransaction(unit -> new PgBranchObjects().addRules(unit, t, branch,
                List.of(positive))));
            double ckTable = timed(() -> od.exec("alter table public.large_t add constraint bench_v_positive"
                + " check (v > 0)"));
            od.exec("alter table public.large_t drop constraint bench_v_positive");
            od.exec("drop table if exists public.large_copy; create table public.large_copy as select * from"
                + " public.large_t; alter table public.large_copy add primary key (id)");
            double rtTable = timed(() -> od.exec("alter table public.large_copy alter column v type bigint"));
            od.exec("drop table public.large_copy");
            if (round >= 0) {
              retypeTable.add(rtTable);
              notNullBranch.add(nn);
              notNullTable.add(nnTable);
              checkBranch.add(ck);
              checkTable.add(ckTable);
            }
          }
          // a wider type of the table's column (integer -> bigint reads every value as it is: no row looked at), the
          // view made again reading the table's rows through a cast; PostgreSQL rewrites a copy of the table (above)
          double rt = timed(() -> od.inTransaction(unit -> new PgBranchObjects().redefineColumns(unit, t, branch,
              List.of(padDefault, wideV))));
          if (round >= 0) {
            (t == s ? defaultSmall : defaultLarge).add(ms);
            (t == s ? retypeSmall : retypeBranch).add(rt);
          }
          od.inTransaction(unit -> new PgBranchObjects().remove(unit, t, branch));
        }
      }
      System.out.printf(Locale.ROOT, "a default of the table's column on a branch: %,d rows %.1f ms, %,d rows %.1f ms:"
          + " ratio %.2f%n", small, median(defaultSmall), large, median(defaultLarge),
          median(defaultLarge) / median(defaultSmall));
      System.out.printf(Locale.ROOT, "an index on a branch: %,d rows %.1f ms, %,d rows %.1f ms: ratio %.2f%n", small,
          median(indexSmall), large, median(indexLarge), median(indexLarge) / median(indexSmall));
      System.out.printf(Locale.ROOT, "NOT NULL of the table's column on a branch of %,d rows %.1f ms, ALTER TABLE …"
          + " SET NOT NULL on the table %.1f ms: ratio %.2f%n", large, median(notNullBranch), median(notNullTable),
          median(notNullBranch) / median(notNullTable));
      System.out.printf(Locale.ROOT, "a CHECK on a branch of %,d rows %.1f ms, ALTER TABLE … ADD CHECK on the table"
          + " %.1f ms: ratio %.2f%n", large, median(checkBranch), median(checkTable),
          median(checkBranch) / median(checkTable));
      System.out.printf(Locale.ROOT, "integer -> bigint of the table's column on a branch: %,d rows %.1f ms, %,d rows"
          + " %.1f ms: ratio %.2f; ALTER TABLE … TYPE bigint on a copy of the %,d-row table %.1f ms%n", small,
          median(retypeSmall), large, median(retypeBranch), median(retypeBranch) / median(retypeSmall), large,
          median(retypeTable));
      // (the view is not made again for a default, NOT NULL or a CHECK: its reads are those of a branch that did
      // none of them; a new type's view is measured below)

      // 2. the view of a branch that added a column against one that did not, same table, same overlay
      TrackedTable before = l;
      for (String branch : List.of("plain", "added", "renamed", "retyped")) {
        od.inTransaction(unit -> new PgBranchObjects().create(unit, before, branch, StatePath.WORKING));
        od.exec("update strata_" + branch + ".large_t set v = v + 1 where id % " + Math.max(1, large / 1000) + " = 0");
      }
      od.inTransaction(unit -> new PgBranchObjects().addColumns(unit, before, "added",
          List.of(column("region", "'eu'::text", false))));
      od.inTransaction(unit -> new PgBranchObjects().renameColumns(unit, before, "renamed", Map.of("pad", "padding")));
      // a wider type of the table's column: the table's rows read through a cast (v::bigint)
      od.inTransaction(unit -> new PgBranchObjects().redefineColumns(unit, before, "retyped", List.of(wideV)));
      od.exec("vacuum analyze");
      Map<String, String> queries = new LinkedHashMap<>();
      // the same columns from both (the projection's own cost), and every column (the added one fetched too)
      queries.put("SELECT cols", "select id, v, {pad} from {v} s");
      queries.put("SELECT *", "select * from {v} s");
      queries.put("sum/count", "select sum(v), count(*) from {v} s");
      queries.put("GROUP BY", "select v % 100, count(*), max({pad}) from {v} s group by 1");
      queries.put("point x2000", null);
      System.out.printf(Locale.ROOT, "%-12s %12s %12s %7s %12s %7s %12s %7s%n", "view query", "before ms", "added ms",
          "ratio", "renamed ms", "ratio", "retyped ms", "ratio");
      for (Map.Entry<String, String> q : queries.entrySet()) {
        Map<String, List<Double>> times = new LinkedHashMap<>();
        for (int round = -1; round < rounds; round++) {
          for (String branch : List.of("plain", "added", "renamed", "retyped")) {
            String view = "strata_" + branch + ".large_t";
            double ms = q.getValue() == null ? points(db, view, large) : timed(db, q.getValue().replace("{v}", view)
                .replace("{pad}", branch.equals("renamed") ? "padding" : "pad"));
            if (round >= 0) {
              times.computeIfAbsent(branch, b -> new ArrayList<>()).add(ms);
            }
          }
        }
        double plain = median(times.get("plain"));
        System.out.printf(Locale.ROOT, "%-12s %12.1f %12.1f %7.3f %12.1f %7.3f %12.1f %7.3f%n", q.getKey(), plain,
            median(times.get("added")), median(times.get("added")) / plain, median(times.get("renamed")),
            median(times.get("renamed")) / plain, median(times.get("retyped")), median(times.get("retyped")) / plain);
      }

      // 3. the promotion's ALTER TABLE on the large table while a writer updates single rows
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong longest = new AtomicLong();
      AtomicLong writes = new AtomicLong();
      Thread writer = new Thread(() -> {
        try (Connection w = od.connect();
            PreparedStatement ps = w.prepareStatement("update public.large_t set v = v + 1 where id = ?")) {
          int k = 1;
          while (running.get()) {
            ps.setInt(1, k = k % large + 1);
            long t0 = System.nanoTime();
            ps.executeUpdate();
            longest.accumulateAndGet(System.nanoTime() - t0, Math::max);
            writes.incrementAndGet();
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      writer.start();
      Thread.sleep(1000);
      long quiet = longest.getAndSet(0);
      List<Double> alters = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        int n = i;
        alters.add(timed(() -> od.inTransaction(unit -> new PgTracking().addColumns(unit, l,
            List.of(column("promoted_" + n, null, true)), Duration.ofSeconds(2)))));
        Thread.sleep(300);
      }
      long addLongest = longest.getAndSet(0);
      // a wider type promoted (TableRetype: every view of the table made again around ALTER TABLE … TYPE): text to
      // varchar, which PostgreSQL does without a rewrite, then integer to bigint, which it rewrites the table for
      double toVarchar = timed(() -> od.inTransaction(unit -> new PgTracking().redefineColumns(unit, l,
          List.of(new TableShape.Column("pad", "character varying", true, null, null, null, null)),
          Duration.ofSeconds(2))));
      Thread.sleep(300); // the write that waited for the promotion ends after it: counted in its window
      long varcharLongest = longest.getAndSet(0);
      double toBigint = timed(() -> od.inTransaction(unit -> new PgTracking().redefineColumns(unit, l,
          List.of(new TableShape.Column("v", "bigint", false, null, null, null, null)), Duration.ofSeconds(2))));
      Thread.sleep(300);
      long bigintLongest = longest.getAndSet(0);
      // an index promoted (Tracking.buildIndexes: CREATE INDEX CONCURRENTLY, outside any transaction) against the
      // plain CREATE INDEX a migration without CONCURRENTLY runs, which holds the table's writers for the build
      double concurrently = timed(() -> od.withoutTransaction(unit -> new PgTracking().buildIndexes(unit, l,
          List.of(new TableShape.Index("large_by_pad", false, "btree (pad)").asRule()), Duration.ofSeconds(2))));
      Thread.sleep(300);
      long concurrentLongest = longest.getAndSet(0);
      double plain = timed(() -> od.exec("create index large_by_pad_plain on public.large_t (pad)"));
      Thread.sleep(300);
      long plainLongest = longest.getAndSet(0);
      running.set(false);
      writer.join();
      System.out.printf(Locale.ROOT, "promotion ALTER TABLE on %,d rows (nullable column, a writer running): %s ms;"
              + " longest write meanwhile %.1f ms (before: %.1f ms; %,d writes)%n", large,
          alters.stream().map(d -> String.format(Locale.ROOT, "%.1f", d)).toList(), addLongest / 1e6, quiet / 1e6,
          writes.get());
      System.out.printf(Locale.ROOT, "promotion of a wider type on %,d rows with 4 branches' views made again (a writer"
          + " running): text -> varchar %.1f ms, longest write %.1f ms; integer -> bigint (PostgreSQL rewrites the"
          + " table) %.1f ms, longest write %.1f ms%n", large, toVarchar, varcharLongest / 1e6, toBigint,
          bigintLongest / 1e6);
      System.out.printf(Locale.ROOT, "promotion of an index on %,d rows (a writer running): CONCURRENTLY %.1f ms,"
          + " longest write %.1f ms; plain CREATE INDEX %.1f ms, longest write %.1f ms%n", large, concurrently,
          concurrentLongest / 1e6, plain, plainLongest / 1e6);
    }
  }

  /** {@code t} as a branch that added {@code added} reads it. */
  private static TrackedTable onBranch(TrackedTable t, List<TableShape.Column> added) {
    List<io.strata.events.TableColumn> columns = new ArrayList<>(t.columns());
    added.forEach(c -> columns.add(c.asTableColumn()));
    return new TrackedTable(t.repository(), t.name(), t.schema(), t.table(), t.key(), t.columns(), columns, added);
  }

  private static TableShape.Column column(String name, String defaultValue, boolean nullable) {
    return new TableShape.Column(name, "text", nullable, null, defaultValue, null, null);
  }

  /** 2 000 point lookups by key through {@code view}, in ms. */
  private static double points(Connection db, String view, int keys) throws Exception {
    try (PreparedStatement ps = db.prepareStatement("select * from " + view + " where id = ?")) {
      int[] sample = new java.util.Random(11).ints(2000, 1, keys + 1).toArray();
      return QueryTiming.lookups(ps, sample);
    }
  }
}
