package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.FieldMetadata;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table with column mapping ({@code name} mode: each column stored under a physical name of its own, as Spark
 * makes it for renames and drops): Strata's rows are written under the physical names (Kernel's write), read back
 * by the logical ones, branched, diffed and merged; the files that may hold a key are found by the physical name's
 * statistics. Its schema changes are still refused by name. Spark's own such tables: {@code DeltaSparkInteropIT}.
 */
class DeltaColumnMappingTest {
  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();

  private static StructType mapped() {
    return new StructType()
        .add("id", LongType.LONG, true, mapping(1, "col-a1"))
        .add("name", StringType.STRING, true, mapping(2, "col-b2"))
        .add("amount", LongType.LONG, true, mapping(3, "col-c3"));
  }

  private static FieldMetadata mapping(long id, String physical) {
    return FieldMetadata.builder().putLong("delta.columnMapping.id", id)
        .putString("delta.columnMapping.physicalName", physical).build();
  }

  @Test
  void rowsOfAColumnMappedTableAreWrittenUnderPhysicalNamesBranchedAndMerged() throws Exception {
    Path root = dir.resolve("t");
    DeltaTable table = DeltaTable.local(root, engine);
    table.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", 1L)
        .protocol(2, 5, java.util.Set.of(), java.util.Set.of())
        .metadata("t-id", mapped().toJson(), List.of(), Map.of("delta.columnMapping.mode", "name",
            "delta.columnMapping.maxColumnId", "3"), 1L).bytes());
    DeltaFile first = DataFiles.write(table, table.latest(), KernelTables.rows(1, 50));
    DeltaFile second = DataFiles.write(table, table.latest(), KernelTables.rows(51, 100));
    assertThat(first.stats()).contains("col-a1").doesNotContain("\"id\"");
    table.log().create(1, DeltaCommit.of("other-2", "WRITE", 2L).add(first).add(second).bytes());
    assertThat(table.rows(table.latest(), KernelTables.KEY)).hasSize(100)
        .containsEntry(List.of(7L), KernelTables.row(7, "name-7", 70));

    List<String> statsKey = KeyRanges.statsNames(table.latest(), KernelTables.KEY);
    assertThat(statsKey).containsExactly("col-a1");
    assertThat(KeyRanges.mayHold(second, statsKey, List.of(List.of(7L)))).isFalse();
    assertThat(KeyRanges.mayHold(first, statsKey, List.of(List.of(7L)))).isTrue();

    DeltaTable branch = DeltaTable.local(root.resolve("_strata/branches/dev"), engine);
    assertThat(ShallowClone.create(table, 1, branch, "tx-1", 3L)).isTrue();
    Map<List<Object>, Map<String, Object>> writes = new HashMap<>();
    writes.put(List.of(7L), KernelTables.row(7, "seven", 7));
    writes.put(List.of(200L), KernelTables.row(200, "new", 2));
    long merged = DeltaMerge.apply(new DeltaMerge.Plan(0, writes, Map.of()), branch, KernelTables.KEY, "tx-2", 4L);
    String commit = new String(branch.log().read(merged), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(commit).as("only the file that may hold 7 rewritten").contains(first.path())
        .doesNotContain(second.path());
    assertThat(branch.rows(branch.latest(), KernelTables.KEY)).hasSize(101)
        .containsEntry(List.of(7L), KernelTables.row(7, "seven", 7));
    assertThat(RowChanges.between(table, 1, branch, merged, KernelTables.KEY))
        .extracting(c -> c.key().get(0) + " " + c.kind() + " " + c.changedFields())
        .containsExactly("7 update [name, amount]", "200 insert [id, name, amount]");

    assertThatThrownBy(() -> DeltaSchema.addColumn(branch, merged, "region", StringType.STRING, "tx-3", 5L))
        .hasMessageContaining("column mapping");
  }

  @Test
  void aLegacyWriterVersionIsTakenOnlyWithoutTheFeaturesItImpliesThatStrataDoesNotWrite() throws Exception {
    Path root = dir.resolve("checked");
    DeltaTable table = DeltaTable.local(root, engine);
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("delta.constraints.positive", "amount > 0");
    table.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", 1L)
        .protocol(1, 3, java.util.Set.of(), java.util.Set.of())
        .metadata("c-id", KernelTables.SCHEMA.toJson(), List.of(), properties, 1L).bytes());
    assertThatThrownBy(() -> WriterFeatures.check(table.latest())).hasMessageContaining("CHECK constraints");

    DeltaTable byId = DeltaTable.local(dir.resolve("byid"), engine);
    byId.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", 1L)
        .protocol(2, 5, java.util.Set.of(), java.util.Set.of())
        .metadata("i-id", mapped().toJson(), List.of(), Map.of("delta.columnMapping.mode", "id",
            "delta.columnMapping.maxColumnId", "3"), 1L).bytes());
    assertThatThrownBy(() -> WriterFeatures.check(byId.latest())).hasMessageContaining("field ids");

    // what a legacy version implies stays when a protocol is raised to list features
    assertThat(WriterFeatures.legacyWriterFeatures(5)).containsExactlyInAnyOrder("appendOnly", "invariants",
        "checkConstraints", "changeDataFeed", "generatedColumns", "columnMapping");
    assertThat(WriterFeatures.legacyWriterFeatures(2)).containsExactlyInAnyOrder("appendOnly", "invariants");
    assertThat(WriterFeatures.legacyReaderFeatures(2)).containsExactly("columnMapping");
    assertThat(WriterFeatures.legacyReaderFeatures(1)).isEmpty();
  }

  /** A move between states of other columns of a mapped table is refused: columns are their physical names there. */
  @Test
  void aMoveAcrossColumnsOfAMappedTableIsRefused() throws Exception {
    DeltaTable table = DeltaTable.local(dir.resolve("m"), engine);
    table.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", 1L)
        .protocol(2, 5, java.util.Set.of(), java.util.Set.of())
        .metadata("m-id", mapped().toJson(), List.of(), Map.of("delta.columnMapping.mode", "name",
            "delta.columnMapping.maxColumnId", "3"), 1L).bytes());
    StructType more = mapped().add("region", StringType.STRING, true, mapping(4, "col-d4"));
    table.log().create(1, DeltaCommit.of("other-2", "ADD COLUMNS", 2L).metadata("m-id", more.toJson(), List.of(),
        Map.of("delta.columnMapping.mode", "name", "delta.columnMapping.maxColumnId", "4"), 1L).bytes());
    assertThatThrownBy(() -> DeltaStates.withColumns(DeltaCommit.of("tx", "RESTORE", 3L), table.at(0), table.at(1),
        more)).hasMessageContaining("column mapping");
  }
}
