package io.strata.projections.rowdata.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The three-way merge of one key, from its row images at the base, on ours (the target) and on
 * theirs (the source); null is no row (never there, or deleted). The rows as wholes first: the same on
 * both sides, or theirs unchanged, keeps ours; ours unchanged takes theirs. Then a row only one side
 * has, both sides having changed the key, is a row-level conflict ({@code delete_modify},
 * {@code modify_delete}, {@code add_add}: the fields both images name and differ in) keeping ours. An image
 * recorded before its table gained a column does not name it: that side left it to the other. Otherwise
 * field by field ({@link
 * ObjectMerge#pick}), jsonb objects key by key ({@link ObjectMerge#merge}): the merged row is ours with
 * theirs' changes where only theirs changed a field, and the fields both changed differently conflict
 * ({@code modify_modify}), keeping ours.
 */
public final class RowMerge {
  private RowMerge() {}

  /**
   * What merging one key decides: the row to write (null: none) and, for a conflict, its kind and the
   * conflicting fields (in name order; a row-level conflict's are the fields where ours and theirs
   * differ).
   */
  public record Outcome(ObjectNode merged, ConflictKind kind, List<String> fields) {
    public Outcome {
      fields = List.copyOf(fields);
    }

    static Outcome clean(ObjectNode merged) {
      return new Outcome(merged, null, List.of());
    }

    public boolean conflicts() {
      return kind != null;
    }
  }

  public static Outcome merge(ObjectNode base, ObjectNode ours, ObjectNode theirs, MergeColumns columns) {
    switch (ObjectMerge.pick(base, ours, theirs)) {
      case OURS:
        return Outcome.clean(ours);
      case THEIRS:
        return Outcome.clean(theirs);
      default:
        break;
    }
    if (ours != null && theirs != null && base == null) {
      // inserted on both: an image recorded before its table gained a column does not name it and leaves it
      // to the other side; the columns both name and differ in are the conflict
      List<String> fields = new ArrayList<>();
      ours.fieldNames().forEachRemaining(f -> {
        if (theirs.has(f) && !columns.derived().contains(f) && !JsonValues.same(ours.get(f), theirs.get(f))) {
          fields.add(f);
        }
      });
      if (!fields.isEmpty()) {
        return new Outcome(ours, ConflictKind.ADD_ADD, sorted(fields));
      }
      ObjectNode merged = theirs.deepCopy();
      merged.setAll(ours);
      return Outcome.clean(merged);
    }
    if (ours == null || theirs == null || base == null) {
      ConflictKind kind = ours == null ? ConflictKind.MODIFY_DELETE
          : theirs == null ? ConflictKind.DELETE_MODIFY : ConflictKind.ADD_ADD;
      ObjectNode row = ours != null ? ours : theirs;
      List<String> fields = new ArrayList<>();
      row.fieldNames().forEachRemaining(f -> {
        if (!columns.derived().contains(f) && !JsonValues.same(field(ours, f), field(theirs, f))) {
          fields.add(f);
        }
      });
      return new Outcome(ours, kind, sorted(fields));
    }
    ObjectNode merged = ours.deepCopy();
    List<String> fields = new ArrayList<>();
    // an image recorded before its table gained a column does not name it: that side left it alone
    for (String c : sorted(iterable(theirs))) {
      if (!ours.has(c) && !columns.derived().contains(c)) {
        merged.set(c, theirs.get(c));
      }
    }
    for (String c : sorted(iterable(ours))) {
      if (columns.derived().contains(c) || !theirs.has(c)) {
        continue; // computed from the others when the row is written; or theirs left it as ours has it
      }
      JsonNode b = base.get(c);
      JsonNode o = ours.get(c);
      JsonNode t = theirs.get(c);
      switch (ObjectMerge.pick(b, o, t)) {
        case OURS -> { }
        case THEIRS -> put(merged, c, t);
        case CLASH -> {
          Optional<ObjectNode> sub = columns.json().contains(c) && isObject(b) && isObject(o) && isObject(t)
              ? ObjectMerge.merge((ObjectNode) b, (ObjectNode) o, (ObjectNode) t) : Optional.empty();
          if (sub.isPresent()) {
            merged.set(c, sub.get());
          } else {
            fields.add(c);
          }
        }
      }
    }
    return new Outcome(merged, fields.isEmpty() ? null : ConflictKind.MODIFY_MODIFY, fields);
  }

  private static boolean isObject(JsonNode value) {
    return value != null && value.isObject();
  }

  private static void put(ObjectNode row, String field, JsonNode value) {
    if (value == null) {
      row.remove(field);
    } else {
      row.set(field, value);
    }
  }

  private static JsonNode field(ObjectNode row, String name) {
    return row == null ? null : row.get(name);
  }

  private static List<String> iterable(ObjectNode row) {
    List<String> names = new ArrayList<>();
    row.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static List<String> sorted(List<String> names) {
    return List.copyOf(new TreeSet<>(names));
  }
}
