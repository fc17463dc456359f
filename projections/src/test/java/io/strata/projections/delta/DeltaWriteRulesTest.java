package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.kernel.TableManager;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.strata.projections.rowdata.Merges.Strategy;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Strata refuses to write, and values and names that must survive a write exactly: wide decimals through a
 * merge, file names the log percent-encodes, string keys against statistics in UTF-8 order.
 */
class DeltaWriteRulesTest {
  private static final List<String> KEY = KernelTables.KEY;

  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();

  @Test
  void aTableThatTakesAppendsOnlyOrMergesOfAnotherShapeAreRefusedBeforeAnythingIsWritten() throws Exception {
    Path root = dir.resolve("append-only");
    TableManager.buildCreateTableTransaction(root.toUri().toString(), KernelTables.SCHEMA, "test-writer")
        .withTableProperties(Map.of("delta.appendOnly", "true")).build(engine)
        .commit(engine, CloseableIterable.emptyIterable());
    long version = KernelTables.append(engine, root, List.of(KernelTables.rows(1, 5)));
    DeltaTable table = DeltaTable.local(root, engine);
    Map<List<Object>, Map<String, Object>> delete = new LinkedHashMap<>();
    delete.put(List.of(1L), null);
    assertThatThrownBy(() -> DeltaMerge.apply(new DeltaMerge.Plan(version, delete, Map.of()), table, KEY, "tx", 1L))
        .hasMessageContaining("appends only");
    assertThatThrownBy(() -> ShallowClone.create(table, version, DeltaTable.local(root.resolve("_strata/b"), engine),
        "tx", 1L)).hasMessageContaining("appends only");
    assertThat(table.latest().getVersion()).isEqualTo(version);

    Path plain = dir.resolve("plain");
    KernelTables.create(engine, plain, KernelTables.SCHEMA);
    long v = KernelTables.append(engine, plain, List.of(KernelTables.rows(1, 5)));
    DeltaTable main = DeltaTable.local(plain, engine);
    DeltaTable branch = DeltaTable.local(plain.resolve("_strata/branches/b"), engine);
    ShallowClone.create(main, v, branch, "tx", 1L);
    DeltaSchema.addColumn(branch, 0, "region", StringType.STRING, "tx", 2L);
    assertThatThrownBy(() -> DeltaMerge.plan(main, v, main, v, branch, 1, KEY, Strategy.THREE_WAY))
        .hasMessageContaining("columns differ");
  }

  @Test
  void wideDecimalsKeepTheirValueThroughAMerge() throws Exception {
    StructType schema = new StructType().add("id", LongType.LONG).add("price", new DecimalType(38, 18));
    Path root = dir.resolve("prices");
    KernelTables.create(engine, root, schema);
    long v = KernelTables.append(engine, root, List.of(List.of(price(1, "1.000000000000000000"))));
    DeltaTable main = DeltaTable.local(root, engine);
    DeltaTable branch = DeltaTable.local(root.resolve("_strata/branches/b"), engine);
    ShallowClone.create(main, v, branch, "tx", 1L);
    // both sides change the row: decided by the merge core, through JSON
    DeltaMerge.apply(new DeltaMerge.Plan(v, Map.of(List.of(1L), price(1, "2.000000000000000000")), Map.of()), main,
        KEY, "tx", 2L);
    DeltaMerge.apply(new DeltaMerge.Plan(0, Map.of(List.of(1L), price(1, "12.500000000000000000")), Map.of()),
        branch, KEY, "tx", 3L);

    DeltaMerge.Plan plan = DeltaMerge.plan(main, v, main, v + 1, branch, 1, KEY, Strategy.THEIRS);
    long merged = DeltaMerge.apply(plan, main, KEY, "tx", 4L);

    BigDecimal read = (BigDecimal) main.rows(main.at(merged), KEY).get(List.of(1L)).get("price");
    assertThat(read).isEqualByComparingTo("12.5");
  }

