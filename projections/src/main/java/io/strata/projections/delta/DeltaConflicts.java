package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.strata.events.CommitIds;
import io.strata.projections.rowdata.Merges.Conflict;
import io.strata.projections.rowdata.Merges.FieldConflict;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.merge.Settlement;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * What a Delta merge in progress keeps in {@code strata_meta}: its unsettled conflicts (in key order, with the three
 * rows) and the rows it and its resolutions wrote (what an abort puts back), under the attempt {@code ''} while in
 * progress, or under a commit's attempt while set aside.
 */
final class DeltaConflicts {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DeltaConflicts() {
  }

  static List<FieldConflict> fields(String json) {
    try {
      List<FieldConflict> fields = new ArrayList<>();
      for (JsonNode f : JSON.readTree(json)) {
        fields.add(new FieldConflict(f.get("name").asText(), nullable(f.get("base")), nullable(f.get("ours")),
            nullable(f.get("theirs"))));
      }
      return fields;
    } catch (IOException e) {
      throw new IllegalStateException("a kept conflict is not JSON", e);
    }
  }

  static String nullable(JsonNode v) {
    return v == null || v.isNull() ? null : v.asText();
  }

  static String fieldsJson(List<FieldConflict> fields) {
    ArrayNode array = JSON.createArrayNode();
    for (FieldConflict f : fields) {
      array.addObject().put("name", f.name()).put("base", f.base()).put("ours", f.ours()).put("theirs", f.theirs());
    }
    return array.toString();
  }

  static Uni<Void> storeConflict(SqlConnection c, TrackedTable table, String branch, long ordinal,
      Conflict conflict, ObjectNode base, ObjectNode ours, ObjectNode theirs) {
    return c.preparedQuery("insert into strata_meta.delta_conflicts (repository, table_name, branch, attempt, ordinal,"
            + " key, type, fields, base_row, ours_row, theirs_row) values ($1, $2, $3, '', $4, $5, $6, $7, $8, $9, $10)"
            + " on conflict (repository, table_name, branch, attempt, key) do update set ordinal = excluded.ordinal,"
            + " type = excluded.type, fields = excluded.fields, base_row = excluded.base_row,"
            + " ours_row = excluded.ours_row, theirs_row = excluded.theirs_row")
        .execute(Tuple.from(new Object[] {table.repository(), table.name(), branch, ordinal, conflict.key(),
            conflict.type(), fieldsJson(conflict.fields()), text(base), text(ours), text(theirs)}))
        .replaceWithVoid();
  }

  /** Records that the merge (or a resolution) wrote {@code written} to the key; ours is the first one kept. */
  static Uni<Void> storeWritten(SqlConnection c, TrackedTable table, String branch, String attempt,
      String key, String ours, String written) {
    return c.preparedQuery("insert into strata_meta.delta_written (repository, table_name, branch, attempt, key,"
            + " ours_row, written) values ($1, $2, $3, $4, $5, $6, $7) on conflict (repository, table_name, branch,"
            + " attempt, key) do update set written = excluded.written")
        .execute(Tuple.from(new Object[] {table.repository(), table.name(), branch, attempt, key, ours, written}))
        .replaceWithVoid();
  }

  /** The rows kept as written: key (JSON array), ours, written. */
  static Uni<List<String[]>> written(SqlConnection c, TrackedTable table, String branch, String attempt) {
    return c.preparedQuery("select key, ours_row, written from strata_meta.delta_written where repository = $1"
            + " and table_name = $2 and branch = $3 and attempt = $4")
        .execute(Tuple.of(table.repository(), table.name(), branch, attempt))
        .map(rows -> {
          List<String[]> list = new ArrayList<>();
          rows.forEach(r -> list.add(new String[] {r.getString(0), r.getString(1), r.getString(2)}));
          return list;
        });
  }

  static Uni<Void> forget(SqlConnection c, TrackedTable table, String branch, String attempt) {
    Tuple key = Tuple.of(table.repository(), table.name(), branch, attempt);
    return c.preparedQuery("delete from strata_meta.delta_conflicts where repository = $1 and table_name = $2"
            + " and branch = $3 and attempt = $4").execute(key)
        .chain(() -> c.preparedQuery("delete from strata_meta.delta_written where repository = $1 and table_name = $2"
            + " and branch = $3 and attempt = $4").execute(key))
        .replaceWithVoid();
  }

  /** Moves what a merge kept from one attempt to another (set aside, or back in progress). */
  static Uni<Void> move(SqlConnection c, TrackedTable table, String branch, String from, String to) {
    Tuple key = Tuple.of(table.repository(), table.name(), branch, from, to);
    return forget(c, table, branch, to)
        .chain(() -> c.preparedQuery("update strata_meta.delta_conflicts set attempt = $5 where repository = $1"
            + " and table_name = $2 and branch = $3 and attempt = $4").execute(key))
        .chain(() -> c.preparedQuery("update strata_meta.delta_written set attempt = $5 where repository = $1"
            + " and table_name = $2 and branch = $3 and attempt = $4").execute(key))
        .replaceWithVoid();
  }

  /** Forgets what a resolution settled: the conflict, or the one field of it resolved. */
  static Uni<Void> settle(SqlConnection c, TrackedTable table, String branch, Row conflict, String field) {
    List<FieldConflict> left = field == null ? List.of()
        : fields(conflict.getString(2)).stream().filter(f -> !f.name().equals(field)).toList();
    Tuple key = Tuple.of(table.repository(), table.name(), branch, conflict.getString(0));
    return left.isEmpty()
        ? c.preparedQuery("delete from strata_meta.delta_conflicts where repository = $1 and table_name = $2"
            + " and branch = $3 and attempt = '' and key = $4").execute(key).replaceWithVoid()
        : c.preparedQuery("update strata_meta.delta_conflicts set fields = $5 where repository = $1"
            + " and table_name = $2 and branch = $3 and attempt = '' and key = $4")
            .execute(Tuple.of(table.repository(), table.name(), branch, conflict.getString(0), fieldsJson(left)))
            .replaceWithVoid();
  }

  static String text(JsonNode node) {
    return node == null ? null : node.toString();
  }

  /** The SHA-256 of the plan's conflicts (key, kind, fields, in key order), whatever settled them; null: none. */
  static String hash(TreeMap<List<Object>, Settlement.KeyMerge> keys) {
    StringBuilder canonical = new StringBuilder();
    keys.forEach((k, km) -> {
      if (km.outcome().conflicts()) {
        canonical.append(DeltaStates.keyArray(k)).append(' ').append(km.outcome().kind().wire()).append(' ')
            .append(km.outcome().fields()).append('\n');
      }
    });
    return canonical.length() == 0 ? null : CommitIds.sha256Hex(canonical.toString());
  }

  static Conflict of(TrackedTable table, List<Object> key, Settlement.KeyMerge km, ObjectNode base,
      ObjectNode theirs) {
    List<FieldConflict> fields = new ArrayList<>();
    for (String f : km.outcome().fields()) {
      fields.add(new FieldConflict(f, value(base, f), value(km.ours(), f), value(theirs, f)));
    }
    return new Conflict(table.name(), DeltaStates.keyArray(key), km.outcome().kind().wire(), fields, null);
  }

  private static String value(ObjectNode row, String field) {
    if (row == null) {
      return null;
    }
    JsonNode v = row.get(field);
    return v == null ? "null" : v.toString();
  }
}
