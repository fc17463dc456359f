package io.strata.events;

import java.util.List;

/**
 * A table in a storage is now versioned by the repository under {@code name}. Records what tracking
 * found: the columns, the key, the row count and an order-independent content hash of the rows.
 */
public record TableTracked(
    String name,
    String storage,
    String schema,
    String table,
    List<String> primaryKey,
    List<TableColumn> columns,
    long rowCount,
    String contentHash)
    implements StrataEvent {

  public TableTracked {
    primaryKey = List.copyOf(primaryKey);
    columns = List.copyOf(columns);
  }

  /** The hash of the table's shape: column names, types, nullability and key, in order. */
  public String schemaHash() {
    StringBuilder text = new StringBuilder();
    for (TableColumn c : columns) {
      text.append(c.name()).append(' ').append(c.type()).append(c.nullable() ? " null" : " not null").append('\n');
    }
    text.append("key ").append(String.join(",", primaryKey));
    return CommitIds.sha256Hex(text.toString());
  }

  @Override
  public String subject() {
    return "tables/" + name;
  }
}
