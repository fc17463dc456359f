package io.strata.projections.rowdata.merge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.Merges.Strategy;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The merge rules against the seed's tables (Horizon Epoch, "Merge Algorithm"): the field-level truth
 * table, the record classification, the strategy comparison and the auto-merge example; then jsonb
 * objects key by key and derived columns. No database.
 */
class RowMergeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MergeColumns COLUMNS = new MergeColumns(Set.of("doc"), Set.of("total"));

  private static ObjectNode row(String json) {
    try {
      return json == null || json.equals("-") ? null : (ObjectNode) JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(json, e);
    }
  }

  private static JsonNode value(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(json, e);
    }
  }

  /** A row {@code {"id": 1, "f": <value>}} with one field of the given JSON value. */
  private static ObjectNode withField(String value) {
    return row("{\"id\": 1, \"f\": " + value + "}");
  }

  /**
   * The seed's field-level truth table, its 11 rows in order: ancestor, source (theirs), target (ours),
   * and the result: a value, or CONFLICT. NULL is SQL NULL (JSON null), a value like any other.
   */
  @ParameterizedTest(name = "A={0} S={1} T={2} -> {3}")
  @CsvSource(delimiter = '|', value = {
      "'\"a\"' | '\"a\"' | '\"a\"' | '\"a\"'",
      "'\"a\"' | '\"s\"' | '\"a\"' | '\"s\"'",
      "'\"a\"' | '\"a\"' | '\"t\"' | '\"t\"'",
      "'\"a\"' | '\"s\"' | '\"s\"' | '\"s\"'",
      "'\"a\"' | '\"s\"' | '\"t\"' | CONFLICT",
      "null    | '\"s\"' | null    | '\"s\"'",
      "null    | null    | '\"t\"' | '\"t\"'",
      "null    | '\"s\"' | '\"t\"' | CONFLICT",
      "'\"a\"' | null    | '\"a\"' | null",
      "'\"a\"' | '\"a\"' | null    | null",
      "'\"a\"' | null    | '\"t\"' | CONFLICT"})
  void theSeedsFieldLevelTruthTable(String ancestor, String source, String target, String result) {
    // another field changed by each side makes every case a row both sides changed
    ObjectNode base = row("{\"id\": 1, \"f\": " + ancestor + ", \"o\": 0, \"s\": 0}");
    ObjectNode theirs = row("{\"id\": 1, \"f\": " + source + ", \"o\": 0, \"s\": 1}");
    ObjectNode ours = row("{\"id\": 1, \"f\": " + target + ", \"o\": 1, \"s\": 0}");
    RowMerge.Outcome out = RowMerge.merge(base, ours, theirs, COLUMNS);
    if (result.equals("CONFLICT")) {
      assertThat(out.kind()).isEqualTo(ConflictKind.MODIFY_MODIFY);
      assertThat(out.fields()).containsExactly("f");
      assertThat(out.merged().get("f")).isEqualTo(value(target)); // a conflicting field keeps ours
    } else {
      assertThat(out.conflicts()).isFalse();
      assertThat(out.merged().get("f")).isEqualTo(value(result));
    }
    assertThat(out.merged().get("o").asInt()).isEqualTo(1);
    assertThat(out.merged().get("s").asInt()).isEqualTo(1);
  }

  /**
   * The seed's record classification ("Step 2: Classify Changes") and its row-level conflict types:
   * base, ours, theirs (- for no row), the row written (OURS, THEIRS or -) and the conflict kind.
   */
  @ParameterizedTest(name = "{0}: {5}")
  @CsvSource(delimiter = '|', value = {
      "{\"id\":1,\"v\":\"a\"} | {\"id\":1,\"v\":\"a\"} | {\"id\":1,\"v\":\"b\"} | THEIRS | -             | no change, changed",
      "{\"id\":1,\"v\":\"a\"} | {\"id\":1,\"v\":\"b\"} | {\"id\":1,\"v\":\"a\"} | OURS   | -             | changed, no change",
      "{\"id\":1,\"v\":\"a\"} | {\"id\":1,\"v\":\"b\"} | {\"id\":1,\"v\":\"b\"} | OURS   | -             | the same change",
      "{\"id\":1,\"v\":\"a\"} | {\"id\":1,\"v\":\"b\"} | {\"id\":1,\"v\":\"c\"} | OURS   | modify_modify | different changes",
      "{\"id\":1,\"v\":\"a\"} | -                    | {\"id\":1,\"v\":\"c\"} | OURS   | modify_delete | deleted, changed",
      "{\"id\":1,\"v\":\"a\"} | {\"id\":1,\"v\":\"b\"} | -                    | OURS   | delete_modify | changed, deleted",
      "{\"id\":1,\"v\":\"a\"} | -                    | -                    | OURS   | -             | deleted, deleted",
      "{\"id\":1,\"v\":\"a\"} | -                    | {\"id\":1,\"v\":\"a\"} | OURS   | -             | deleted, no change",
      "{\"id\":1,\"v\":\"a\"} | {\"id\":1,\"v\":\"a\"} | -                    | THEIRS | -             | no change, deleted",
      "-                    | -                    | {\"id\":1,\"v\":\"n\"} | THEIRS | -             | added by theirs",
      "-                    | {\"id\":1,\"v\":\"n\"} | -                    | OURS   | -             | added by ours",
      "-                    | {\"id\":1,\"v\":\"n\"} | {\"id\":1,\"v\":\"n\"} | OURS   | -             | the same row added",
      "-                    | {\"id\":1,\"v\":\"m\"} | {\"id\":1,\"v\":\"n\"} | OURS   | add_add       | different rows added"})
  void theSeedsRecordClassification(String base, String ours, String theirs, String writes, String kind, String name) {
    RowMerge.Outcome out = RowMerge.merge(row(base), row(ours), row(theirs), COLUMNS);
    ObjectNode expected = writes.equals("OURS") ? row(ours) : row(theirs);
    assertThat(out.merged()).isEqualTo(expected);
    assertThat(out.kind() == null ? "-" : out.kind().wire()).isEqualTo(kind);
    if (out.conflicts()) {
      // the fields where ours and theirs differ: against no row, every one
      assertThat(out.fields()).isEqualTo(kind.equals("modify_modify") || kind.equals("add_add")
          ? List.of("v") : List.of("id", "v"));
    }
  }

  /**
   * The seed's strategy comparison: per scenario and strategy, the row written (OURS, THEIRS, or
   * MERGED: ours with theirs' non-conflicting change) and whether the merge stops for the client.
   */
  @ParameterizedTest(name = "{0} under {1}")
  @CsvSource(delimiter = '|', value = {
      "non-conflicting | THREE_WAY        | MERGED | false",
      "non-conflicting | THEIRS           | MERGED | false",
      "non-conflicting | OURS             | MERGED | false",
      "non-conflicting | FAIL_ON_CONFLICT | MERGED | false",
      "same field      | THREE_WAY        | OURS   | true",
      "same field      | THEIRS           | THEIRS | false",
      "same field      | OURS             | OURS   | false",
      "same field      | FAIL_ON_CONFLICT | OURS   | true",
      "delete, modify  | THREE_WAY        | OURS   | true",
      "delete, modify  | THEIRS           | THEIRS | false",
      "delete, modify  | OURS             | OURS   | false",
      "delete, modify  | FAIL_ON_CONFLICT | OURS   | true",
      "modify, delete  | THEIRS           | THEIRS | false",
      "modify, delete  | OURS             | OURS   | false",
      "both add        | THREE_WAY        | OURS   | true",
      "both add        | THEIRS           | THEIRS | false",
      "both add        | OURS             | OURS   | false",
      "both add        | FAIL_ON_CONFLICT | OURS   | true"})
  void theSeedsStrategyComparison(String scenario, Strategy strategy, String writes, boolean stops) {
    ObjectNode base = row("{\"id\": 1, \"a\": 0, \"b\": 0}");
    ObjectNode ours;
    ObjectNode theirs;
    ObjectNode merged = null;
    switch (scenario) {
      case "non-conflicting" -> {
        ours = row("{\"id\": 1, \"a\": 1, \"b\": 0}");
        theirs = row("{\"id\": 1, \"a\": 0, \"b\": 2}");
        merged = row("{\"id\": 1, \"a\": 1, \"b\": 2}");
      }
      case "same field" -> {
        ours = row("{\"id\": 1, \"a\": 1, \"b\": 0}");
        theirs = row("{\"id\": 1, \"a\": 2, \"b\": 0}");
      }
      case "delete, modify" -> { // source (theirs) deleted, target (ours) modified
        ours = row("{\"id\": 1, \"a\": 1, \"b\": 0}");
        theirs = null;
      }
      case "modify, delete" -> {
        ours = null;
        theirs = row("{\"id\": 1, \"a\": 2, \"b\": 0}");
      }
      default -> {
        base = null;
        ours = row("{\"id\": 1, \"a\": 1, \"b\": 1}");
        theirs = row("{\"id\": 1, \"a\": 2, \"b\": 1}");
      }
    }
    Settlement.KeyMerge key = Settlement.decide(base, ours, theirs, COLUMNS, strategy);
    ObjectNode expected = switch (writes) {
      case "OURS" -> ours;
      case "THEIRS" -> theirs;
      default -> merged;
    };
    assertThat(key.merged()).isEqualTo(expected);
    assertThat(MergeTally.of(List.of(key)).stops()).isEqualTo(stops);
  }

  /** The seed's auto-merge example: name and status from the source, email from the target. */
  @Test
  void theSeedsAutoMergeExample() {
    ObjectNode base = row("""
        {"id": 1, "name": "Alice", "email": "alice@example.com", "status": "active"}""");
    ObjectNode ours = row("""
        {"id": 1, "name": "Alice", "email": "alice@company.com", "status": "active"}""");
    ObjectNode theirs = row("""
        {"id": 1, "name": "Alice Smith", "email": "alice@example.com", "status": "inactive"}""");
    RowMerge.Outcome out = RowMerge.merge(base, ours, theirs, MergeColumns.PLAIN);
    assertThat(out.conflicts()).isFalse();
    assertThat(out.merged()).isEqualTo(row("""
        {"id": 1, "name": "Alice Smith", "email": "alice@company.com", "status": "inactive"}"""));
  }

  /** A jsonb column's objects merge key by key (one level), a removed key staying removed; a clash conflicts. */
  @ParameterizedTest(name = "{0}, {1}, {2} -> {3}")
  @CsvSource(delimiter = '|', value = {
      "{\"x\": 1, \"y\": 1} | {\"x\": 2, \"y\": 1} | {\"x\": 1, \"y\": 3}  | {\"x\": 2, \"y\": 3}",
      "{\"x\": 1}          | {\"x\": 1, \"y\": 1} | {\"x\": 1, \"z\": 2}  | {\"x\": 1, \"y\": 1, \"z\": 2}",
      "{\"x\": 1, \"y\": 1} | {\"y\": 1}          | {\"x\": 1, \"y\": 2}  | {\"y\": 2}",
      "{\"x\": 1}          | {\"x\": 2}          | {\"x\": 3}           | CONFLICT",
      "{\"x\": 1}          | {}                 | {\"x\": 3}           | CONFLICT",
      "{\"x\": 1}          | {\"x\": null}       | {}                   | CONFLICT",
      "{\"x\": {\"a\": 1}}  | {\"x\": {\"a\": 2}}  | {\"x\": {\"b\": 1}}   | CONFLICT",
      "{\"x\": 1}          | [1]                | {\"x\": 2}           | CONFLICT",
      "null               | {\"x\": 1}          | {\"x\": 2}           | CONFLICT",
      "{\"x\": 1}          | {\"x\": 1.0, \"y\": 1} | {\"x\": 2}         | {\"x\": 2, \"y\": 1}",
      "{\"x\": 1}          | {\"x\": 1.0, \"y\": 1} | {\"x\": 1, \"z\": 1} | {\"x\": 1.0, \"y\": 1, \"z\": 1}"})
  void jsonbObjectsMergeKeyByKey(String base, String ours, String theirs, String result) {
    ObjectNode b = row("{\"id\": 1, \"doc\": " + base + "}");
    ObjectNode o = row("{\"id\": 1, \"doc\": " + ours + "}");
    ObjectNode t = row("{\"id\": 1, \"doc\": " + theirs + "}");
    RowMerge.Outcome out = RowMerge.merge(b, o, t, COLUMNS);
    if (result.equals("CONFLICT")) {
      assertThat(out.fields()).containsExactly("doc");
      assertThat(out.merged()).isEqualTo(o);
    } else {
      assertThat(out.conflicts()).isFalse();
      assertThat(JsonValues.same(out.merged().get("doc"), value(result))).as(out.merged().toString()).isTrue();
    }
    // a column that is not jsonb compares the objects whole
    RowMerge.Outcome whole = RowMerge.merge(b, o, t, MergeColumns.PLAIN);
    assertThat(whole.fields()).containsExactly("doc");
  }

  @Test
  void derivedColumnsAreNeverComparedAndKeepOurs() {
    ObjectNode base = row("{\"id\": 1, \"a\": 1, \"b\": 1, \"total\": 2}");
    ObjectNode ours = row("{\"id\": 1, \"a\": 5, \"b\": 1, \"total\": 6}");
    ObjectNode theirs = row("{\"id\": 1, \"a\": 1, \"b\": 7, \"total\": 8}");
    RowMerge.Outcome out = RowMerge.merge(base, ours, theirs, COLUMNS);
    assertThat(out.conflicts()).isFalse();
    // the write computes total from a and b
    assertThat(out.merged()).isEqualTo(row("{\"id\": 1, \"a\": 5, \"b\": 7, \"total\": 6}"));
    RowMerge.Outcome deleted = RowMerge.merge(base, ours, null, COLUMNS);
    assertThat(deleted.fields()).containsExactly("a", "b", "id");
  }

  @Test
  void anImageRecordedBeforeTheTableGainedAColumnLeavesItToTheOtherSide() {
    // inserted on both, theirs recorded before c2: no conflict, ours' c2
    RowMerge.Outcome both = RowMerge.merge(null, row("{\"id\": 21, \"v\": 50, \"c2\": 2}"),
        row("{\"id\": 21, \"v\": 50}"), COLUMNS);
    assertThat(both.conflicts()).isFalse();
    assertThat(both.merged()).isEqualTo(row("{\"id\": 21, \"v\": 50, \"c2\": 2}"));
    // a column both name and differ in is still add_add, ours kept
    RowMerge.Outcome differ = RowMerge.merge(null, row("{\"id\": 21, \"v\": 50, \"c2\": 2}"),
        row("{\"id\": 21, \"v\": 51}"), COLUMNS);
    assertThat(differ.kind()).isEqualTo(ConflictKind.ADD_ADD);
    assertThat(differ.fields()).containsExactly("v");
    // changed on both: the column one image lacks is the other side's
    RowMerge.Outcome changed = RowMerge.merge(row("{\"id\": 1, \"s\": \"new\"}"), row("{\"id\": 1, \"s\": \"ours\"}"),
        row("{\"id\": 1, \"s\": \"new\", \"region\": \"us\"}"), COLUMNS);
    assertThat(changed.conflicts()).isFalse();
    assertThat(changed.merged()).isEqualTo(row("{\"id\": 1, \"s\": \"ours\", \"region\": \"us\"}"));
  }

  @Test
  void numbersAreEqualByValue() {
    assertThat(JsonValues.same(value("1"), value("1.0"))).isTrue();
    assertThat(JsonValues.same(value("{\"a\": [1, 2.50]}"), value("{\"a\": [1.00, 2.5]}"))).isTrue();
    assertThat(JsonValues.same(value("\"1\""), value("1"))).isFalse();
    assertThat(JsonValues.same(value("null"), null)).isFalse();
    RowMerge.Outcome out = RowMerge.merge(withField("1"), withField("1.0"), withField("2"), COLUMNS);
    assertThat(out.merged().get("f").asInt()).isEqualTo(2); // ours did not change it: theirs
  }

  @Test
  void aTallyCountsWhatTheMergeDoesToOurs() {
    List<Settlement.KeyMerge> keys = List.of(
        Settlement.decide(null, null, withField("1"), COLUMNS, Strategy.THREE_WAY),
        Settlement.decide(withField("1"), withField("1"), withField("2"), COLUMNS, Strategy.THREE_WAY),
        Settlement.decide(withField("1"), withField("1"), null, COLUMNS, Strategy.THREE_WAY),
        Settlement.decide(withField("1"), withField("3"), withField("2"), COLUMNS, Strategy.THREE_WAY),
        Settlement.decide(withField("1"), withField("4"), withField("2"), COLUMNS, Strategy.THEIRS));
    MergeTally tally = MergeTally.of(keys);
    assertThat(tally).isEqualTo(new MergeTally(new ChangeCounts(1, 2, 1), 2, 1));
  }
}
