package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code table.branch_schema_changed.v1} knew two operations ({@code add_column}, {@code drop_column});
 * v2 adds {@code alter_column}. A v1 event reads as v2 unchanged.
 */
final class TableBranchSchemaChangedV1 implements Upcaster {
  @Override
  public String fromType() {
    return EventType.PREFIX + "table.branch_schema_changed.v1";
  }

  @Override
  public String toType() {
    return EventType.TABLE_BRANCH_SCHEMA_CHANGED.type();
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    return data;
  }
}
