package io.strata.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.delta.DeltaBranchModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The random sequences of {@link DeltaBranchModel} (writes on a table and its shallow-clone branches, checkpoints,
 * three-way merges by key and field) read after every step by Delta's reference implementation, Apache Spark with
 * delta-spark: each table's latest version and an earlier version of one of them (time travel) must be the model's
 * rows. Fixed seeds; more with -Dsparkmodel.runs / -Dsparkmodel.seed.
 */
class DeltaSparkModelIT {
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    spark = DeltaSparkInteropIT.session();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void sparkReadsEveryBranchAndVersionOfRandomSequencesAsTheModel() throws Exception {
    int runs = Integer.getInteger("sparkmodel.runs", 2);
    long seed = Long.getLong("sparkmodel.seed", 32L);
    int merges = 0;
    int checkpoints = 0;
    int moves = 0;
    for (int run = 0; run < runs; run++) {
      DeltaBranchModel.Run done = DeltaBranchModel.run(dir.resolve("run" + run), new Random(seed + run),
          DeltaSparkModelIT::spark);
      merges += done.merges();
      checkpoints += done.checkpoints();
      moves += done.moves();
    }
    // the sequences did what they are for: merges into the table, versions Spark read from a checkpoint, moves
    assertThat(merges).isPositive();
    assertThat(checkpoints).isPositive();
    assertThat(moves).isPositive();
  }

  /** The rows Spark reads at {@code root} (at {@code version}, or the latest), by id, as the model holds them. */
  private static Map<Long, Map<String, Object>> spark(Path root, Long version) {
    var reader = spark.read().format("delta");
    if (version != null) {
      reader = reader.option("versionAsOf", version);
    }
    Map<Long, Map<String, Object>> rows = new TreeMap<>();
    for (Row r : reader.load(root.toString()).select("id", "name", "amount").collectAsList()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", r.getLong(0));
      row.put("name", r.isNullAt(1) ? null : r.getString(1));
      row.put("amount", r.isNullAt(2) ? null : r.getLong(2));
      rows.put(r.getLong(0), row);
    }
    return rows;
  }
}
