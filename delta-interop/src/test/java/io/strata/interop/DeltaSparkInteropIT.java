package io.strata.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StringType;
import io.strata.projections.delta.DataFiles;
import io.strata.projections.delta.DeltaCommit;
import io.strata.projections.delta.DeltaFile;
import io.strata.projections.delta.DeltaMerge;
import io.strata.projections.delta.DeltaSchema;
import io.strata.projections.delta.DeltaTable;
import io.strata.projections.delta.RowChanges;
import io.strata.projections.delta.ShallowClone;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delta's reference implementation, Apache Spark with delta-spark in local mode, against Strata's Delta code
 * (docs/delta.md, §8): Spark writes a table (inserts, an update and a delete: copy-on-write removes) that Strata reads
 * and diffs; a branch Strata makes is read by Spark at every version, after Strata's own copy-on-write commit and the
 * checkpoint Kernel writes; Spark writes to the branch and Strata sees the version as another engine's; Spark's
 * VACUUM of the table leaves the branch's files alone; a column Strata adds on the branch is read by Spark.
 */
class DeltaSparkInteropIT {
  private static final List<String> KEY = List.of("id");
  private static SparkSession spark;

  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();

  @BeforeAll
  static void start() {
    spark = session();
  }

  /** A local Spark session with Delta, on the loopback interface only, no UI. */
  static SparkSession session() {
    return SparkSession.builder().master("local[2]").appName("strata-delta-interop")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.databricks.delta.retentionDurationCheck.enabled", "false")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void sparkAndStrataReadWhatTheOtherWrote() throws Exception {
    Path orders = dir.resolve("orders");
    String table = "delta.`" + orders + "`";
    spark.sql("CREATE TABLE " + table + " (id BIGINT, name STRING, amount BIGINT) USING delta"
        + " TBLPROPERTIES ('delta.enableDeletionVectors' = 'false')");
    spark.sql("INSERT INTO " + table + " SELECT id, concat('name-', id), id * 10 FROM range(1, 101)");
    spark.sql("UPDATE " + table + " SET name = 'renamed by spark' WHERE id = 7");
    spark.sql("DELETE FROM " + table + " WHERE id = 8");

    // Strata reads Spark's table as Spark does, and its changes since the insert from the files that differ
    DeltaTable base = DeltaTable.local(orders, engine);
    long head = base.latest().getVersion();
    assertThat(head).isEqualTo(3);
    assertThat(strata(base, head)).isEqualTo(spark(orders.toString(), null));
    assertThat(RowChanges.between(base, 1, base, head, KEY))
        .extracting(c -> c.key().get(0) + " " + c.kind() + " " + (c.before() == null ? "" : c.changedFields()))
        .containsExactly("7 update [name]", "8 delete [id, name, amount]");

    // a branch: Spark reads it at its first version as the table
    Path branchRoot = orders.resolve("_strata/branches/dev");
    DeltaTable branch = DeltaTable.local(branchRoot, engine);
    assertThat(ShallowClone.create(base, head, branch, "strata-tx-1", System.currentTimeMillis())).isTrue();
    assertThat(spark(branchRoot.toString(), 0L)).isEqualTo(spark(orders.toString(), null));

    // Strata's copy-on-write commit on the branch (id 9 changed, id 1000 new), then Kernel's checkpoint of it
    var snapshot = branch.latest();
    DeltaFile holding = branch.files(snapshot).stream()
        .filter(f -> branch.rows(snapshot, Set.of(f.absolute(branch.root())), KEY).containsKey(List.of(9L)))
        .findFirst().orElseThrow();
    List<Map<String, Object>> rewritten = new ArrayList<>();
    branch.rows(snapshot, Set.of(holding.absolute(branch.root())), KEY).values().forEach(row -> {
      Map<String, Object> copy = new LinkedHashMap<>(row);
      if ((Long) row.get("id") == 9L) {
        copy.put("amount", 9_999L);
      }
      rewritten.add(copy);
    });
    DeltaFile replacement = DataFiles.write(branch, snapshot, rewritten);
    DeltaFile inserted = DataFiles.write(branch, snapshot, List.of(row(1000, "added by strata", 1)));
    long now = System.currentTimeMillis();
    assertThat(branch.log().create(1, DeltaCommit.of("strata-tx-2", "WRITE", now)
        .remove(holding, now).add(replacement).add(inserted).bytes())).isTrue();
    branch.at(1).writeCheckpoint(engine);
    assertThat(Files.exists(branchRoot.resolve("_delta_log/_last_checkpoint"))).isTrue();

    Map<Long, String> branchRows = spark(branchRoot.toString(), null);
    assertThat(branchRows).hasSize(100).containsEntry(9L, "name-9|9999").containsEntry(1000L, "added by strata|1")
        .containsEntry(7L, "renamed by spark|70").doesNotContainKey(8L);
    assertThat(branchRows).isEqualTo(strata(branch, 1));
    assertThat(spark(branchRoot.toString(), 0L)).containsEntry(9L, "name-9|90").doesNotContainKey(1000L);
    assertThat(spark(orders.toString(), null)).containsEntry(9L, "name-9|90").hasSize(99);
    List<Row> history = spark.sql("DESCRIBE HISTORY delta.`" + branchRoot + "`").collectAsList();
    assertThat(history).hasSize(2);

    // Spark writes the branch: a version of another engine's, whose changes Strata reads from its files
    spark.sql("INSERT INTO delta.`" + branchRoot + "` VALUES (2000, 'added by spark', 2)");
    assertThat(branch.log().versionsAfter(1)).containsExactly(2L);
    assertThat(new String(branch.log().read(2), StandardCharsets.UTF_8)).doesNotContain("\"engineInfo\":\"Strata\"");
    assertThat(kinds(branch, 1, branch, 2)).containsExactly("2000 insert");

    // VACUUM of the table (nothing retained) keeps the branch's own files under _strata/, and the branch reads
    spark.sql("VACUUM " + table + " RETAIN 0 HOURS");
    try (Stream<Path> files = Files.walk(branchRoot)) {
      assertThat(files.filter(f -> f.toString().endsWith(".parquet") && !f.toString().contains("_delta_log")))
          .hasSize(3);
    }
    assertThat(spark(branchRoot.toString(), null)).hasSize(101);

    // a column Strata adds on the branch: Spark reads it, null in the files written before it
    long added = DeltaSchema.addColumn(branch, 2, "region", StringType.STRING, "strata-tx-3",
        System.currentTimeMillis());
    assertThat(added).isEqualTo(3);
    Map<String, Object> regional = new LinkedHashMap<>(row(1, "name-1", 10));
    regional.put("region", "eu");
    DeltaMerge.apply(new DeltaMerge.Plan(added, Map.of(List.of(1L), regional), Map.of()), branch, KEY,
        "strata-tx-4", System.currentTimeMillis());
    Map<Long, String> regions = new TreeMap<>();
    for (Row r : spark.read().format("delta").load(branchRoot.toString()).select("id", "region").collectAsList()) {
      regions.put(r.getLong(0), r.isNullAt(1) ? null : r.getString(1));
    }
    assertThat(regions).hasSize(101).containsEntry(1L, "eu").containsEntry(2L, null).containsEntry(2000L, null);
  }

