package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code table.branch_schema_changed.v2} (and v1, which reads as v2 unchanged) knew no renamed columns; v3
 * adds {@code rename_column} and the branch's {@code renamed} columns: read as none. Neither v1, v2 nor v3
 * knew the table's columns redefined on a branch nor its constraints; v4 adds {@code redefined} and
 * {@code constraints}: read as none. None before v5 knew a branch's own indexes; v5 adds {@code add_index},
 * {@code drop_index} and {@code indexes}: read as none. v6 adds an {@code alter_column}'s {@code using} (a
 * conversion of a column's values), which none before made: read as absent.
 */
final class TableBranchSchemaChangedV2 implements Upcaster {
  private final String from;

  TableBranchSchemaChangedV2(int version) {
    this.from = EventType.PREFIX + "table.branch_schema_changed.v" + version;
  }

  @Override
  public String fromType() {
    return from;
  }

  @Override
  public String toType() {
    return EventType.TABLE_BRANCH_SCHEMA_CHANGED.type();
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    ObjectNode current = data.deepCopy();
    if (!current.has("renamed")) {
      current.putObject("renamed");
    }
    if (!current.has("redefined")) {
      current.putArray("redefined");
    }
    if (!current.has("constraints")) {
      current.putArray("constraints");
    }
    if (!current.has("indexes")) {
      current.putArray("indexes");
    }
    return current;
  }
}
