package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import io.strata.projections.rowdata.Merges.Strategy;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three-way merge of a Delta table by key (docs/delta.md, §4): a branch (a shallow clone) and the table both
 * change rows after the branch point; disjoint changes merge, fields of one row merge field by field, the same
 * field changed both ways is a conflict the strategies settle, and the result is one copy-on-write commit Kernel
 * reads back. A target that moved meanwhile refuses the commit.
 */
class DeltaMergeTest {
  private static final StructType SCHEMA = KernelTables.SCHEMA;
  private static final List<String> KEY = KernelTables.KEY;

  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();
  private DeltaTable main;
  private DeltaTable dev;
  private long branchPoint;

  @BeforeEach
  void aTableAndABranchBothChanged() throws Exception {
    Path root = dir.resolve("orders");
    KernelTables.create(engine, root, SCHEMA);
    branchPoint = KernelTables.append(engine, root,
        List.of(KernelTables.rows(1, 100), KernelTables.rows(101, 200), KernelTables.rows(201, 300)));
    main = DeltaTable.local(root, engine);
    dev = DeltaTable.local(root.resolve("_strata/branches/dev"), engine);
    ShallowClone.create(main, branchPoint, dev, "tx-branch", 1L);

    // main: 10 renamed, 20's amount 2001, 30 deleted
    change(main, branchPoint, Map.of(
        k(10), KernelTables.row(10, "main-10", 100),
        k(20), KernelTables.row(20, "name-20", 2001)), List.of(k(30)));
    // dev: 10's amount 111, 20's amount 2002, 40 renamed, 50 deleted, 500 inserted
    change(dev, 0, Map.of(
        k(10), KernelTables.row(10, "name-10", 111),
        k(20), KernelTables.row(20, "name-20", 2002),
        k(40), KernelTables.row(40, "dev-40", 400),
        k(500), KernelTables.row(500, "dev-500", 5)), List.of(k(50)));
  }

  @Test
  void disjointChangesMergeAndTheSameFieldChangedBothWaysIsAConflict() throws Exception {
    long head = main.latest().getVersion();
    DeltaMerge.Plan plan = DeltaMerge.plan(main, branchPoint, main, head, dev, 1, KEY, Strategy.THREE_WAY);

    assertThat(DeltaMerge.describe(plan)).containsExactly(Map.entry("[20]", "MODIFY_MODIFY [amount]"));
    assertThat(plan.writes()).containsOnlyKeys(k(10), k(40), k(50), k(500));
    assertThat(plan.writes().get(k(10))).containsEntry("name", "main-10").containsEntry("amount", 111L);
    assertThat(plan.writes().get(k(50))).isNull();
    assertThatThrownBy(() -> DeltaMerge.apply(plan, main, KEY, "tx-merge", 3L))
        .hasMessageContaining("1 conflicts are not settled");
    assertThat(main.latest().getVersion()).as("nothing written").isEqualTo(head);
  }

  @Test
  void theirsSettlesTheConflictAndTheMergeIsOneCommitKernelReads() throws Exception {
    long head = main.latest().getVersion();
    DeltaMerge.Plan plan = DeltaMerge.plan(main, branchPoint, main, head, dev, 1, KEY, Strategy.THEIRS);
    assertThat(plan.clean()).isTrue();

    long merged = DeltaMerge.apply(plan, main, KEY, "tx-merge", 3L);

    assertThat(merged).isEqualTo(head + 1);
    Map<List<Object>, Map<String, Object>> rows = main.rows(main.at(merged), KEY);
    assertThat(rows).hasSize(299).doesNotContainKeys(k(30), k(50));
    assertThat(rows.get(k(10))).containsEntry("name", "main-10").containsEntry("amount", 111L);
    assertThat(rows.get(k(20))).containsEntry("amount", 2002L);
    assertThat(rows.get(k(40))).containsEntry("name", "dev-40");
    assertThat(rows.get(k(500))).containsEntry("name", "dev-500");
    assertThat(rows.get(k(41))).containsEntry("name", "name-41");
    // from main's head to the merge: what dev brought, and nothing else
    assertThat(RowChanges.between(main, head, main, merged, KEY))
        .extracting(c -> c.key().get(0) + " " + c.kind() + " " + (c.before() == null ? "" : c.changedFields()))
        .containsExactly("10 update [amount]", "20 update [amount]", "40 update [name]",
            "50 delete [id, name, amount]", "500 insert ");
    // only the files whose key statistics may hold a merged key were rewritten (main's two holding 1..100: the
    // rewrite of its own change and its file of 10 and 20), not the files of 101..300, which stay
    var files = RowChanges.files(main, main.files(main.at(head)), main, main.files(main.at(merged)));
    assertThat(files.removed()).hasSize(2);
    assertThat(main.files(main.at(merged))).hasSize(4); // 1..100 kept, the merged rows, 101..200, 201..300
    // ours keeps main's amount for 20
    DeltaMerge.Plan ours = DeltaMerge.plan(main, branchPoint, main, head, dev, 1, KEY, Strategy.OURS);
    assertThat(ours.writes()).doesNotContainKey(k(20));
  }

  @Test
  void aTargetThatMovedMeanwhileRefusesTheMergesCommit() throws Exception {
    long head = main.latest().getVersion();
    DeltaMerge.Plan plan = DeltaMerge.plan(main, branchPoint, main, head, dev, 1, KEY, Strategy.THEIRS);
    long other = KernelTables.append(engine, dir.resolve("orders"), List.of(KernelTables.rows(900, 901)));
    assertThat(other).isEqualTo(head + 1);

    assertThatThrownBy(() -> DeltaMerge.apply(plan, main, KEY, "tx-merge", 3L))
        .isInstanceOf(DeltaMerge.TargetMoved.class);
    assertThat(main.rows(main.latest(), KEY)).containsKey(k(900)).doesNotContainKey(k(500))
        .containsKey(k(50));
  }

  private static List<Object> k(long id) {
    return List.of(id);
  }

  /** Rows of {@code table} at {@code version} written (by key) and deleted, copy-on-write, as the next version. */
  private static void change(DeltaTable table, long version, Map<List<Object>, Map<String, Object>> writes,
      List<List<Object>> deletes) throws Exception {
    Map<List<Object>, Map<String, Object>> all = new HashMap<>(writes);
    deletes.forEach(k -> all.put(k, null));
    DeltaMerge.apply(new DeltaMerge.Plan(version, all, Map.of()), table, KEY, "tx-change", 2L);
  }
}
