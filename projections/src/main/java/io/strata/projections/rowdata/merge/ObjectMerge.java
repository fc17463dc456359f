package io.strata.projections.rowdata.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A jsonb column's three-way merge where base, ours and theirs are all JSON objects: key by key, by
 * the field rule ({@link #pick}), a key left out by the winning side staying out. One level deep: a
 * key whose values differ on both sides clashes, whatever they hold.
 */
public final class ObjectMerge {
  private ObjectMerge() {}

  /** What the field rule gives one field (or key): a side's value, or a clash. */
  public enum Pick {
    /** Ours' value: both sides agree, or only ours changed it. */
    OURS,
    /** Theirs' value: only theirs changed it. */
    THEIRS,
    /** Both changed it, differently. */
    CLASH
  }

  /**
   * The field-level truth table (absent or SQL NULL being values like any other): the same on both
   * sides, or theirs unchanged from the base, keeps ours; ours unchanged takes theirs; both changed
   * differently clash.
   */
  public static Pick pick(JsonNode base, JsonNode ours, JsonNode theirs) {
    if (JsonValues.same(ours, theirs) || JsonValues.same(theirs, base)) {
      return Pick.OURS;
    }
    return JsonValues.same(ours, base) ? Pick.THEIRS : Pick.CLASH;
  }

  /** The merged object, or empty where a key clashes. */
  public static Optional<ObjectNode> merge(ObjectNode base, ObjectNode ours, ObjectNode theirs) {
    TreeSet<String> keys = new TreeSet<>();
    base.fieldNames().forEachRemaining(keys::add);
    ours.fieldNames().forEachRemaining(keys::add);
    theirs.fieldNames().forEachRemaining(keys::add);
    ObjectNode merged = JsonNodeFactory.instance.objectNode();
    for (String k : keys) {
      Pick pick = pick(base.get(k), ours.get(k), theirs.get(k));
      if (pick == Pick.CLASH) {
        return Optional.empty();
      }
      JsonNode value = pick == Pick.OURS ? ours.get(k) : theirs.get(k);
      if (value != null) {
        merged.set(k, value);
      }
    }
    return Optional.of(merged);
  }
}
