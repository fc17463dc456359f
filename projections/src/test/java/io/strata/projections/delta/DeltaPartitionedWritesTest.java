package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows written into a partitioned table: one file per partition, in the partition's directory, its values in the
 * file's {@code add} (the null partition too); a merge that moves a row to another partition rewrites the file it
 * left and writes it into the other's. Spark reads such writes in delta-interop's {@code DeltaSparkInteropIT}.
 */
class DeltaPartitionedWritesTest {
  private static final StructType SCHEMA = new StructType().add("id", LongType.LONG).add("region", StringType.STRING)
      .add("amount", LongType.LONG);
  private static final List<String> KEY = List.of("id");

  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();

  @Test
  void rowsAreWrittenOneFilePerPartitionAndMergesMoveThemAcrossPartitions() throws Exception {
    Path root = dir.resolve("sales");
    DeltaTable table = DeltaTable.local(root, engine);
    table.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", 1L).protocol(1, 2, java.util.Set.of(),
        java.util.Set.of()).metadata("sales-id", SCHEMA.toJson(), List.of("region"), Map.of(), 1L).bytes());
    List<Map<String, Object>> rows = List.of(row(1, "eu", 10), row(2, "us", 20), row(3, null, 30), row(4, "eu", 40),
        row(5, "us", 50), row(6, null, 60));
    List<DeltaFile> files = DataFiles.writeAll(table, table.latest(), rows);
    assertThat(files).extracting(f -> f.partitionValues().get("region")).containsExactly("eu", "us", null);
    assertThat(files).allSatisfy(f -> assertThat(f.path()).startsWith("region="));
    DeltaCommit commit = DeltaCommit.of("tx-1", "WRITE", 2L);
    files.forEach(commit::add);
    table.log().create(1, commit.bytes());
    assertThat(table.rows(table.latest(), KEY)).isEqualTo(byKey(rows));
    try (var tree = Files.walk(root)) {
      assertThat(tree.filter(p -> p.toString().endsWith(".parquet")).map(p -> p.getParent().getFileName().toString())
          .sorted().toList()).containsExactly("region=__HIVE_DEFAULT_PARTITION__", "region=eu", "region=us");
    }

    // 1 changes in place, 2 moves from us to eu, 3 goes, 7 comes in a partition of its own
    Map<List<Object>, Map<String, Object>> writes = new HashMap<>();
    writes.put(List.of(1L), row(1, "eu", 11));
    writes.put(List.of(2L), row(2, "eu", 20));
    writes.put(List.of(3L), null);
    writes.put(List.of(7L), row(7, "ap", 70));
    long merged = DeltaMerge.apply(new DeltaMerge.Plan(1, writes, Map.of()), table, KEY, "tx-2", 3L);
    List<Map<String, Object>> expected = new ArrayList<>(List.of(row(1, "eu", 11), row(2, "eu", 20),
        row(4, "eu", 40), row(5, "us", 50), row(6, null, 60), row(7, "ap", 70)));
    assertThat(table.rows(table.at(merged), KEY)).isEqualTo(byKey(expected));
    assertThat(table.files(table.at(merged))).allSatisfy(f -> {
      String region = f.partitionValues().get("region");
      assertThat(table.rows(table.at(merged), java.util.Set.of(f.absolute(table.root())), KEY).values())
          .allSatisfy(r -> assertThat(r.get("region")).isEqualTo(region));
    });
    assertThat(RowChanges.between(table, 1, table, merged, KEY))
        .extracting(c -> c.key().get(0) + " " + c.kind() + " " + (c.after() == null ? "" : c.changedFields()))
        .containsExactly("1 update [amount]", "2 update [region]", "3 delete ", "7 insert [id, region, amount]");

    // an empty partition value reads as null (the protocol's rule, Spark's reading): refused, nothing written
    long before = table.latest().getVersion();
    assertThatThrownBy(() -> DeltaMerge.apply(new DeltaMerge.Plan(merged, Map.of(List.of(8L), row(8, "", 80)),
        Map.of()), table, KEY, "tx-3", 4L)).isInstanceOf(ClientValues.Refused.class)
        .hasMessageContaining("region").hasMessageContaining("empty");
    assertThat(table.latest().getVersion()).isEqualTo(before);

    // another engine's empty partition value: the null partition, read and written again as null
    DeltaFile nulls = DataFiles.writeAll(table, table.latest(), List.of(row(9, null, 90))).get(0);
    String add = "{\"add\":{\"path\":\"" + nulls.path() + "\",\"partitionValues\":{\"region\":\"\"},\"size\":"
        + nulls.size() + ",\"modificationTime\":5,\"dataChange\":true}}\n";
    table.log().create(before + 1, (new String(DeltaCommit.of("other-2", "WRITE", 5L).bytes(),
        java.nio.charset.StandardCharsets.UTF_8) + add).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(table.rows(table.latest(), KEY).get(List.of(9L))).containsEntry("region", null);
    long rewritten = DeltaMerge.apply(new DeltaMerge.Plan(before + 1, Map.of(List.of(9L), row(9, null, 99)),
        Map.of()), table, KEY, "tx-4", 6L);
    assertThat(table.rows(table.at(rewritten), KEY).get(List.of(9L))).isEqualTo(row(9, null, 99));
  }

  private static Map<String, Object> row(long id, String region, long amount) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", id);
    row.put("region", region);
    row.put("amount", amount);
    return row;
  }

  private static Map<List<Object>, Map<String, Object>> byKey(List<Map<String, Object>> rows) {
    Map<List<Object>, Map<String, Object>> out = new HashMap<>();
    rows.forEach(r -> out.put(List.of(r.get("id")), r));
    return out;
  }
}
