package io.strata.projections.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeSets.Captured;
import io.strata.projections.rowdata.TrackedTable;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A commit's capture on a branch reads the after-images of the rows it takes by their keys when they
 * are few against the table (never the whole table: 10 rows of a 1M-row table took 340 ms that way),
 * and by a join when they are many; both give the same change set.
 */
class CapturePlanTest {
  private static PlanTestDatabase db;

  @BeforeAll
  static void start() {
    db = new PlanTestDatabase();
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @Test
  void aSmallCaptureReadsByKeyAndBothWaysGiveTheSameChangeSet() throws Exception {
    try (Connection c = db.jdbc();
        Statement s = c.createStatement()) {
      // 'known' has statistics of its 100K rows; 'stale' was analysed at 1 000 rows, then filled
      for (String name : List.of("cap_known", "cap_stale")) {
        s.execute("create table public." + name + " (id int primary key, v int not null, pad text)"
            + " with (autovacuum_enabled = false)");
      }
      s.execute("insert into public.cap_stale select g, g, md5(g::text) from generate_series(1, 1000) g");
      s.execute("analyze public.cap_stale");
      s.execute("insert into public.cap_stale select g, g, md5(g::text) from generate_series(1001, 100000) g");
      s.execute("insert into public.cap_known select g, g, md5(g::text) from generate_series(1, 100000) g");
      s.execute("analyze public.cap_known");
      TrackedTable known = branched("cap_known");
      TrackedTable stale = branched("cap_stale");

      // 10 rows: by key, without reading the table
      s.execute("update strata_dev.cap_known set pad = 'dev' where id <= 10");
      Scanned few = capture(known);
      assertThat(few.tableRowsScanned()).as("rows of the table read by sequential scans").isZero();
      assertThat(few.captured().updated()).isEqualTo(10);

      // 2 000 rows: by key on the table known to be large, by a join on the one whose statistics say
      // it is small; the same rows changed the same way are the same change set
      for (String name : List.of("cap_known", "cap_stale")) {
        s.execute("update strata_dev." + name + " set v = -v, pad = null where id between 50001 and 52000");
      }
      Scanned keyed = capture(known);
      Scanned joined = capture(stale);
      assertThat(keyed.tableRowsScanned()).as("rows of the table known to be large read by scans").isZero();
      assertThat(joined.tableRowsScanned()).as("the join read the whole table").isGreaterThanOrEqualTo(100_000);
      Captured byKey = keyed.captured();
      Captured byJoin = joined.captured();
      assertThat(byKey.updated()).isEqualTo(2000);
      assertThat(byJoin.changeSet()).isEqualTo(byKey.changeSet());
      assertThat(byJoin.sumDelta()).isEqualTo(byKey.sumDelta());
      assertThat(List.of(byJoin.inserted(), byJoin.updated(), byJoin.deleted())).containsExactly(0L, 2000L, 0L);
    }
  }

  private record Scanned(Captured captured, long tableRowsScanned) {}

  /**
   * A capture of branch dev's staged rows, and how many rows of the table its statements read by
   * sequential scans (the backend's counters for the open transaction, read before and after it).
   */
  private static Scanned capture(TrackedTable t) {
    String read = "select seq_tup_read from pg_stat_xact_user_tables where relid = 'public." + t.table() + "'::regclass";
    return db.pool.withTransaction(tx -> tx.query(read).execute().map(rows -> rows.iterator().next().getLong(0))
            .chain(before -> new PgChangeSets().capture(new PgUnit(tx), t, BranchRef.of("dev", "main"), true, null)
                .chain(captured -> tx.query(read).execute()
                    .map(rows -> new Scanned(captured.orElseThrow(), rows.iterator().next().getLong(0) - before)))))
        .await().atMost(PlanTestDatabase.WAIT);
  }

  /** {@code table}, tracked by a new repository, with branch {@code dev}. */
  private static TrackedTable branched(String table) {
    TrackedTable t = db.tracked(table);
    db.branch(t, "dev");
    return t;
  }
}