  /**
   * A column Strata widens (integer to long, the protocol's type widening, no file rewritten): Spark reads the files
   * written before in the wider type, and the value only the wider type holds that Strata writes after.
   */
  @Test
  void sparkReadsAColumnStrataWidened() throws Exception {
    Path stock = dir.resolve("stock");
    spark.sql("CREATE TABLE delta.`" + stock + "` (id BIGINT, qty INT) USING delta"
        + " TBLPROPERTIES ('delta.enableDeletionVectors' = 'false')");
    spark.sql("INSERT INTO delta.`" + stock + "` SELECT id, CAST(id * 10 AS INT) FROM range(1, 11)");
    DeltaTable table = DeltaTable.local(stock, engine);
    long head = table.latest().getVersion();
    long widened = DeltaSchema.widen(table, head, Map.of("qty", io.delta.kernel.types.LongType.LONG), "strata-tx-1",
        System.currentTimeMillis());
    assertThat(widened).isEqualTo(head + 1);
    Map<String, Object> big = new LinkedHashMap<>();
    big.put("id", 3L);
    big.put("qty", 5_000_000_000L);
    long written = DeltaMerge.apply(new DeltaMerge.Plan(widened, Map.of(List.of(3L), big), Map.of()), table, KEY,
        "strata-tx-2", System.currentTimeMillis());
    Map<Long, Long> quantities = new TreeMap<>();
    for (Row r : spark.read().format("delta").load(stock.toString()).collectAsList()) {
      quantities.put(r.getLong(0), r.getLong(1));
    }
    assertThat(quantities).hasSize(10).containsEntry(3L, 5_000_000_000L).containsEntry(4L, 40L);
    assertThat(spark.read().format("delta").load(stock.toString()).schema().apply("qty").dataType().typeName())
        .isEqualTo("long");
    assertThat(written).isEqualTo(widened + 1);
  }

