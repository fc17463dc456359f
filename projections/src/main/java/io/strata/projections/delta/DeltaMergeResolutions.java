package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.types.StructType;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.Merges.FieldConflict;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.merge.ConflictKind;
import io.strata.projections.rowdata.merge.JsonValues;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What ends a Delta merge in progress other than its commit ({@link DeltaMerges}): resolutions, written to the
 * branch's table as one copy-on-write commit each (a row-level conflict takes a side's whole row, a field a side's or
 * a given value, held to its column's type), and the abort, which puts ours back wherever nobody wrote since the merge
 * (or a resolution) did.
 */
final class DeltaMergeResolutions {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String IN_PROGRESS = DeltaMerges.IN_PROGRESS;

  private DeltaMergeResolutions() {
  }

  static Uni<Long> abort(DeltaUnit unit, TrackedTable table, BranchRef target) {
    String branch = DeltaRefs.nameOf(target);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), branch)
        .chain(() -> DeltaMerges.ref(unit, table, target))
        .chain(ref -> DeltaConflicts.written(
            unit.metadata(), table, branch, IN_PROGRESS).chain(rows -> unit.blocking(() -> {
              DeltaTable root = unit.at(ref.root());
              var snapshot = root.latest();
              Map<List<Object>, String[]> byKey = new LinkedHashMap<>();
              for (String[] r : rows) {
                byKey.put(DeltaStates.keyOf(keyObject(table.key(), r[0]), table.key(), snapshot.getSchema()), r);
              }
              Map<List<Object>, Map<String, Object>> now = DeltaWorkingState.current(root, snapshot, table.key(),
                  byKey.keySet());
              Map<List<Object>, Map<String, Object>> back = new LinkedHashMap<>();
              long stayed = 0;
              for (var e : byKey.entrySet()) {
                String current = DeltaConflicts.text(DeltaMerge.json(now.get(e.getKey())));
                if (sameJson(current, e.getValue()[2])) {
                  back.put(e.getKey(), rowOf(e.getValue()[1], snapshot.getSchema()));
                } else {
                  stayed++;
                }
              }
              if (!back.isEmpty()) {
                long v = DeltaMerge.apply(new DeltaMerge.Plan(snapshot.getVersion(), back, Map.of()), root,
                    table.key(), unit.writing(ref.root(), snapshot.getVersion(), table.key()),
                    System.currentTimeMillis());
                unit.wrote(ref.root(), snapshot.getVersion(), v, table.key());
              }
              return stayed;
            })
            .call(() -> DeltaConflicts.forget(unit.metadata(), table, branch, IN_PROGRESS))
            .call(() -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), branch,
                new Ref(ref.root(), ref.base(), null)))));
  }

  static Uni<Long> resolve(DeltaUnit unit, TrackedTable table, BranchRef target, String key, String field,
      String take, String value) {
    String branch = DeltaRefs.nameOf(target);
    if (!List.of("ours", "theirs", "base", "value").contains(take)) {
      return Uni.createFrom().failure(new IllegalArgumentException("take is ours, theirs, base or value"));
    }
    if (take.equals("value") && field == null) {
      return Uni.createFrom().failure(new IllegalArgumentException("a value is given for one field"));
    }
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), branch)
        .chain(() -> DeltaMerges.ref(unit, table, target))
        .chain(ref -> unit.metadata().preparedQuery("select key, type, fields, base_row, ours_row, theirs_row"
                + " from strata_meta.delta_conflicts where repository = $1 and table_name = $2 and branch = $3"
                + " and attempt = '' and ($4::text is null or key = $4) order by ordinal")
            .execute(Tuple.of(table.repository(), table.name(), branch, key))
            .chain(rows -> {
              List<Row> found = new ArrayList<>();
              rows.forEach(found::add);
              for (Row r : found) {
                if (field != null && !ConflictKind.MODIFY_MODIFY.wire().equals(r.getString(1))) {
                  throw new IllegalArgumentException("conflict " + r.getString(0) + " is a row-level conflict ("
                      + r.getString(1) + "): it is resolved whole, without a field");
                }
              }
              if (found.isEmpty()) {
                return Uni.createFrom().item(0L);
              }
              return unit.blocking(() -> resolveRows(unit, table, ref, found, field, take, value))
                  .call(written -> Multi.createFrom().iterable(written.entrySet())
                      // with the conflict's ours row, which an abort puts back (kept already where the merge wrote
                      // the key; a key it did not write, as an add_add, has none kept yet)
                      .onItem().transformToUniAndConcatenate(w -> DeltaConflicts.storeWritten(
                          unit.metadata(), table, branch,
                          IN_PROGRESS, w.getKey(), oursOf(found, w.getKey()), w.getValue()))
                      .collect().last())
                  .call(() -> Multi.createFrom().iterable(found)
                      .onItem().transformToUniAndConcatenate(r -> DeltaConflicts.settle(
                          unit.metadata(), table, branch, r, field))
                      .collect().last())
                  .call(() -> unit.blocking(() -> DeltaStates.latest(unit, ref.root()).version())
                      .chain(v -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), branch,
                          new Ref(ref.root(), ref.base(), v))))
                  .map(written -> (long) found.size());
            }));
  }

  /** The ours row kept with the conflict of {@code key} (a JSON array) among {@code found}. */
  private static String oursOf(List<Row> found, String key) {
    for (Row r : found) {
      if (r.getString(0).equals(key)) {
        return r.getString(4);
      }
    }
    return null;
  }

  private static boolean sameJson(String a, String b) {
    try {
      return a == null || b == null ? a == b : JsonValues.same(JSON.readTree(a), JSON.readTree(b));
    } catch (IOException e) {
      return false;
    }
  }

  private static Map<String, Object> rowOf(String json, StructType schema) {
    try {
      return json == null ? null : DeltaMerge.values((ObjectNode) JSON.readTree(json), schema);
    } catch (IOException e) {
      throw new IllegalStateException("a kept row is not JSON", e);
    }
  }

  /** A key kept as a JSON array, as the JSON object of the key's columns. */
  private static String keyObject(List<String> columns, String keyArray) {
    try {
      JsonNode array = JSON.readTree(keyArray);
      ObjectNode object = JSON.createObjectNode();
      for (int i = 0; i < columns.size(); i++) {
        object.set(columns.get(i), array.get(i));
      }
      return object.toString();
    } catch (IOException e) {
      throw new IllegalStateException("a kept key is not JSON", e);
    }
  }

  /**
   * Writes the resolutions of {@code found} (kept conflicts) in one commit: a row-level conflict, or every field of
   * one, takes the chosen side's whole row; a field takes the side's (or the given) value in the branch's current
   * row. Answers the rows written, by key (JSON array).
   */
  private static Map<String, String> resolveRows(DeltaUnit unit, TrackedTable table, Ref ref, List<Row> found,
      String field, String take, String value) throws IOException {
    DeltaTable root = unit.at(ref.root());
    var snapshot = root.latest();
    StructType schema = snapshot.getSchema();
    Map<List<Object>, Row> byKey = new LinkedHashMap<>();
    for (Row r : found) {
      byKey.put(DeltaStates.keyOf(keyObject(table.key(), r.getString(0)), table.key(), schema), r);
    }
    Map<List<Object>, Map<String, Object>> current = DeltaWorkingState.current(root, snapshot, table.key(),
        byKey.keySet());
    Map<List<Object>, Map<String, Object>> writes = new LinkedHashMap<>();
    Map<String, String> written = new LinkedHashMap<>();
    for (var e : byKey.entrySet()) {
      Row r = e.getValue();
      String side = switch (take) {
        case "ours" -> r.getString(4);
        case "theirs" -> r.getString(5);
        case "base" -> r.getString(3);
        default -> null;
      };
      ObjectNode row;
      boolean wholeRow = !ConflictKind.MODIFY_MODIFY.wire().equals(r.getString(1));
      if (wholeRow) {
        row = side == null ? null : (ObjectNode) JSON.readTree(side);
      } else {
        ObjectNode now = DeltaMerge.json(current.get(e.getKey()));
        row = now == null ? JSON.createObjectNode() : now;
        JsonNode sideRow = side == null ? null : JSON.readTree(side);
        List<String> resolved = field != null ? List.of(field) : DeltaConflicts.fields(r.getString(2)).stream()
            .map(FieldConflict::name).toList();
        // the fields only theirs changed are the merge's too (the merge wrote them when it stopped; a merge stopped
        // before it did kept ours): taken where the row still has ours
        List<String> conflicted = DeltaConflicts.fields(r.getString(2)).stream().map(FieldConflict::name).toList();
        JsonNode baseRow = r.getString(3) == null ? null : JSON.readTree(r.getString(3));
        JsonNode oursRow = r.getString(4) == null ? null : JSON.readTree(r.getString(4));
        JsonNode theirsRow = r.getString(5) == null ? null : JSON.readTree(r.getString(5));
        if (theirsRow != null) {
          for (var names = theirsRow.fieldNames(); names.hasNext(); ) {
            String f = names.next();
            JsonNode theirs = theirsRow.get(f);
            if (!conflicted.contains(f) && schema.indexOf(f) >= 0
                && !JsonValues.same(orNull(theirs), orNull(baseRow == null ? null : baseRow.get(f)))
                && JsonValues.same(orNull(row.get(f)), orNull(oursRow == null ? null : oursRow.get(f)))) {
              row.set(f, theirs);
            }
          }
        }
        for (String f : resolved) {
          if (take.equals("value")) {
            if (schema.indexOf(f) < 0) {
              throw new IllegalArgumentException("the table has no column " + f);
            }
            JsonNode given = JSON.readTree(value);
            ClientValues.of(given, schema.get(f)); // held to the column's type, as a write is
            row.set(f, given);
          } else {
            row.set(f, sideRow == null ? null : sideRow.get(f));
          }
        }
      }
      writes.put(e.getKey(), row == null ? null : DeltaMerge.values(row, schema));
      written.put(r.getString(0), DeltaConflicts.text(row));
    }
    long v = DeltaMerge.apply(new DeltaMerge.Plan(snapshot.getVersion(), writes, Map.of()), root, table.key(),
        unit.writing(ref.root(), snapshot.getVersion(), table.key()), System.currentTimeMillis());
    unit.wrote(ref.root(), snapshot.getVersion(), v, table.key());
    return written;
  }


  /** A JSON value with SQL's null as Java's (a missing field and a null one are the same value). */
  private static JsonNode orNull(JsonNode v) {
    return v == null || v.isNull() ? null : v;
  }

}
