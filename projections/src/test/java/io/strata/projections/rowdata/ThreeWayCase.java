package io.strata.projections.rowdata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.projections.rowdata.merge.JsonValues;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A random three-way input for a merge table ({@link RowDataBackend#newMergeTable}): per key (a
 * composite {@code k1, k2}), its row at the base, on ours and on theirs (null: none), from small
 * domains so that sides often agree, field by field and key by key in {@code doc}; and per side one or
 * two commits leading there (an intermediate image in the first).
 */
record ThreeWayCase(Map<List<Object>, Images> keys, List<Map<List<Object>, ObjectNode>> oursCommits,
    List<Map<List<Object>, ObjectNode>> theirsCommits) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] DOCS = {"null", "{}", "{\"x\": 1}", "{\"x\": 1.0}", "{\"x\": 2}",
      "{\"x\": 1, \"y\": 1}", "{\"y\": \"s\"}", "{\"x\": {\"z\": 1}}", "{\"x\": 1, \"y\": 2, \"z\": 3}",
      "{\"y\": 1, \"z\": null}", "[1]", "3", "\"t\""};
  private static final String[] DOC_VALUES = {"1", "2", "null", "\"s\"", "{\"z\": 1}"};

  /** A key's three images. */
  record Images(ObjectNode base, ObjectNode ours, ObjectNode theirs) {
    Images swapped() {
      return new Images(base, theirs, ours);
    }
  }

  /** The same case with every image's {@code doc} as the text of its JSON: for a backend without JSON columns. */
  ThreeWayCase withDocAsText() {
    Map<List<Object>, Images> keys = new LinkedHashMap<>();
    this.keys.forEach((k, i) -> keys.put(k, new Images(docAsText(i.base()), docAsText(i.ours()),
        docAsText(i.theirs()))));
    return new ThreeWayCase(keys, docsAsText(oursCommits), docsAsText(theirsCommits));
  }

  private static List<Map<List<Object>, ObjectNode>> docsAsText(List<Map<List<Object>, ObjectNode>> commits) {
    List<Map<List<Object>, ObjectNode>> converted = new ArrayList<>();
    for (Map<List<Object>, ObjectNode> commit : commits) {
      Map<List<Object>, ObjectNode> images = new LinkedHashMap<>();
      commit.forEach((k, row) -> images.put(k, docAsText(row)));
      converted.add(images);
    }
    return converted;
  }

  private static ObjectNode docAsText(ObjectNode row) {
    if (row == null || !row.has("doc") || row.get("doc").isNull()) {
      return row;
    }
    ObjectNode copy = row.deepCopy();
    copy.put("doc", row.get("doc").toString());
    return copy;
  }

  /** The same case seen from the other side: ours and theirs swapped. */
  ThreeWayCase swapped() {
    Map<List<Object>, Images> swapped = new LinkedHashMap<>();
    keys.forEach((k, i) -> swapped.put(k, i.swapped()));
    return new ThreeWayCase(swapped, theirsCommits, oursCommits);
  }

  static ThreeWayCase random(Random random) {
    Map<List<Object>, Images> keys = new LinkedHashMap<>();
    int count = 4 + random.nextInt(13);
    while (keys.size() < count) {
      List<Object> key = List.of(1 + random.nextInt(8), random.nextBoolean() ? "x" : "y");
      if (keys.isEmpty()) { // one key whose doc object both sides edit, key by key
        ObjectNode base = fresh(random, key);
        base.set("doc", pick(random, "{\"x\": 1, \"y\": 2, \"z\": 3}", "{\"x\": 1}", "{}"));
        keys.put(key, new Images(base, editDoc(random, base), editDoc(random, base)));
        continue;
      }
      ObjectNode base = random.nextInt(4) == 0 ? null : fresh(random, key);
      ObjectNode ours = side(random, key, base);
      ObjectNode theirs = random.nextInt(10) == 0 ? ours : side(random, key, base);
      keys.putIfAbsent(key, new Images(base, ours, theirs));
    }
    return new ThreeWayCase(keys, commits(random, keys, Images::ours), commits(random, keys, Images::theirs));
  }

  /**
   * The images of a revert of a side's first commit (of two) on its second: the base is the first
   * commit's rows, ours the side's, theirs the fork's.
   */
  Map<List<Object>, Images> revertingFirst(List<Map<List<Object>, ObjectNode>> commits,
      java.util.function.Function<Images, ObjectNode> side) {
    Map<List<Object>, ObjectNode> first = commits.get(0);
    Map<List<Object>, Images> revert = new LinkedHashMap<>();
    keys.forEach((k, i) -> revert.put(k, new Images(first.containsKey(k) ? first.get(k) : i.base(), side.apply(i),
        i.base())));
    return revert;
  }

  /** The base's rows, as JSON objects. */
  List<String> baseRows() {
    return keys.values().stream().filter(i -> i.base() != null).map(i -> i.base().toString()).toList();
  }

  private static ObjectNode side(Random random, List<Object> key, ObjectNode base) {
    int r = random.nextInt(20);
    ObjectNode row = r < 6 ? base : r < 8 ? null : r < 10 ? fresh(random, key)
        : modified(random, base == null ? fresh(random, key) : base);
    // unchanged by value is unchanged: the base's own image
    return JsonValues.same(row, base) ? base : row;
  }

  private static ObjectNode fresh(Random random, List<Object> key) {
    ObjectNode row = JsonNodeFactory.instance.objectNode();
    row.put("k1", (Integer) key.get(0));
    row.put("k2", (String) key.get(1));
    row.set("a", pick(random, "null", "1", "2"));
    row.set("b", pick(random, "null", "\"p\"", "\"q\""));
    row.set("doc", pick(random, DOCS));
    return derive(row);
  }

  private static ObjectNode modified(Random random, ObjectNode base) {
    ObjectNode row = base.deepCopy();
    if (random.nextBoolean()) {
      row.set("a", pick(random, "null", "1", "2", "3"));
    }
    if (random.nextBoolean()) {
      row.set("b", pick(random, "null", "\"p\"", "\"q\"", "\"r\""));
    }
    int d = random.nextInt(4);
    if (d == 0) {
      row.set("doc", pick(random, DOCS));
    } else if (d < 3 && row.get("doc").isObject()) {
      return editDoc(random, row);
    }
    return derive(row);
  }

  /** The row with one key of its doc object changed, added or removed. */
  private static ObjectNode editDoc(Random random, ObjectNode base) {
    ObjectNode row = base.deepCopy();
    ObjectNode doc = row.get("doc").deepCopy();
    String k = pick(random, "\"x\"", "\"y\"", "\"z\"").asText();
    if (random.nextInt(3) == 0) {
      doc.remove(k);
    } else {
      doc.set(k, pick(random, DOC_VALUES));
    }
    row.set("doc", doc);
    return derive(row);
  }

  /** The derived column, as the table computes it. */
  static ObjectNode derive(ObjectNode row) {
    if (row != null) {
      row.put("n", (row.get("a").isNull() ? 0 : row.get("a").asInt()) + 1);
    }
    return row;
  }

  /**
   * The commits that lead a side from the base to its images: one, or two where the first writes an
   * intermediate image to some keys (the second then writes every key whose image is not the first's).
   */
  private static List<Map<List<Object>, ObjectNode>> commits(Random random, Map<List<Object>, Images> keys,
      java.util.function.Function<Images, ObjectNode> side) {
    Map<List<Object>, ObjectNode> first = new LinkedHashMap<>();
    Map<List<Object>, ObjectNode> last = new LinkedHashMap<>();
    boolean two = random.nextBoolean();
    keys.forEach((k, images) -> {
      ObjectNode target = side.apply(images);
      ObjectNode now = images.base();
      if (two && random.nextInt(3) == 0) {
        now = random.nextInt(3) == 0 ? null : fresh(random, k);
        if (!JsonValues.same(now, images.base())) {
          first.put(k, now);
        } else {
          now = images.base();
        }
      }
      if (!JsonValues.same(now, target)) {
        last.put(k, target);
      }
    });
    List<Map<List<Object>, ObjectNode>> commits = new ArrayList<>();
    if (!first.isEmpty()) {
      commits.add(first);
    }
    commits.add(last);
    return commits;
  }

  private static JsonNode pick(Random random, String... json) {
    try {
      return JSON.readTree(json[random.nextInt(json.length)]);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return describe(keys);
  }

  static String describe(Map<List<Object>, Images> keys) {
    StringBuilder s = new StringBuilder();
    keys.forEach((k, i) -> s.append(k).append(": base ").append(i.base()).append(", ours ").append(i.ours())
        .append(", theirs ").append(i.theirs()).append('\n'));
    return s.toString();
  }
}
