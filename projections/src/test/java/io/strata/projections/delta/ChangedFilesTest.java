package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files two states differ in, from their commits ({@link ChangedFiles}): the same as listing both states finds,
 * across a branch of a branch; and no answer (the caller lists) where the commits cannot say.
 */
class ChangedFilesTest {
  private static final List<String> KEY = KernelTables.KEY;

  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();

  @Test
  void aBranchOfABranchIsTracedToTheTableThroughBothClones() throws Exception {
    Path root = dir.resolve("t");
    long version = created(root, List.of(KernelTables.rows(1, 50), KernelTables.rows(51, 100)));
    DeltaTable table = DeltaTable.local(root, engine);
    DeltaTable dev = DeltaTable.local(root.resolve("_strata/branches/dev"), engine);
    DeltaTable fix = DeltaTable.local(root.resolve("_strata/branches/fix"), engine);
    assertThat(ShallowClone.create(table, version, dev, "c1", 1L)).isTrue();
    write(dev, 0, Map.of(List.of(10L), KernelTables.row(10, "dev", 1)));
    assertThat(ShallowClone.create(dev, 1, fix, "c2", 2L)).isTrue();
    write(fix, 0, Map.of(List.of(60L), KernelTables.row(60, "fix", 2)));
    write(table, version, Map.of(List.of(20L), KernelTables.row(20, "main", 3)));

    var tables = RowChanges.known(table, dev, fix);
    for (long tableVersion : List.of(version, version + 1)) {
      var traced = ChangedFiles.between(table, tableVersion, fix, 1, tables);
      var listed = RowChanges.files(table, table.files(table.at(tableVersion)), fix, fix.files(fix.at(1)));
      assertThat(traced).isPresent();
      assertThat(traced.get().removed()).isEqualTo(listed.removed()).isNotEmpty();
      assertThat(traced.get().added()).isEqualTo(listed.added()).isNotEmpty();
    }
    // and the rows: dev's change and fix's, against the table as it was
    assertThat(RowChanges.between(table, version, fix, 1, KEY)).extracting(c -> c.key().get(0))
        .containsExactly(10L, 60L);
  }

  @Test
  void aCloneThatDoesNotNameItsBaseIsListed() throws Exception {
    Path root = dir.resolve("t");
    long version = created(root, List.of(KernelTables.rows(1, 50)));
    DeltaTable table = DeltaTable.local(root, engine);
    DeltaTable dev = DeltaTable.local(root.resolve("_strata/branches/dev"), engine);
    assertThat(ShallowClone.create(table, version, dev, "c1", 1L)).isTrue();
    // a clone made before clones named their base: its first version says CLONE without a source
    Path first = root.resolve("_strata/branches/dev/_delta_log/" + DeltaLogStore.fileName(0));
    Files.writeString(first, Files.readString(first).replaceAll("\"source\":\"[^\"]*\",", ""));
    write(dev, 0, Map.of(List.of(10L), KernelTables.row(10, "dev", 1)));

    assertThat(ChangedFiles.between(table, version, dev, 1, RowChanges.known(table, dev))).isEmpty();
    assertThat(RowChanges.between(table, version, dev, 1, KEY)).hasSize(1); // listed: the same answer
  }

  @Test
  void aFileReAddedWithoutADataChangeOrAGoneCommitIsListed() throws Exception {
    Path root = dir.resolve("t");
    long version = created(root, List.of(KernelTables.rows(1, 50)));
    DeltaTable table = DeltaTable.local(root, engine);
    DeltaFile file = table.files(table.at(version)).get(0);
    // another engine re-adds the file with new statistics, no data change: present before or not, only a listing
    // of the earlier state knows
    String add = "{\"add\":{\"path\":\"" + file.path() + "\",\"partitionValues\":{},\"size\":" + file.size()
        + ",\"modificationTime\":1,\"dataChange\":false}}\n";
    assertThat(table.log().create(version + 1, ("{\"commitInfo\":{\"operation\":\"COMPUTE STATS\"}}\n" + add)
        .getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(ChangedFiles.between(table, version, table, version + 1, RowChanges.known(table))).isEmpty();
    assertThat(RowChanges.between(table, version, table, version + 1, KEY)).isEmpty();

    Files.delete(root.resolve("_delta_log/" + DeltaLogStore.fileName(version + 1)));
    assertThat(ChangedFiles.between(table, version - 1, table, version + 1, RowChanges.known(table))).isEmpty();
  }

  /** A table Kernel made at {@code root} holding {@code files}; answers its version. */
  private long created(Path root, List<List<Map<String, Object>>> files) throws Exception {
    KernelTables.create(engine, root, KernelTables.SCHEMA);
    return KernelTables.append(engine, root, files);
  }

  private static void write(DeltaTable table, long version, Map<List<Object>, Map<String, Object>> writes)
      throws Exception {
    DeltaMerge.apply(new DeltaMerge.Plan(version, writes, Map.of()), table, KEY, "w" + version, 5L);
  }
}
