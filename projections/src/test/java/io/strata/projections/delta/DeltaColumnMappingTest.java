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
 * statistics. Columns added get ids and physical names of their own; a move reads a state's files under the state's
 * physical names. Spark's own such tables: {@code DeltaSparkInteropIT}.
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

  }

  /** A table mapped by name, rows 1..100 in two files (1..50, 51..100) at version 1. */
  private DeltaTable mappedTable(Path root) throws Exception {
    DeltaTable table = DeltaTable.local(root, engine);
    table.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", 1L)
        .protocol(2, 5, java.util.Set.of(), java.util.Set.of())
        .metadata("t-id", mapped().toJson(), List.of(), Map.of("delta.columnMapping.mode", "name",
            "delta.columnMapping.maxColumnId", "3"), 1L).bytes());
    table.log().create(1, DeltaCommit.of("other-2", "WRITE", 2L)
        .add(DataFiles.write(table, table.latest(), KernelTables.rows(1, 50)))
        .add(DataFiles.write(table, table.latest(), KernelTables.rows(51, 100))).bytes());
    return table;
  }

  private static Map<String, Object> with(Map<String, Object> row, String column, Object value) {
    Map<String, Object> with = new LinkedHashMap<>(row);
    with.put(column, value);
    return with;
  }

  private static long write(DeltaTable table, long version, Map<String, Object> row) throws Exception {
    return DeltaMerge.apply(new DeltaMerge.Plan(version, Map.of(List.of(row.get("id")), row), Map.of()), table,
        KernelTables.KEY, "tx-" + version, 10L + version);
  }

  /**
   * A column added to a mapped table gets the next id and a physical name of its own (the table's highest id
   * raised), its values written under that name; a widened column keeps both; a column dropped and added again gets
   * a new physical name, so the values the files hold under the old one are never read back.
   */
  @Test
  void columnsAddedToAMappedTableGetIdsAndPhysicalNamesOfTheirOwn() throws Exception {
    DeltaTable table = mappedTable(dir.resolve("added"));
    long v = DeltaSchema.addColumns(table, 1, new StructType().add("region", StringType.STRING, true)
        .add("qty", io.delta.kernel.types.IntegerType.INTEGER, true), "tx-a", 3L);
    var schema = table.at(v).getSchema();
    String region = schema.get("region").getMetadata().getString(MappedColumns.PHYSICAL_NAME);
    assertThat(region).startsWith("col-").isNotEqualTo("region");
    assertThat(schema.get("region").getMetadata().getLong(MappedColumns.ID)).isEqualTo(4L);
    assertThat(schema.get("qty").getMetadata().getLong(MappedColumns.ID)).isEqualTo(5L);
    assertThat(schema.get("qty").getMetadata().getString(MappedColumns.PHYSICAL_NAME)).isNotEqualTo(region);
    assertThat(table.at(v).getTableProperties()).containsEntry(MappedColumns.MAX_ID, "5");

    v = write(table, v, with(with(KernelTables.row(7, "seven", 7), "region", "eu"), "qty", 3));
    String commit = new String(table.log().read(v), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(commit).as("statistics under the physical name").contains(region);
    Map<List<Object>, Map<String, Object>> rows = table.rows(table.at(v), KernelTables.KEY);
    assertThat(rows.get(List.of(7L))).containsEntry("region", "eu").containsEntry("qty", 3);
    assertThat(rows.get(List.of(8L))).containsEntry("region", null);

    v = DeltaSchema.widen(table, v, Map.of("qty", LongType.LONG), "tx-w", 5L);
    var qty = table.at(v).getSchema().get("qty");
    assertThat(qty.getDataType()).isEqualTo(LongType.LONG);
    assertThat(qty.getMetadata().getLong(MappedColumns.ID)).isEqualTo(5L);
    assertThat(table.rows(table.at(v), KernelTables.KEY).get(List.of(7L))).containsEntry("qty", 3L);

    v = DeltaSchema.dropColumns(table, v, List.of("region"), "tx-d", 6L);
    v = DeltaSchema.addColumn(table, v, "region", StringType.STRING, "tx-a2", 7L);
    var again = table.at(v).getSchema().get("region");
    assertThat(again.getMetadata().getString(MappedColumns.PHYSICAL_NAME)).isNotEqualTo(region);
    assertThat(again.getMetadata().getLong(MappedColumns.ID)).isEqualTo(6L);
    assertThat(table.rows(table.at(v), KernelTables.KEY).get(List.of(7L))).as("the old values are not read back")
        .containsEntry("region", null).containsEntry("qty", 3L);
  }

  /**
   * A table and its branch each add a column of the same name (a merge's schema step adds it to the target
   * independently of the branch): the table moved to the branch's files reads them under the branch's physical name,
   * with the branch's id; a column only the table has keeps its name and, when the branch uses its id for another
   * column, gets a new one. States of other mapping modes, and a column the state renamed, are refused.
   */
  @Test
  void aMoveReadsTheStatesFilesUnderTheStatesPhysicalNames() throws Exception {
    DeltaTable table = mappedTable(dir.resolve("moved"));
    DeltaTable branch = DeltaTable.local(dir.resolve("moved/_strata/branches/dev"), engine);
    assertThat(ShallowClone.create(table, 1, branch, "tx-1", 3L)).isTrue();
    long b = DeltaSchema.addColumns(branch, 0, new StructType().add("note", StringType.STRING, true)
        .add("region", StringType.STRING, true), "tx-b", 4L);
    b = write(branch, b, with(with(KernelTables.row(7, "seven", 7), "region", "eu"), "note", "n"));
    long t = DeltaSchema.addColumns(table, 1, new StructType().add("region", StringType.STRING, true)
        .add("only", StringType.STRING, true), "tx-t", 5L);
    var now = table.at(t);
    var wanted = branch.at(b);
    assertThat(now.getSchema().get("only").getMetadata().getLong(MappedColumns.ID))
        .as("the id the branch gave its region").isEqualTo(wanted.getSchema().get("region").getMetadata()
            .getLong(MappedColumns.ID)).isEqualTo(5L);

    MappedColumns.Mapped columns = MappedColumns.moved(DeltaStates.columnsFor(now, wanted), now, wanted);
    assertThat(columns.schema().fieldNames()).containsExactly("id", "name", "amount", "region", "only", "note");
    assertThat(columns.schema().get("region").getMetadata())
        .isEqualTo(wanted.getSchema().get("region").getMetadata());
    assertThat(columns.schema().get("only").getMetadata().getString(MappedColumns.PHYSICAL_NAME))
        .isEqualTo(now.getSchema().get("only").getMetadata().getString(MappedColumns.PHYSICAL_NAME));
    assertThat(columns.schema().get("only").getMetadata().getLong(MappedColumns.ID)).isEqualTo(6L);
    assertThat(columns.properties()).containsEntry(MappedColumns.MAX_ID, "6");

    DeltaCommit move = DeltaCommit.of("tx-m", "RESTORE", 6L);
    DeltaStates.withColumns(move, now, wanted, columns);
    table.files(now).forEach(f -> move.remove(f, 6L));
    branch.files(wanted).forEach(f -> move.add(f.absoluteIn(branch.root())));
    assertThat(table.log().create(t + 1, move.bytes())).isTrue();
    Map<List<Object>, Map<String, Object>> rows = table.rows(table.at(t + 1), KernelTables.KEY);
    assertThat(rows).hasSize(100);
    assertThat(rows.get(List.of(7L))).containsEntry("region", "eu").containsEntry("note", "n")
        .containsEntry("only", null).containsEntry("name", "seven");
    assertThat(rows.get(List.of(8L))).containsEntry("region", null);

    // a state of another mode: its files are laid out otherwise
    DeltaTable plain = DeltaTable.local(dir.resolve("plain"), engine);
    plain.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", 1L).protocol(1, 2, java.util.Set.of(),
        java.util.Set.of()).metadata("p-id", KernelTables.SCHEMA.toJson(), List.of(), Map.of(), 1L).bytes());
    assertThatThrownBy(() -> MappedColumns.moved(now.getSchema(), now, plain.latest()))
        .hasMessageContaining("column mapping mode name");
    // a column the state has under another name: read twice after the move
    StructType renamed = new StructType().add("id", LongType.LONG, true, mapping(1, "col-a1"))
        .add("label", StringType.STRING, true, mapping(2, "col-b2"))
        .add("amount", LongType.LONG, true, mapping(3, "col-c3"));
    table.log().create(t + 2, DeltaCommit.of("other-3", "RENAME COLUMN", 7L).metadata("t-id", renamed.toJson(),
        List.of(), Map.of("delta.columnMapping.mode", "name", "delta.columnMapping.maxColumnId", "3"), 1L).bytes());
    var base = table.at(1);
    var renamedState = table.at(t + 2);
    // moved with both (label taken from the state, name kept): two columns read col-b2
    assertThatThrownBy(() -> MappedColumns.moved(DeltaStates.columnsFor(base, renamedState), base, renamedState))
        .hasMessageContaining("renamed");
    // a discard keeps the table's columns only: label (col-b2) reads the state's files right, nothing refused
    assertThat(MappedColumns.moved(renamedState.getSchema(), renamedState, base).schema())
        .isEqualTo(renamedState.getSchema());

    // mapping enabled on a state since (each column kept under its own name, as Delta does): moved either way
    StructType byName = new StructType().add("id", LongType.LONG, true, mapping(1, "id"))
        .add("name", StringType.STRING, true, mapping(2, "name"))
        .add("amount", LongType.LONG, true, mapping(3, "amount"));
    plain.log().create(1, DeltaCommit.of("other-2", "SET TBLPROPERTIES", 2L).protocol(2, 5, java.util.Set.of(),
        java.util.Set.of()).metadata("p-id", byName.toJson(), List.of(), Map.of("delta.columnMapping.mode", "name",
        "delta.columnMapping.maxColumnId", "3"), 1L).bytes());
    var unmapped = plain.at(0);
    var enabled = plain.at(1);
    assertThat(MappedColumns.moved(unmapped.getSchema(), unmapped, enabled).schema()).as("no mapping metadata kept")
        .isEqualTo(KernelTables.SCHEMA);
    assertThat(MappedColumns.moved(enabled.getSchema(), enabled, unmapped).schema()).isEqualTo(byName);
    // but not where a column is stored under another name than its own
    assertThatThrownBy(() -> MappedColumns.moved(unmapped.getSchema(), unmapped, now))
        .hasMessageContaining("column mapping mode none");
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

    // a version 7 listing what a legacy version implies asks nothing for the features the table does not use
    java.util.Set<String> implied = WriterFeatures.legacyWriterFeatures(6);
    DeltaTable listed = DeltaTable.local(dir.resolve("listed"), engine);
    listed.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", 1L)
        .protocol(3, 7, java.util.Set.of("columnMapping"), implied)
        .metadata("l-id", mapped().toJson(), List.of(), Map.of("delta.columnMapping.mode", "name",
            "delta.columnMapping.maxColumnId", "3"), 1L).bytes());
    WriterFeatures.check(listed.latest());
    listed.log().create(1, DeltaCommit.of("other-2", "ADD CONSTRAINT", 2L).metadata("l-id", mapped().toJson(),
        List.of(), Map.of("delta.columnMapping.mode", "name", "delta.columnMapping.maxColumnId", "3",
            "delta.constraints.positive", "amount > 0"), 1L).bytes());
    assertThatThrownBy(() -> WriterFeatures.check(listed.latest())).hasMessageContaining("CHECK constraints");
    java.util.Set<String> tracked = new java.util.TreeSet<>(implied);
    tracked.addAll(List.of("rowTracking", "domainMetadata"));
    listed.log().create(2, DeltaCommit.of("other-3", "UPGRADE", 3L)
        .protocol(3, 7, java.util.Set.of("columnMapping"), tracked).bytes());
    assertThatThrownBy(() -> WriterFeatures.check(listed.latest())).hasMessageContaining("rowTracking");

    // what a legacy version implies stays when a protocol is raised to list features
    assertThat(WriterFeatures.legacyWriterFeatures(5)).containsExactlyInAnyOrder("appendOnly", "invariants",
        "checkConstraints", "changeDataFeed", "generatedColumns", "columnMapping");
    assertThat(WriterFeatures.legacyWriterFeatures(2)).containsExactlyInAnyOrder("appendOnly", "invariants");
    assertThat(WriterFeatures.legacyReaderFeatures(2)).containsExactly("columnMapping");
    assertThat(WriterFeatures.legacyReaderFeatures(1)).isEmpty();
  }

}
