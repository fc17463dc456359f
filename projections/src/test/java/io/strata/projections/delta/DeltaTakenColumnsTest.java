package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.types.StringType;
import io.strata.projections.rowdata.RowDataBackend;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A branch made before its table gained a column takes the column's values from the table's rows (a merge or a
 * cherry-pick of the default branch into it): in versions of at most a batch of rows each, so that a table of any
 * size never has all its values in memory; rows the branch changed keep a value of their own.
 */
class DeltaTakenColumnsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final DeltaRowDataBackend backend = DeltaRowDataBackend.shared();

  @Test
  void takenValuesAreWrittenABatchOfRowsPerVersion() {
    Map<Integer, String> rows = new LinkedHashMap<>();
    for (int id = 1; id <= 7; id++) {
      rows.put(id, "v" + id);
    }
    var subject = backend.subject(true, rows);
    String main = backend.root(subject.table(), RowDataBackend.DEFAULT_BRANCH);
    String dev = backend.root(subject.table(), "dev");
    List<String> key = List.of("id");
    backend.pool().withTransaction(c -> {
      DeltaUnit unit = backend.unit(c);
      return unit.blocking(() -> {
        // the table gains a column with values in every row but 3; the branch gains it empty, and gives 5 its own
        DeltaTable table = unit.at(main);
        long v = DeltaSchema.addColumn(table, table.latest().getVersion(), "extra", StringType.STRING, "t-1", 1L);
        for (int[] pair : new int[][] {{1, 2}, {4, 5}, {6, 7}}) { // a file each: a batch is written after a file
          Map<List<Object>, Map<String, Object>> values = new java.util.HashMap<>();
          for (int id : pair) {
            values.put(List.of(id), row(id, "v" + id, "x" + id));
          }
          v = DeltaMerge.apply(new DeltaMerge.Plan(v, values, Map.of()), table, key, "t-" + pair[0], 2L);
        }
        DeltaTable branch = unit.at(dev);
        long b = DeltaSchema.addColumn(branch, branch.latest().getVersion(), "extra", StringType.STRING, "t-3", 3L);
        b = DeltaMerge.apply(new DeltaMerge.Plan(b, Map.of(List.of(5), row(5, "v5", "own")), Map.of()), branch, key,
            "t-4", 4L);

        long last = DeltaBranchObjects.fill(unit, table, table.at(v), dev, key, List.of("extra"), 2);
        Map<Object, Object> extras = new java.util.TreeMap<>();
        branch.rows(branch.latest(), key).forEach((k, r) -> extras.put(k.get(0), r.get("extra")));
        assertThat(extras).containsEntry(1, "x1").containsEntry(2, "x2").containsEntry(3, null)
            .containsEntry(5, "own").containsEntry(7, "x7").hasSize(7);
        // six rows with a value, two per batch (the batch holding 5 writes only its other row): three versions
        assertThat(last).isEqualTo(b + 3).isEqualTo(branch.latest().getVersion());
        return null;
      });
    }).await().atMost(WAIT);
  }

  private static Map<String, Object> row(int id, String v, String extra) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", id);
    row.put("v", v);
    row.put("extra", extra);
    return row;
  }
}
