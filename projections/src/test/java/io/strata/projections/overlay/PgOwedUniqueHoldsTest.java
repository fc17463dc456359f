package io.strata.projections.overlay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hold of the table's own unique constraints on a branch ({@link BranchObjects#holdTableUniques}) that the table's
 * writers keep waiting past the lock timeout gives up without harm to the caller's transaction (it commits what else
 * it did, its limits as they were) and is owed; the holds owed are claimed when due, each attempt pushing the next
 * later; one that succeeds, or the table's untracking, pays it. A constraint the branch's rows already break is
 * left unheld without waiting for the branch's readers.
 */
class PgOwedUniqueHoldsTest {
  private static PlanTestDatabase db;
  private static final PgBranchObjects BRANCHES = new PgBranchObjects();

  @BeforeAll
  static void start() {
    db = new PlanTestDatabase();
    db.pool.query("create table public.beside (n int)").execute().await().atMost(PlanTestDatabase.WAIT);
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

  private static void sql(String statements) {
    db.pool.query(statements).execute().await().atMost(PlanTestDatabase.WAIT);
  }

  /**
   * {@code hold} in a transaction that wrote a row beside it and set its own limits: what it answered, and that its
   * limits are as they were after it.
   */
  private static BranchObjects.Hold hold(BiFunction<PgUnit, Duration, Uni<BranchObjects.Hold>> hold,
      Duration lockTimeout) {
    BranchObjects.Hold[] held = {null};
    String limits = db.pool.withTransaction(tx -> tx.query("insert into public.beside values (1)").execute()
            .chain(() -> tx.query("set local lock_timeout = '7s'").execute())
            .chain(() -> tx.query("set local statement_timeout = '90s'").execute())
            .chain(() -> hold.apply(new PgUnit(tx), lockTimeout)).invoke(h -> held[0] = h)
            .chain(() -> tx.query("select current_setting('lock_timeout') || ' ' || current_setting('statement_timeout')")
                .execute())
            .map(r -> r.iterator().next().getString(0)))
        .await().atMost(Duration.ofSeconds(30));
    assertThat(limits).isEqualTo("7s 90s");
    return held[0];
  }

  private static List<BranchObjects.OwedHold> claim() {
    return db.pool.withTransaction(tx -> BRANCHES.owedTableUniques(new PgUnit(tx))).await()
        .atMost(PlanTestDatabase.WAIT);
  }

  private static TrackedTable table(String name) {
    sql("create table public." + name + " (id int primary key, email text); insert into public." + name
        + " values (1, 'a@x'), (2, 'b@x')");
    return db.tracked(name);
  }

  @Test
  void aLookPastItsLimitAndALockPastItsTimeoutAreAnsweredNotRaisedSoTheCallersTransactionCommits() {
    sql("create table public.answered (n int)");
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
                  + " '100ms')::text || ' ' || current_setting('lock_timeout')").execute())
              .map(r -> List.of(looked, r.iterator().next().getString(0)))))
          .await().atMost(PlanTestDatabase.WAIT);
      assertThat(answers).containsExactly("null", "false 0");
      writer.query("commit").execute().await().atMost(PlanTestDatabase.WAIT);
    } finally {
      writer.close().await().atMost(PlanTestDatabase.WAIT);
    }
    assertThat(rows("select string_agg(n::text, ',' order by n) from public.answered")).containsExactly("0,1");
  }

  @Test
  void aHoldTheTablesWritersKeepWaitingIsOwedClaimedWhenDueAndPaidWhenItSucceeds() {
    TrackedTable t = table("owed");
    String view = db.branch(t, "dev");
    sql("alter table public.owed add constraint owed_email unique (email)");
    String owed = "select branch || ':' || attempts from strata.unique_holds_owed where tid = '" + t.id() + "'";
    int beside = Integer.parseInt(rows("select count(*)::text from public.beside").get(0));

    SqlConnection writer = db.pool.getConnection().await().atMost(PlanTestDatabase.WAIT);
    try {
      writer.query("begin; insert into public.owed values (3, 'c@x')").execute().await().atMost(PlanTestDatabase.WAIT);
      assertThat(hold((u, l) -> BRANCHES.holdTableUniques(u, t, "dev", l), Duration.ofMillis(200)))
          .isEqualTo(BranchObjects.Hold.BUSY);
      assertThat(rows("select count(*)::text from public.beside")).containsExactly(String.valueOf(beside + 1));
      assertThat(rows(owed)).containsExactly("dev:1");
      // passed over again: owed once, its turn kept
      assertThat(hold((u, l) -> BRANCHES.holdTableUniques(u, t, "dev", l), Duration.ofMillis(200)))
          .isEqualTo(BranchObjects.Hold.BUSY);
      assertThat(rows(owed)).containsExactly("dev:1");
      // not due yet; then due: claimed, the next turn set 20 s on, and an attempt passed over again leaves it so
      assertThat(claim()).isEmpty();
      sql("update strata.unique_holds_owed set next_at = now()");
      assertThat(claim()).containsExactly(new BranchObjects.OwedHold(t.repository(), t.name(), "dev"));
      assertThat(claim()).isEmpty();
      assertThat(rows("select attempts || ' ' || (next_at > now() + interval '15 seconds') from"
          + " strata.unique_holds_owed")).containsExactly("2 true");
      assertThat(hold((u, l) -> BRANCHES.holdOwedTableUniques(u, t, "dev", l), Duration.ofMillis(200)))
          .isEqualTo(BranchObjects.Hold.BUSY);
      assertThat(rows(owed)).containsExactly("dev:2");
      writer.query("commit").execute().await().atMost(PlanTestDatabase.WAIT);
    } finally {
      writer.close().await().atMost(PlanTestDatabase.WAIT);
    }

    assertThat(hold((u, l) -> BRANCHES.holdOwedTableUniques(u, t, "dev", l), Duration.ofSeconds(2)))
        .isEqualTo(BranchObjects.Hold.HELD);
    assertThat(rows(owed)).isEmpty();
    assertThat(rows("select rule from strata.unique_rules where own and tid = '" + t.id() + "'"))
        .containsExactly("table:owed_email");
    assertThatThrownBy(() -> sql("insert into " + view + " values (4, 'a@x')")).hasMessageContaining("owed_email");
  }

  @Test
  void aConstraintTheBranchsRowsBreakIsLeftUnheldWithoutWaitingForItsReadersAndAnUntrackForgivesTheDebt() {
    TrackedTable t = table("shared");
    String view = db.branch(t, "dev");
    sql("insert into " + view + " values (3, 'a@x')");
    sql("alter table public.shared add constraint shared_email unique (email)");
    SqlConnection reader = db.pool.getConnection().await().atMost(PlanTestDatabase.WAIT);
    try {
      reader.query("begin; select count(*) from " + view).execute().await().atMost(PlanTestDatabase.WAIT);
      // the caller waits for no lock without limit (7 s here): the rule, made and found broken, is undone to its
      // savepoint rather than dropped (which would wait for the reader)
      long started = System.nanoTime();
      assertThat(hold((u, l) -> BRANCHES.holdTableUniques(u, t, "dev", l), Duration.ofMillis(500)))
          .isEqualTo(BranchObjects.Hold.HELD);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
      reader.query("commit").execute().await().atMost(PlanTestDatabase.WAIT);
    } finally {
      reader.close().await().atMost(PlanTestDatabase.WAIT);
    }
    assertThat(rows("select count(*)::text from strata.unique_rules where tid = '" + t.id() + "'"))
        .containsExactly("0");
    sql("insert into " + view + " values (4, 'a@x')");

    // a debt of a table untracked goes with it
    sql("insert into strata.unique_holds_owed (tid, branch) values ('" + t.id() + "', 'dev')");
    db.pool.withTransaction(tx -> new PgTracking().untrack(new PgUnit(tx), t)).await().atMost(PlanTestDatabase.WAIT);
    assertThat(rows("select count(*)::text from strata.unique_holds_owed where tid = '" + t.id() + "'"))
        .containsExactly("0");
  }
}
