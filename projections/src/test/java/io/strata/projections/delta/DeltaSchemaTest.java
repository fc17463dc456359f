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

  @Test
  void aColumnAddedOnABranchReadsNullUntilWrittenAndTheTableKeepsItsShape() throws Exception {
    Path root = dir.resolve("t");
    KernelTables.create(engine, root, SCHEMA);
    long version = KernelTables.append(engine, root, List.of(KernelTables.rows(1, 20)));
    DeltaTable table = DeltaTable.local(root, engine);
    DeltaTable branch = DeltaTable.local(root.resolve("_strata/branches/dev"), engine);
    ShallowClone.create(table, version, branch, "tx-1", 1L);

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
}
