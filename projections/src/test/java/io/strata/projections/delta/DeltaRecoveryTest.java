package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A unit of work whose process dies between a Delta version it wrote and its transaction's commit (docs/delta.md,
 * §7): its connection drops, nothing compensates in-process. The recovery sweep's first step on the storage
 * ({@code recovering}) puts back the rows that version changed, from the intent the unit journalled before writing;
 * a unit still alive (its transaction open) is passed by, and one that commits leaves no intent behind.
 */
class DeltaRecoveryTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final DeltaRowDataBackend backend = DeltaRowDataBackend.shared();

  /** Writes {@code value} at key {@code id} of the table's default branch in {@code unit}, as a merge's write does. */
  private static void write(DeltaUnit unit, String root, int id, String value) {
    unit.blocking(() -> {
      DeltaTable table = unit.at(root);
      long before = table.latest().getVersion();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", id);
      row.put("v", value);
      long after = DeltaMerge.apply(new DeltaMerge.Plan(before, Map.of(List.of(id), row), Map.of()), table,
          List.of("id"), unit.writing(root, before, List.of("id")), System.currentTimeMillis());
      unit.wrote(root, before, after, List.of("id"));
      return after;
    }).await().atMost(WAIT);
  }

  private long intents() {
    return backend.pool().query("select count(*) from strata_meta.delta_intents").execute().await().atMost(WAIT)
        .iterator().next().getLong(0);
  }

  private void recover() {
    backend.pool().withTransaction(c -> DeltaUnit.ROLES.branchObjects().recovering(backend.unit(c)))
        .await().atMost(WAIT);
  }

  @Test
  void aDeadUnitsVersionIsPutBackALiveOneIsPassedByACommittedOneLeavesNothing() {
    TrackedTable t = backend.subject(false, Map.of(1, "a", 2, "b", 3, "c")).table();
    String root = backend.root(t, RowDataBackend.DEFAULT_BRANCH);
    recover(); // what earlier suites' rolled-back units left
    long before = intents();

    // a unit dies mid-transaction: its connection is closed, its transaction never commits, nothing compensates
    SqlConnection dying = backend.pool().getConnection().await().atMost(WAIT);
    dying.begin().await().atMost(WAIT);
    write(backend.unit(dying), root, 1, "written by a unit that died");
    write(backend.unit(dying), root, 3, "another unit's, also dead"); // a second unit on the same transaction
    assertThat(backend.read(t, RowDataBackend.DEFAULT_BRANCH)).containsEntry(1, "written by a unit that died");
    dying.close().await().atMost(WAIT);
    assertThat(intents()).isEqualTo(before + 2);

    // meanwhile a live unit writes and has not committed: its intent stays, its version too
    SqlConnection live = backend.pool().getConnection().await().atMost(WAIT);
    var liveTx = live.begin().await().atMost(WAIT);
    write(backend.unit(live), root, 2, "written by a live unit");
    // and another engine changes key 3 after the dead unit did: its value is not the dead unit's to take back
    backend.upsert(t, RowDataBackend.DEFAULT_BRANCH, 3, "another engine's, later");

    recover();
    assertThat(backend.read(t, RowDataBackend.DEFAULT_BRANCH)).containsEntry(1, "a")
        .containsEntry(2, "written by a live unit").containsEntry(3, "another engine's, later");
    assertThat(intents()).isEqualTo(before + 1); // the live unit's

    liveTx.commit().await().atMost(WAIT);
    live.close().await().atMost(WAIT);
    assertThat(intents()).isEqualTo(before); // gone with its commit
    recover();
    assertThat(backend.read(t, RowDataBackend.DEFAULT_BRANCH)).containsEntry(2, "written by a live unit");
  }
}