  /**
   * A table whose deletes and updates Spark writes as deletion vectors: Strata reads its rows with the vectors
   * applied, diffs by the files whose vectors changed, branches it with the vectors named absolutely (as Delta's own
   * shallow clone does), reads Spark's vectors on the branch, and rewrites a file that has one (its remove naming the
   * vector, so no reader keeps the file) — Spark reading every version as Strata does.
   */
  @Test
  void deletionVectorsSparkWritesAreCarriedThroughBranchesDiffsAndMerges() throws Exception {
    Path orders = dir.resolve("dvorders");
    String table = "delta.`" + orders + "`";
    spark.sql("CREATE TABLE " + table + " (id BIGINT, name STRING, amount BIGINT) USING delta"
        + " TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')");
    spark.sql("INSERT INTO " + table + " SELECT id, concat('name-', id), id * 10 FROM range(1, 101)");
    spark.sql("DELETE FROM " + table + " WHERE id = 8");
    spark.sql("UPDATE " + table + " SET name = 'renamed by spark' WHERE id = 7");

    DeltaTable base = DeltaTable.local(orders, engine);
    long head = base.latest().getVersion();
    assertThat(base.files(base.latest())).as("Spark wrote vectors").anyMatch(f -> f.deletionVector() != null);
    assertThat(strata(base, head)).isEqualTo(spark(orders.toString(), null)).hasSize(99)
        .containsEntry(7L, "renamed by spark|70").doesNotContainKey(8L);
    assertThat(RowChanges.between(base, 1, base, head, KEY))
        .extracting(c -> c.key().get(0) + " " + c.kind() + " " + (c.before() == null ? "" : c.changedFields()))
        .containsExactly("7 update [name]", "8 delete [id, name, amount]");

    // a branch names the table's files and their vectors absolutely: Spark reads it as the table, nothing differs
    Path branchRoot = orders.resolve("_strata/branches/dev");
    DeltaTable branch = DeltaTable.local(branchRoot, engine);
    assertThat(ShallowClone.create(base, head, branch, "strata-tx-1", System.currentTimeMillis())).isTrue();
    assertThat(new String(branch.log().read(0), StandardCharsets.UTF_8)).contains("\"storageType\":\"p\"");
    assertThat(spark(branchRoot.toString(), 0L)).isEqualTo(spark(orders.toString(), null));
    assertThat(RowChanges.between(base, head, branch, 0, KEY)).isEmpty();

    // Spark deletes on the branch (a vector in the branch's directory): a change of the branch's, read from it
    spark.sql("DELETE FROM delta.`" + branchRoot + "` WHERE id = 9");
    assertThat(kinds(branch, 0, branch, 1)).containsExactly("9 delete");
    assertThat(kinds(base, head, branch, 1)).containsExactly("9 delete");

    // Strata rewrites the file holding 10 (it has a vector): the rows the vector took stay gone, the file with its
    // vector is removed, and Spark reads one row per key
    Map<String, Object> changed = row(10, "name-10", 1_010);
    long merged = DeltaMerge.apply(new DeltaMerge.Plan(1, Map.of(List.of(10L), changed), Map.of()), branch, KEY,
        "strata-tx-2", System.currentTimeMillis());
    assertThat(merged).isEqualTo(2);
    Map<Long, String> branchRows = spark(branchRoot.toString(), null);
    assertThat(branchRows).hasSize(98).containsEntry(10L, "name-10|1010").containsEntry(7L, "renamed by spark|70")
        .doesNotContainKeys(8L, 9L);
    assertThat(spark.read().format("delta").load(branchRoot.toString()).count()).isEqualTo(98);
    assertThat(strata(branch, merged)).isEqualTo(branchRows);
    assertThat(kinds(base, head, branch, merged)).containsExactly("9 delete", "10 update");

    // Spark updates the table itself again: the diff of the two sides still reads only what differs
    spark.sql("UPDATE " + table + " SET amount = 0 WHERE id = 20");
    assertThat(fields(base, head, base, head + 1)).containsExactly("20 update [amount]");
  }

