package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A column added on a branch: read as null in the files written before it, written after it, diffed by field. */
class DeltaSchemaTest {
  private static final StructType SCHEMA = KernelTables.SCHEMA;
  private static final List<String> KEY = KernelTables.KEY;

  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();

  /** A table at {@code root} of rows 1..{@code rows} (written by Kernel) and its branch dev, a shallow clone. */
  private DeltaTable branchOfRows(Path root, int rows) throws Exception {
    KernelTables.create(engine, root, SCHEMA);
    long version = KernelTables.append(engine, root, List.of(KernelTables.rows(1, rows)));
    DeltaTable branch = DeltaTable.local(root.resolve("_strata/branches/dev"), engine);
    ShallowClone.create(DeltaTable.local(root, engine), version, branch, "tx-1", 1L);
    return branch;
  }

  @Test
  void aColumnAddedOnABranchReadsNullUntilWrittenAndTheTableKeepsItsShape() throws Exception {
    Path root = dir.resolve("t");
    DeltaTable branch = branchOfRows(root, 20);
    DeltaTable table = DeltaTable.local(root, engine);

    assertThat(DeltaSchema.addColumn(branch, 0, "region", StringType.STRING, "tx-2", 2L)).isEqualTo(1);
    assertThat(DeltaSchema.addColumn(branch, 0, "other", StringType.STRING, "tx-3", 3L)).as("version 1 is taken")
        .isEqualTo(-1);
    assertThatThrownBy(() -> DeltaSchema.addColumn(branch, 1, "Region", StringType.STRING, "tx-4", 4L))
        .hasMessageContaining("has a column region");

    assertThat(branch.at(1).getSchema().fieldNames()).containsExactly("id", "name", "amount", "region");
    assertThat(branch.rows(branch.at(1), KEY).get(List.of(3L))).containsEntry("region", null);
    Map<String, Object> row = new LinkedHashMap<>(KernelTables.row(3, "name-3", 30));
    row.put("region", "eu");
    assertThat(DeltaMerge.apply(new DeltaMerge.Plan(1, Map.of(List.of(3L), row), Map.of()), branch, KEY, "tx-5", 5L))
        .isEqualTo(2);

    assertThat(branch.rows(branch.at(2), KEY).get(List.of(3L))).containsEntry("region", "eu");
    assertThat(RowChanges.between(branch, 1, branch, 2, KEY))
        .extracting(c -> c.key().get(0) + " " + c.kind() + " " + c.changedFields()).containsExactly("3 update [region]");
    assertThat(table.latest().getSchema().fieldNames()).containsExactly("id", "name", "amount");
  }

  /**
   * A column dropped (a metaData action, no file rewritten, as a reset's first step): the table reads without it, the
   * version before still reads its values (time travel), a name the table lacks is refused by column.
   */
  @Test
  void aColumnDroppedIsAMetaDataVersion() throws Exception {
    DeltaTable branch = branchOfRows(dir.resolve("d"), 5);
    assertThat(DeltaSchema.addColumn(branch, 0, "region", StringType.STRING, "tx-2", 2L)).isEqualTo(1);
    Map<String, Object> row = new LinkedHashMap<>(KernelTables.row(3, "name-3", 30));
    row.put("region", "eu");
    assertThat(DeltaMerge.apply(new DeltaMerge.Plan(1, Map.of(List.of(3L), row), Map.of()), branch, KEY, "tx-3", 3L))
        .isEqualTo(2);
    assertThatThrownBy(() -> DeltaSchema.dropColumns(branch, 2, List.of("nope"), "tx-4", 4L))
        .hasMessageContaining("no such column");
    assertThat(DeltaSchema.dropColumns(branch, 2, List.of("region"), "tx-4", 4L)).isEqualTo(3);
    assertThat(branch.at(3).getSchema().fieldNames()).containsExactly("id", "name", "amount");
    assertThat(branch.rows(branch.at(3), KEY).get(List.of(3L))).doesNotContainKey("region");
    assertThat(branch.files(branch.at(3))).hasSameSizeAs(branch.files(branch.at(2)));
    assertThat(branch.rows(branch.at(2), KEY).get(List.of(3L))).containsEntry("region", "eu");
  }

