package io.strata.projections.tables;

import io.strata.events.TableColumn;
import java.time.Instant;
import java.util.List;

/** A tracked table, as projected. */
public record TableRow(
    String name,
    String storage,
    String schema,
    String table,
    List<String> primaryKey,
    List<TableColumn> columns,
    long rowCount,
    String rowSum,
    String contentHash,
    Instant trackedAt) {

  public String location() {
    return "postgresql://" + storage + "/" + schema + "." + table;
  }
}
