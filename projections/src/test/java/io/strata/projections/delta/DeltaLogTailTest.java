package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tailing a table's log (docs/delta.md, §2): the versions since the last one known, each with who wrote it, and the
 * working changes another engine's versions made, from their files.
 */
class DeltaLogTailTest {
  private static final StructType SCHEMA = KernelTables.SCHEMA;
  private static final List<String> KEY = KernelTables.KEY;

  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();

  @Test
  void versionsSinceTheLastKnownSayWhoWroteThemAndAnotherEnginesAreWorkingChanges() throws Exception {
    Path root = dir.resolve("t");
    KernelTables.create(engine, root, SCHEMA);
    KernelTables.append(engine, root, List.of(KernelTables.rows(1, 10)));
    DeltaTable table = DeltaTable.local(root, engine);
    long recorded = DeltaMerge.apply(new DeltaMerge.Plan(1, Map.of(List.of(5L), KernelTables.row(5, "strata", 5)),
        Map.of()), table, KEY, "strata-tx-9", 9L);

    List<DeltaLogTail.Version> all = DeltaLogTail.since(table.log(), -1);
    assertThat(all).extracting(DeltaLogTail.Version::version).containsExactly(0L, 1L, 2L);
    assertThat(all.get(2).strata()).isTrue();
    assertThat(all.get(2).strataTransaction()).isEqualTo("strata-tx-9");
    assertThat(all.get(2).operation()).isEqualTo("MERGE");
    assertThat(all.get(0).strata()).isFalse();
    assertThat(all.get(1).engine()).contains("test-writer");

    // another engine appends twice after Strata's version: they are what the branch has not recorded
    KernelTables.append(engine, root, List.of(KernelTables.rows(11, 12)));
    KernelTables.append(engine, root, List.of(KernelTables.rows(13, 13)));
    List<DeltaLogTail.Version> since = DeltaLogTail.since(table.log(), recorded);
    assertThat(since).extracting(DeltaLogTail.Version::version).containsExactly(3L, 4L);
    assertThat(since).noneMatch(DeltaLogTail.Version::strata);
    assertThat(RowChanges.between(table, recorded, table, since.get(since.size() - 1).version(), KEY))
        .extracting(c -> c.key().get(0) + " " + c.kind()).containsExactly("11 insert", "12 insert", "13 insert");

    // a commit someone wrote naming Strata's engine without a transaction is not Strata's
    assertThat(DeltaLogTail.describe(9, "{\"commitInfo\":{\"engineInfo\":\"Strata\"}}\n"
        .getBytes(StandardCharsets.UTF_8)).strata()).isFalse();
    assertThat(DeltaLogTail.describe(9, "{\"add\":{}}\n".getBytes(StandardCharsets.UTF_8)).strata()).isFalse();
  }
}