  /**
   * A table Spark partitions: Strata's merge on a branch of it writes one file per partition in the partition's
   * directory (a row moved to another partition, a new partition, the null one), which Spark reads, prunes by
   * partition, and writes again, Strata reading Spark's change.
   */
  @Test
  void strataWritesIntoATableSparkPartitionedAsSparkDoes() throws Exception {
    Path sales = dir.resolve("sales");
    String table = "delta.`" + sales + "`";
    spark.sql("CREATE TABLE " + table + " (id BIGINT, name STRING, amount BIGINT) USING delta PARTITIONED BY (name)"
        + " TBLPROPERTIES ('delta.enableDeletionVectors' = 'false')");
    spark.sql("INSERT INTO " + table + " SELECT id, CASE WHEN id % 3 = 0 THEN NULL WHEN id % 3 = 1 THEN 'eu'"
        + " ELSE 'us' END, id * 10 FROM range(1, 31)");
    DeltaTable base = DeltaTable.local(sales, engine);
    long head = base.latest().getVersion();
    Path branchRoot = sales.resolve("_strata/branches/dev");
    DeltaTable branch = DeltaTable.local(branchRoot, engine);
    assertThat(ShallowClone.create(base, head, branch, "strata-tx-1", System.currentTimeMillis())).isTrue();

    Map<List<Object>, Map<String, Object>> writes = new java.util.HashMap<>();
    writes.put(List.of(1L), row(1, "us", 11)); // eu → us
    writes.put(List.of(3L), row(3, "eu", 33)); // the null partition → eu
    writes.put(List.of(2L), null);
    writes.put(List.of(100L), row(100, "ap", 1_000)); // a partition of its own
    writes.put(List.of(101L), row(101, null, 1_010));
    long merged = DeltaMerge.apply(new DeltaMerge.Plan(0, writes, Map.of()), branch, KEY, "strata-tx-2",
        System.currentTimeMillis());
    Map<Long, String> rows = spark(branchRoot.toString(), null);
    assertThat(rows).hasSize(31).containsEntry(1L, "us|11").containsEntry(3L, "eu|33").doesNotContainKey(2L)
        .containsEntry(100L, "ap|1000").containsEntry(4L, "eu|40");
    assertThat(spark.read().format("delta").load(branchRoot.toString()).where("name IS NULL").count())
        .isEqualTo(10 - 1 + 1);
    assertThat(rows).isEqualTo(strata(branch, merged));
    assertThat(spark.sql("SELECT id FROM delta.`" + branchRoot + "` WHERE name = 'ap'").collectAsList())
        .extracting(r -> r.getLong(0)).containsExactly(100L);
    assertThat(kinds(base, head, branch, merged))
        .containsExactly("1 update", "2 delete", "3 update", "100 insert", "101 insert");

    spark.sql("UPDATE delta.`" + branchRoot + "` SET amount = 0 WHERE name = 'ap'");
    assertThat(fields(branch, merged, branch, merged + 1)).containsExactly("100 update [amount]");
  }