  /**
   * A column widened (integer to long) under the type widening feature: the files written before read in the wider
   * type, no file is rewritten, a value only the wider type holds is written after it; a narrowing is refused.
   */
  @Test
  void aColumnWidenedReadsItsOldFilesInTheWiderType() throws Exception {
    Path root = dir.resolve("w");
    StructType narrow = new StructType().add("id", io.delta.kernel.types.LongType.LONG, false)
        .add("n", io.delta.kernel.types.IntegerType.INTEGER);
    KernelTables.create(engine, root, narrow);
    DeltaTable table = DeltaTable.local(root, engine);
    List<Map<String, Object>> rows = new java.util.ArrayList<>();
    for (long id = 1; id <= 5; id++) {
      rows.add(new LinkedHashMap<>(Map.of("id", id, "n", (int) id * 10)));
    }
    DeltaFile file = DataFiles.write(table, table.latest(), rows);
    assertThat(table.log().create(1, DeltaCommit.of("tx-1", "WRITE", 1L).add(file).bytes())).isTrue();

    assertThatThrownBy(() -> DeltaSchema.widen(table, 1, Map.of("n", io.delta.kernel.types.ShortType.SHORT), "tx-2",
        2L)).hasMessageContaining("does not take integer to short");
    assertThat(DeltaSchema.widen(table, 1, Map.of("n", io.delta.kernel.types.LongType.LONG), "tx-2", 2L))
        .isEqualTo(2);
    var widened = table.at(2);
    assertThat(widened.getSchema().get("n").getDataType()).isEqualTo(io.delta.kernel.types.LongType.LONG);
    assertThat(widened.getProtocol().getReaderFeatures()).contains("typeWidening");
    assertThat(table.rows(widened, KEY).get(List.of(3L))).containsEntry("n", 30L);
    assertThat(table.files(widened)).hasSize(1);

    Map<String, Object> big = new LinkedHashMap<>(Map.of("id", 3L, "n", 5_000_000_000L));
    long written = DeltaMerge.apply(new DeltaMerge.Plan(2, Map.of(List.of(3L), big), Map.of()), table, KEY, "tx-3",
        3L);
    assertThat(table.rows(table.at(written), KEY).get(List.of(3L))).containsEntry("n", 5_000_000_000L);
    assertThat(table.rows(table.at(written), KEY).get(List.of(4L))).containsEntry("n", 40L);
    assertThat(RowChanges.between(table, 1, table, written, KEY))
        .extracting(c -> c.key().get(0) + " " + c.changedFields()).containsExactly("3 [n]");
  }

  /** The widenings Strata's decider takes of a Delta table's type names are those Delta's readers follow. */
  @Test
  void theWideningsTheDeciderTakesOfDeltaNamesAreDeltas() {
    List<String> names = List.of("byte", "short", "integer", "long", "float", "double", "decimal(10,2)",
        "decimal(12,2)", "decimal(12,3)", "string", "date", "timestamp");
    for (String from : names) {
      for (String to : names) {
        if (io.strata.events.ColumnTypes.widens(from, to)) {
          assertThat(DeltaSchema.widens(DeltaTableMaking.type(from), DeltaTableMaking.type(to))).as(from + " -> " + to)
              .isTrue();
        }
      }
    }
    assertThat(io.strata.events.ColumnTypes.widens("integer", "long")).isTrue();
    assertThat(io.strata.events.ColumnTypes.widens("short", "integer")).isTrue();
    assertThat(io.strata.events.ColumnTypes.widens("integer", "bigint")).isTrue(); // PostgreSQL's, as before
    assertThat(io.strata.events.ColumnTypes.widens("long", "integer")).isFalse();
    assertThat(io.strata.events.ColumnTypes.widens("decimal(10,2)", "decimal(12,2)")).isTrue();
    assertThat(io.strata.events.ColumnTypes.widens("decimal(10,2)", "decimal(12,3)")).isFalse(); // reads 1.500
    assertThat(io.strata.events.ColumnTypes.widens("float", "double")).isFalse(); // reads 1.100000023841858
  }
}
