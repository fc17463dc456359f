package io.strata.events;

import java.util.List;

/**
 * A table in a storage is now versioned by the repository under {@code name}. Records what tracking
 * found: the columns, the key, the row count and an order-independent content hash of the rows, and
 * the table's full {@link TableShape} (null in v1 of this event, which recorded columns and key only).
 *
 * <p>{@code rowSum} is the sum of the rows' 60-bit hashes (a decimal string); {@code contentHash} is
 * {@link #contentHash(long, String)} of the count and that sum, so commits can update it from their
 * change sets alone, without reading the table.
 */
public record TableTracked(
    String name,
    String storage,
    String schema,
    String table,
    List<String> primaryKey,
    List<TableColumn> columns,
    long rowCount,
    String rowSum,
    String contentHash,
    TableShape shape)
    implements StrataEvent {

  public TableTracked {
    primaryKey = List.copyOf(primaryKey);
    columns = List.copyOf(columns);
  }

  /** A table whose full shape is not known (tracked before shapes were recorded: v1 of this event). */
  public TableTracked(String name, String storage, String schema, String table, List<String> primaryKey,
      List<TableColumn> columns, long rowCount, String rowSum, String contentHash) {
    this(name, storage, schema, table, primaryKey, columns, rowCount, rowSum, contentHash, null);
  }

  /** The content hash of a table with {@code rowCount} rows whose row hashes sum to {@code rowSum}. */
  public static String contentHash(long rowCount, String rowSum) {
    return CommitIds.sha256Hex("rows " + rowCount + " sum " + rowSum);
  }

  /** The same table with new content (after a commit changed its rows). */
  public TableTracked withContent(long rowCount, String rowSum) {
    return new TableTracked(name, storage, schema, table, primaryKey, columns, rowCount, rowSum,
        contentHash(rowCount, rowSum), shape);
  }

  /**
   * The same table in a new shape (after {@link TableSchemaChanged}): its columns are the shape's, its
   * key stays the one it is versioned by.
   */
  public TableTracked withShape(TableShape newShape) {
    return new TableTracked(name, storage, schema, table, primaryKey, newShape.tableColumns(), rowCount, rowSum,
        contentHash, newShape);
  }

  /** The same table at another place of its storage (a table made on a branch, moved into the default branch). */
  public TableTracked placed(String newSchema, String newTable) {
    return new TableTracked(name, storage, newSchema, newTable, primaryKey, columns, rowCount, rowSum, contentHash,
        shape);
  }

  /** The shape recorded when the table was tracked, or what is known of it (columns and key) for v1 events. */
  public TableShape knownShape() {
    return shape != null ? shape : TableShape.ofColumns(columns, primaryKey);
  }

  /**
   * The hash commit trees carry for the table: column names, types, nullability and key, in order (a
   * tree's hash must not change with the version of the event that tracked the table).
   */
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
