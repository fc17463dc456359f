package io.strata.projections.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.rowdata.TrackedTable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The plans PostgreSQL makes for a branch's view ({@link BranchStateSql}) at a small and a large size:
 * a scan, an aggregate or a GROUP BY never hashes the base table (the planner hashes the overlay's and
 * pre-images' keys, the small side), and a point lookup reads the base table by its key index. The
 * shape before layout 5 (one anti join against the UNION ALL of the overlay's and pre-image log's keys)
 * failed this at every size below: the planner built its hash table over the whole base table.
 */
class BranchViewPlanTest {
  private static final List<String> SCANS = List.of(
      "select sum(v), count(*) from %s",
      "select v %% 100, count(*), max(pad) from %s group by 1",
      "select * from %s");

  private static PlanTestDatabase db;

  @BeforeAll
  static void start() {
    db = new PlanTestDatabase();
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @ParameterizedTest(name = "{0} rows, {1}-row overlay")
  @CsvSource({"10000, 1000", "200000, 1000", "200000, 20000"})
  void theBaseTableIsNeverHashedAndAPointLookupUsesItsKeyIndex(int rows, int overlay) throws Exception {
    String name = "plan_" + rows + "_" + overlay;
    try (Connection c = db.jdbc();
        Statement s = c.createStatement()) {
      s.execute("create table public." + name + " (id int primary key, v int not null, pad text);"
          + "insert into public." + name + " select g, g, md5(g::text) from generate_series(1, " + rows + ") g");
      s.execute("vacuum analyze public." + name);
      String view = branchOf(name);
      s.execute("update " + view + " set v = v + 1 where id % " + (rows / overlay) + " = 0");
      s.execute("vacuum analyze");
      assertThat(count(s, "select count(*) from " + view)).isEqualTo(rows);
      assertPlans(s, view, name, rows);

      // the table changes after the fork: its pre-images are filed, and the view excludes their keys too
      s.execute("update public." + name + " set pad = 'main' where id % " + (rows / 1000) + " = 1");
      s.execute("vacuum analyze");
      assertThat(count(s, "select count(*) from " + view + " where pad = 'main'")).isZero();
      assertPlans(s, view, name, rows);
    }
  }

  /**
   * A branch made after another one that main's writes filed many pre-images for: every statement on
   * the new branch's view asks whether anything was filed since its fork, and must answer that from the
   * log's epoch index, not by reading the older branch's pre-images (a scan per point lookup before).
   */
  @Test
  void aBranchForkedAfterAnOlderOnesPreimagesReadsNoneOfThemForAPointLookup() throws Exception {
    String name = "plan_older_preimages";
    try (Connection c = db.jdbc();
        Statement s = c.createStatement()) {
      s.execute("create table public." + name + " (id int primary key, v int not null, pad text);"
          + "insert into public." + name + " select g, g, md5(g::text) from generate_series(1, 200000) g");
      TrackedTable t = db.tracked(name);
      db.branch(t, "old");
      s.execute("update public." + name + " set v = v + 1 where id <= 100000"); // 100K pre-images for 'old'
      db.branch(t, "dev");
      s.execute("vacuum analyze");
      long logPages = count(s, "select relpages from pg_class where relname = '" + t.id() + "__p'");
      JsonObject point = plan(s, "explain (analyze, buffers, format json) select * from strata_dev." + name
          + " where id = 4242");
      // a few index pages per relation read; the log alone has hundreds
      assertThat(logPages).isGreaterThan(300);
      assertThat(point.getLong("Shared Hit Blocks") + point.getLong("Shared Read Blocks"))
          .as("pages a point lookup read:%n%s", point.encodePrettily()).isLessThan(60);
      assertThat(count(s, "select v from strata_dev." + name + " where id = 4242")).isEqualTo(4243);
      assertThat(count(s, "select v from strata_old." + name + " where id = 4242")).isEqualTo(4242);
    }
  }

  /**
   * Writes through a new branch's view while the pre-image log holds many rows of an older branch and
   * its statistics still say it is empty (autovacuum has not analysed it since main's bulk write): each
   * row's trigger asks the branch's state about its key, and must not read the whole log to answer
   * (one sequential scan of the log per row written made a 100K-row UPDATE take minutes).
   */
  @Test
  void writesThroughABranchViewReadTheLogByItsIndexesWhateverItsStatistics() throws Exception {
    String name = "plan_stale_log";
    try (Connection c = db.jdbc();
        Statement s = c.createStatement()) {
      s.execute("create table public." + name + " (id int primary key, v int not null, pad text);"
          + "insert into public." + name + " select g, g, md5(g::text) from generate_series(1, 100000) g");
      s.execute("vacuum analyze public." + name);
      TrackedTable t = db.tracked(name);
      String log = "strata." + io.strata.projections.postgres.Sql.quote(t.id() + "__p");
      db.branch(t, "old");
      s.execute("alter table " + log + " set (autovacuum_enabled = false); analyze " + log); // empty, as analysed
      s.execute("update public." + name + " set v = v + 1 where id <= 50000"); // 50K pre-images for 'old'
      db.branch(t, "dev");
      // the backend's counters for the open transaction, read before and after the write in it
      c.setAutoCommit(false);
      long before = seqScans(s, t.id() + "__p");
      s.execute("update strata_dev." + name + " set pad = 'dev' where id <= 2000");
      long scans = seqScans(s, t.id() + "__p") - before;
      c.commit();
      c.setAutoCommit(true);
      assertThat(scans).as("sequential scans of the pre-image log for 2 000 rows written").isLessThan(20);
      assertThat(count(s, "select count(*) from strata_dev." + name + " where pad = 'dev'")).isEqualTo(2000);
      assertThat(count(s, "select v from strata_dev." + name + " where id = 10")).isEqualTo(11);
    }
  }

  private static long seqScans(Statement s, String relation) throws Exception {
    return count(s, "select seq_scan from pg_stat_xact_user_tables where relname = '" + relation + "'");
  }

  private static void assertPlans(Statement s, String view, String table, int rows) throws Exception {
    for (String query : SCANS) {
      JsonObject plan = plan(s, String.format(query, view));
      assertThat(hashed(plan, false)).as("relations hashed for %s:%n%s", query, plan.encodePrettily())
          .doesNotContain(table);
    }
    JsonObject point = plan(s, "select * from " + view + " where id = " + rows / 2);
    List<JsonObject> reads = new ArrayList<>();
    scansOf(point, table, reads);
    assertThat(reads).as("reads of %s in a point lookup:%n%s", table, point.encodePrettily()).isNotEmpty()
        .allSatisfy(n -> {
          assertThat(n.getString("Node Type")).isIn("Index Scan", "Index Only Scan");
          assertThat(n.getString("Index Name")).isEqualTo(table + "_pkey");
        });
  }

  /** Creates branch {@code dev} of a new tracked table over {@code table}; answers its view. */
  private static String branchOf(String table) {
    return db.branch(db.tracked(table), "dev");
  }

  private static JsonObject plan(Statement s, String query) throws Exception {
    try (ResultSet r = s.executeQuery(query.startsWith("explain") ? query : "explain (format json) " + query)) {
      r.next();
      return new JsonArray(r.getString(1)).getJsonObject(0).getJsonObject("Plan");
    }
  }

  /** The relations read below a Hash node of {@code node}'s plan (the inputs of hash tables). */
  private static List<String> hashed(JsonObject node, boolean underHash) {
    List<String> found = new ArrayList<>();
    boolean hashing = underHash || "Hash".equals(node.getString("Node Type"));
    if (hashing && node.getString("Relation Name") != null) {
      found.add(node.getString("Relation Name"));
    }
    JsonArray children = node.getJsonArray("Plans");
    for (int i = 0; children != null && i < children.size(); i++) {
      found.addAll(hashed(children.getJsonObject(i), hashing));
    }
    return found;
  }

  private static void scansOf(JsonObject node, String table, List<JsonObject> found) {
    if (table.equals(node.getString("Relation Name"))) {
      found.add(node);
    }
    JsonArray children = node.getJsonArray("Plans");
    for (int i = 0; children != null && i < children.size(); i++) {
      scansOf(children.getJsonObject(i), table, found);
    }
  }

  private static long count(Statement s, String query) throws Exception {
    try (ResultSet r = s.executeQuery(query)) {
      r.next();
      return r.getLong(1);
    }
  }
}
