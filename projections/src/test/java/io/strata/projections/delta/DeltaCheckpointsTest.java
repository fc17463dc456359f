package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * When Strata checkpoints a Delta table it wrote: every {@value DeltaCheckpoints#INTERVAL} versions (or the table's own
 * larger interval), and a branch's large clone at version 0; the checkpoint reads as the log it replaces.
 */
class DeltaCheckpointsTest {
  private final Engine engine = DeltaTable.defaultEngine();

  private static DeltaUnit.Written written(String root, long before, long after) {
    return new DeltaUnit.Written(root, before, after, List.of("id"));
  }

  @Test
  void aCheckpointIsDueWhereAUnitsVersionsCrossTheInterval() {
    assertThat(DeltaCheckpoints.due(List.of(written("a", 8, 9)), Map.of())).isEmpty();
    assertThat(DeltaCheckpoints.due(List.of(written("a", 9, 10)), Map.of()))
        .containsExactly(new DeltaCheckpoints.Due("a", 9, 10, false));
    // two versions of one unit across the line: one checkpoint at its last
    assertThat(DeltaCheckpoints.due(List.of(written("a", 8, 9), written("a", 9, 11), written("b", 3, 4)), Map.of()))
        .containsExactly(new DeltaCheckpoints.Due("a", 8, 11, false));
    assertThat(DeltaCheckpoints.due(List.of(), Map.of("small", DeltaCheckpoints.CLONE_FILES - 1, "large",
        DeltaCheckpoints.CLONE_FILES)))
        .containsExactly(new DeltaCheckpoints.Due("large", -1, 0, true));
    // a large clone the unit wrote on too (columns inherited): checkpointed at its last version all the same
    assertThat(DeltaCheckpoints.due(List.of(written("large", 0, 1)), Map.of("large", DeltaCheckpoints.CLONE_FILES)))
        .containsExactly(new DeltaCheckpoints.Due("large", -1, 1, true));
    assertThat(DeltaCheckpoints.due(List.of(written("small", 0, 1)), Map.of("small", 10L))).isEmpty();
  }

  @Test
  void aTablesOwnIntervalIsReadAndABadOneIgnored() {
    assertThat(DeltaCheckpoints.interval(Map.of())).isEqualTo(10);
    assertThat(DeltaCheckpoints.interval(Map.of("delta.checkpointInterval", "100"))).isEqualTo(100);
    assertThat(DeltaCheckpoints.interval(Map.of("delta.checkpointInterval", "0"))).isEqualTo(10);
    assertThat(DeltaCheckpoints.interval(Map.of("delta.checkpointInterval", "ten"))).isEqualTo(10);
    assertThat(DeltaCheckpoints.crosses(99, 100, 100)).isTrue();
    assertThat(DeltaCheckpoints.crosses(100, 109, 100)).isFalse();
  }

  @Test
  void aDueCheckpointIsWrittenAndReadsAsTheLog() throws Exception {
    Path root = Files.createTempDirectory("ckpt").resolve("t");
    KernelTables.create(engine, root, KernelTables.SCHEMA);
    for (long id = 1; id <= 10; id++) {
      KernelTables.append(engine, root, List.of(KernelTables.rows(id, id)));
    }
    DeltaTable table = DeltaTable.local(root, engine);
    Map<List<Object>, Map<String, Object>> before = table.rows(table.latest(), KernelTables.KEY);

    assertThat(DeltaCheckpoints.write(table, new DeltaCheckpoints.Due(root.toString(), 9, 10, false))).isTrue();
    assertThat(root.resolve("_delta_log/00000000000000000010.checkpoint.parquet")).exists();
    assertThat(root.resolve("_delta_log/_last_checkpoint")).exists();
    // the JSON commits it replaces gone (the checkpoint's own version stays, as the protocol asks): it gives the state
    for (int v = 0; v < 10; v++) {
      Files.delete(root.resolve(String.format("_delta_log/%020d.json", v)));
    }
    DeltaTable read = DeltaTable.local(root, engine);
    assertThat(read.rows(read.latest(), KernelTables.KEY)).isEqualTo(before).hasSize(10);
    // written again (two processes at once): the same checkpoint, no failure
    DeltaCheckpoints.write(read, new DeltaCheckpoints.Due(root.toString(), 9, 10, false));
    assertThat(DeltaTable.local(root, engine).rows(read.latest(), KernelTables.KEY)).isEqualTo(before);
  }

  @Test
  void aTableOfALargerIntervalIsNotCheckpointedAtTen() throws Exception {
    Path root = Files.createTempDirectory("ckpt").resolve("t");
    DeltaTable table = DeltaTable.local(root, engine);
    table.log().create(0, DeltaCommit.of("t", "CREATE TABLE", 1L).protocol(1, 2, java.util.Set.of(),
        java.util.Set.of()).metadata("id-1", KernelTables.SCHEMA.toJson(), List.of(),
            Map.of("delta.checkpointInterval", "100"), 1L).bytes());
    for (long v = 1; v <= 10; v++) {
      table.log().create(v, DeltaCommit.of("t", "WRITE", v).add(DataFiles.write(table, table.latest(),
          KernelTables.rows(v, v))).bytes());
    }
    assertThat(DeltaCheckpoints.write(table, new DeltaCheckpoints.Due(root.toString(), 9, 10, false))).isFalse();
    assertThat(root.resolve("_delta_log/_last_checkpoint")).doesNotExist();
  }

  @Test
  void aClonesFirstVersionIsCheckpointedAndReadsAsItsJson() throws Exception {
    Path dir = Files.createTempDirectory("ckpt");
    DeltaTable base = DeltaTable.local(dir.resolve("base"), engine);
    DeltaCommit commit = DeltaCommit.of("t", "WRITE", 1L).protocol(1, 2, java.util.Set.of(), java.util.Set.of())
        .metadata("id-1", KernelTables.SCHEMA.toJson(), List.of(), Map.of(), 1L);
    for (int i = 0; i < 1_200; i++) {
      commit.add(new DeltaFile("part-" + i + ".parquet", 100, 1L, Map.of(),
          "{\"numRecords\":1,\"minValues\":{\"id\":" + i + "},\"maxValues\":{\"id\":" + i + "},\"nullCount\":{}}"));
    }
    base.log().create(0, commit.bytes());
    DeltaTable branch = DeltaTable.local(dir.resolve("branch"), engine);
    long files = ShallowClone.files(base, 0, branch, "tx-1", 2L);
    assertThat(files).isEqualTo(1_200);
    assertThat(DeltaCheckpoints.write(branch, new DeltaCheckpoints.Due(branch.root().toString(), -1, 0, true)))
        .isTrue();
    assertThat(dir.resolve("branch/_delta_log/00000000000000000000.checkpoint.parquet")).exists();
    // the first version's adds taken out of its JSON: a reader takes them from the checkpoint
    Path first = dir.resolve("branch/_delta_log/00000000000000000000.json");
    Files.write(first, Files.readAllLines(first).stream().filter(l -> !l.startsWith("{\"add\"")).toList());
    DeltaTable read = DeltaTable.local(dir.resolve("branch"), engine);
    assertThat(read.files(read.latest())).hasSize(1_200)
        .allSatisfy(f -> assertThat(f.path()).startsWith(base.root().toString().replace("file:///", "file:/")));
  }
}