  @Test
  void aFileNameTheLogPercentEncodesIsReadByItsRealName() throws Exception {
    Path root = dir.resolve("names");
    KernelTables.create(engine, root, KernelTables.SCHEMA);
    long v = KernelTables.append(engine, root, List.of(KernelTables.rows(1, 3)));
    DeltaTable table = DeltaTable.local(root, engine);
    DeltaFile original = table.files(table.at(v)).get(0);
    Files.createDirectories(root.resolve("region=north east"));
    Files.copy(root.resolve(original.path()), root.resolve("region=north east/part 1.parquet"));
    DeltaFile renamed = new DeltaFile("region=north%20east/part%201.parquet", original.size(),
        original.modificationTime(), Map.of(), original.stats());
    assertThat(table.log().create(v + 1, DeltaCommit.of("tx", "WRITE", 1L).remove(original, 1L).add(renamed)
        .bytes())).isTrue();

    assertThat(table.rows(table.at(v + 1), KEY)).hasSize(3).containsKey(List.of(2L));
  }

  @Test
  void stringKeysAreComparedWithStatisticsInUtf8Order() {
    // a maximum truncated by a writer ends in U+10FFFF; a key with U+FF01 after the same prefix lies below it in
    // UTF-8 order, though Java's UTF-16 order puts it above
    DeltaFile file = new DeltaFile("f.parquet", 1, 1, Map.of(),
        "{\"minValues\":{\"k\":\"a\"},\"maxValues\":{\"k\":\"abc\uDBFF\uDFFF\"}}");
    assertThat(KeyRanges.mayHold(file, List.of("k"), List.of(List.of("abc\uFF01")))).isTrue();
    assertThat(KeyRanges.mayHold(file, List.of("k"), List.of(List.of("abd")))).isFalse();
    assertThat(KeyRanges.byCodePoint("\uFF01", "\uDBFF\uDFFF")).isNegative();
  }

  private static Map<String, Object> price(long id, String value) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", id);
    row.put("price", new BigDecimal(value));
    return row;
  }
  /**
   * A branch's file a move takes into the tracked table is copied into the directory it had in the branch's (its
   * partition's, percent-encoded as the log names it), under a new name; a path leaving the branch's directory (dot
   * segments, plain or encoded) or outside the table's branches is refused, and nothing is copied.
   */
  @Test
  void aBranchFileIsAdoptedIntoItsPartitionsDirectoryAndNoPathLeavesTheBranch() throws Exception {
    Path lake = dir.resolve("lake");
    Path table = lake.resolve("t");
    Path partition = table.resolve("_strata/branches/dev-1/region=E U");
    Files.createDirectories(partition);
    Files.writeString(partition.resolve("part-0.parquet"), "rows");
    Files.writeString(lake.resolve("secret.parquet"), "not the table's");
    DeltaStorage storage = DeltaStorage.local(lake.toUri().toString());
    DeltaTable into = storage.tableAt(table.toUri().toString());
    String branch = DeltaFile.uri(table.toUri() + "_strata/branches/dev-1/");

    String name = storage.adopt(branch + "region=E%20U/part-0.parquet", into);
    assertThat(name).startsWith("region=E%20U/").endsWith("-part-0.parquet");
    assertThat(Files.readString(table.resolve("region=E U").resolve(name.substring("region=E%20U/".length()))))
        .isEqualTo("rows");

    for (String escape : List.of(branch + "../../../secret.parquet", branch + "%2e%2e/%2E%2E/../../secret.parquet",
        branch + "a/./part-0.parquet",
        DeltaFile.uri(table.toUri() + "_strata/branches/%2E%2E/branches/dev-1/region=E%20U/part-0.parquet"))) {
      assertThatThrownBy(() -> storage.adopt(escape, into)).as(escape).isInstanceOf(DeltaUnsupported.class)
          .hasMessageContaining("outside its directory");
    }
    for (String notABranchFile : List.of(DeltaFile.uri(lake.toUri() + "secret.parquet"),
        DeltaFile.uri(table.toUri() + "_strata/branches/"))) {
      assertThatThrownBy(() -> storage.adopt(notABranchFile, into)).isInstanceOf(IllegalArgumentException.class);
    }
    try (var files = Files.walk(table)) {
      assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(2); // the branch's file and its one copy
    }
  }
}
