package io.strata.projections.tables;

import io.strata.events.TableColumn;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.TableLayout;
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
    Instant trackedAt) implements TableLayout {

  /** The table's facts as the event that recorded them (content as of the last commit). */
  public TableTracked toEvent() {
    return new TableTracked(name, storage, schema, table, primaryKey, columns, rowCount, rowSum,
        contentHash);
  }

  public String location() {
    return "postgresql://" + storage + "/" + schema + "." + table;
  }
}