  /**
   * A table with column mapping, a column renamed by Spark (its values under a physical name other than its name):
   * Strata's merge on a branch writes its files under the physical names, which Spark reads by the new name. A
   * column Strata adds gets the next id and a physical name of its own: Spark reads and writes it, and the column
   * Spark adds next takes the id after it.
   */
  @Test
  void strataWritesATableWithColumnMappingUnderItsPhysicalNames() throws Exception {
    Path people = dir.resolve("people");
    String table = "delta.`" + people + "`";
    spark.sql("CREATE TABLE " + table + " (id BIGINT, label STRING, amount BIGINT) USING delta"
        + " TBLPROPERTIES ('delta.columnMapping.mode' = 'name', 'delta.enableDeletionVectors' = 'false')");
    spark.sql("INSERT INTO " + table + " SELECT id, concat('name-', id), id * 10 FROM range(1, 21)");
    spark.sql("ALTER TABLE " + table + " RENAME COLUMN label TO name");
    DeltaTable base = DeltaTable.local(people, engine);
    long head = base.latest().getVersion();
    assertThat(strata(base, head)).isEqualTo(spark(people.toString(), null));

    Path branchRoot = people.resolve("_strata/branches/dev");
    DeltaTable branch = DeltaTable.local(branchRoot, engine);
    assertThat(ShallowClone.create(base, head, branch, "strata-tx-1", System.currentTimeMillis())).isTrue();
    Map<List<Object>, Map<String, Object>> writes = new java.util.HashMap<>();
    writes.put(List.of(5L), row(5, "five", 55));
    writes.put(List.of(100L), row(100, "hundred", 1_000));
    long merged = DeltaMerge.apply(new DeltaMerge.Plan(0, writes, Map.of()), branch, KEY, "strata-tx-2",
        System.currentTimeMillis());
    Map<Long, String> rows = spark(branchRoot.toString(), null);
    assertThat(rows).hasSize(21).containsEntry(5L, "five|55").containsEntry(100L, "hundred|1000")
        .containsEntry(6L, "name-6|60");
    assertThat(rows).isEqualTo(strata(branch, merged));
    spark.sql("UPDATE delta.`" + branchRoot + "` SET name = 'by spark' WHERE id = 100");
    assertThat(fields(branch, merged, branch, merged + 1)).containsExactly("100 update [name]");

    long added = DeltaSchema.addColumn(branch, merged + 1, "region", io.delta.kernel.types.StringType.STRING,
        "strata-tx-3", System.currentTimeMillis());
    Map<String, Object> five = row(5, "five", 55);
    five.put("region", "eu");
    long written = DeltaMerge.apply(new DeltaMerge.Plan(added, Map.of(List.of(5L), five), Map.of()), branch, KEY,
        "strata-tx-4", System.currentTimeMillis());
    String at = "delta.`" + branchRoot + "`";
    assertThat(spark.sql("SELECT id, region FROM " + at + " WHERE region IS NOT NULL").collectAsList())
        .extracting(r -> r.getLong(0) + " " + r.getString(1)).containsExactly("5 eu");
    spark.sql("UPDATE " + at + " SET region = 'by spark' WHERE id = 6");
    assertThat(fields(branch, written, branch, written + 1)).containsExactly("6 update [region]");
    spark.sql("ALTER TABLE " + at + " ADD COLUMNS (tier STRING)");
    var schema = branch.latest().getSchema();
    long regionId = schema.get("region").getMetadata().getLong("delta.columnMapping.id");
    assertThat(schema.get("tier").getMetadata().getLong("delta.columnMapping.id")).isEqualTo(regionId + 1);
    assertThat(schema.get("region").getMetadata().getString("delta.columnMapping.physicalName"))
        .startsWith("col-");
  }

  /** The row changes from {@code from} at {@code fromVersion} to {@code to} at {@code toVersion}: "id kind". */
  private static List<String> kinds(DeltaTable from, long fromVersion, DeltaTable to, long toVersion) {
    return RowChanges.between(from, fromVersion, to, toVersion, KEY).stream()
        .map(c -> c.key().get(0) + " " + c.kind()).toList();
  }

  /** {@link #kinds} with the fields each changes: "id kind [fields]". */
  private static List<String> fields(DeltaTable from, long fromVersion, DeltaTable to, long toVersion) {
    return RowChanges.between(from, fromVersion, to, toVersion, KEY).stream()
        .map(c -> c.key().get(0) + " " + c.kind() + " " + c.changedFields()).toList();
  }

  /** The rows Spark reads at {@code path} (at {@code version}, or the latest): id → "name|amount". */
  private static Map<Long, String> spark(String path, Long version) {
    var reader = spark.read().format("delta");
    if (version != null) {
      reader = reader.option("versionAsOf", version);
    }
    Map<Long, String> rows = new TreeMap<>();
    for (Row r : reader.load(path).collectAsList()) {
      rows.put(r.getLong(0), r.getString(1) + "|" + r.getLong(2));
    }
    return rows;
  }

  /** The rows Strata reads of {@code table} at {@code version}, as {@link #spark} gives them. */
  private static Map<Long, String> strata(DeltaTable table, long version) {
    Map<Long, String> rows = new TreeMap<>();
    table.rows(table.at(version), KEY).forEach((k, r) -> rows.put((Long) r.get("id"), r.get("name") + "|"
        + r.get("amount")));
    return rows;
  }

  private static Map<String, Object> row(long id, String name, long amount) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", id);
    row.put("name", name);
    row.put("amount", amount);
    return row;
  }
}
