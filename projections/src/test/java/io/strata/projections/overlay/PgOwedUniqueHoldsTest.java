package io.strata.projections.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hold of the table's own unique constraints on a branch ({@link BranchObjects#holdTableUniques}) that the table's
 * writers keep waiting past the lock timeout gives up without harm to the caller's transaction (it commits what else
 * it did) and is owed; the holds owed are listed when due; one that succeeds, or the branch's removal, pays it.
 */
class PgOwedUniqueHoldsTest {
  private static PlanTestDatabase db;
  private static final PgBranchObjects BRANCHES = new PgBranchObjects();

  @BeforeAll
  static void start() {
    db = new PlanTestDatabase();
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  private static List<String> rows(String query) {
    List<String> out = new ArrayList<>();
    for (Row r : db.pool.query(query).execute().await().atMost(PlanTestDatabase.WAIT)) {
      out.add(r.getString(0));
    }
    return out;
  }

  private static BranchObjects.Hold hold(TrackedTable t, String branch, Duration lockTimeout) {
    // the caller's own work beside the hold commits with it
    return db.pool.withTransaction(tx -> tx.query("create table if not exists public.beside (n int);"
            + " insert into public.beside values (1)").execute()
            .chain(() -> BRANCHES.holdTableUniques(new PgUnit(tx), t, branch, lockTimeout)))
        .await().atMost(PlanTestDatabase.WAIT);
  }

  @Test
  void aLookPastItsLimitAndALockPastItsTimeoutAreAnsweredNotRaisedSoTheCallersTransactionCommits() {
    db.pool.query("create table if not exists public.answered (n int)").execute().await().atMost(PlanTestDatabase.WAIT);
    SqlConnection writer = db.pool.getConnection().await().atMost(PlanTestDatabase.WAIT);
    try {
      writer.query("begin; insert into public.answered values (0)").execute().await().atMost(PlanTestDatabase.WAIT);
      List<String> answers = db.pool.withTransaction(tx -> tx.query("insert into public.answered values (1);"
              + " set local statement_timeout = '100ms'").execute()
          .chain(() -> tx.query("select coalesce(strata.exists_within('select pg_sleep(5) is not null')::text, 'null')")
              .execute())
          .map(r -> r.iterator().next().getString(0))
          .chain(looked -> tx.query("set local statement_timeout = 0").execute()
              .chain(() -> tx.query("select strata.lock_against_writers_within(array['public.answered'::regclass],"
                  + " '100ms')::text").execute())
              .map(r -> List.of(looked, r.iterator().next().getString(0)))))
          .await().atMost(PlanTestDatabase.WAIT);
      assertThat(answers).containsExactly("null", "false");
      writer.query("commit").execute().await().atMost(PlanTestDatabase.WAIT);
    } finally {
      writer.close().await().atMost(PlanTestDatabase.WAIT);
    }
    assertThat(rows("select string_agg(n::text, ',' order by n) from public.answered")).containsExactly("0,1");
  }

  @Test
  void aHoldTheTablesWritersKeepWaitingIsOwedWithoutHarmToTheCallerAndPaidWhenItSucceeds() {
    db.pool.query("create table public.owed (id int primary key, email text); insert into public.owed values"
        + " (1, 'a@x'), (2, 'b@x')").execute().await().atMost(PlanTestDatabase.WAIT);
    TrackedTable t = db.tracked("owed");
    String view = db.branch(t, "dev");
    db.pool.query("alter table public.owed add constraint owed_email unique (email)").execute()
        .await().atMost(PlanTestDatabase.WAIT);

    SqlConnection writer = db.pool.getConnection().await().atMost(PlanTestDatabase.WAIT);
    try {
      writer.query("begin; insert into public.owed values (3, 'c@x')").execute().await().atMost(PlanTestDatabase.WAIT);
      assertThat(hold(t, "dev", Duration.ofMillis(200))).isEqualTo(BranchObjects.Hold.BUSY);
      assertThat(rows("select count(*)::text from public.beside")).containsExactly("1");
      assertThat(rows("select branch || ':' || attempts from strata.unique_holds_owed")).containsExactly("dev:1");
      assertThat(hold(t, "dev", Duration.ofMillis(200))).isEqualTo(BranchObjects.Hold.BUSY);
      assertThat(rows("select attempts || ':' || (next_at > now() + interval '15 seconds')"
          + " from strata.unique_holds_owed")).containsExactly("2:true");
      writer.query("commit").execute().await().atMost(PlanTestDatabase.WAIT);
    } finally {
      writer.close().await().atMost(PlanTestDatabase.WAIT);
    }
    // not due yet; then due
    assertThat(db.pool.withTransaction(tx -> BRANCHES.owedTableUniques(new PgUnit(tx))).await()
        .atMost(PlanTestDatabase.WAIT)).isEmpty();
    db.pool.query("update strata.unique_holds_owed set next_at = now()").execute().await().atMost(PlanTestDatabase.WAIT);
    assertThat(db.pool.withTransaction(tx -> BRANCHES.owedTableUniques(new PgUnit(tx))).await()
        .atMost(PlanTestDatabase.WAIT)).containsExactly(new BranchObjects.OwedHold(t.repository(), t.name(), "dev"));

    assertThat(hold(t, "dev", Duration.ofSeconds(2))).isEqualTo(BranchObjects.Hold.HELD);
    assertThat(rows("select count(*)::text from strata.unique_holds_owed")).containsExactly("0");
    assertThat(rows("select rule from strata.unique_rules where own")).containsExactly("table:owed_email");
    assertThat(rows("select count(*)::text from public.beside")).containsExactly("3");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> db.pool.query("insert into " + view
        + " values (4, 'a@x')").execute().await().atMost(PlanTestDatabase.WAIT)).hasMessageContaining("owed_email");
  }
}
