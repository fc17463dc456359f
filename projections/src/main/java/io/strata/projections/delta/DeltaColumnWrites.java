package io.strata.projections.delta;

import io.smallrye.mutiny.Uni;
import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.delta.DeltaRefs.State;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StructType;
import io.strata.events.TableShape;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Schema changes of a branch's (or the tracked) Delta table as {@code metaData} versions at its latest version, again
 * at the next when another engine wrote that one first, journalled as every write of a unit is: columns added and
 * types widened (what {@link DeltaBranchObjects} and {@link DeltaTracking} ask for).
 */
final class DeltaColumnWrites {
  private DeltaColumnWrites() {
  }

  /**
   * Widens the columns of the table at {@code root} to the types {@code columns} gives where they differ (again at
   * the next version when another engine wrote first); answers the version written, or -1 when none differs. The
   * key's columns keep their types (their values name rows across states); a nullability other than the table's is
   * refused. A widening is refused unless the tracked table at {@code trackedRoot} (the default branch's: the one
   * its owner sets properties on) has enabled type widening ({@link DeltaTableProperties#TYPE_WIDENING}): its readers
   * then need Delta 4.0+, which Spark asks the owner to accept first.
   */
  static long widen(DeltaUnit unit, String root, String trackedRoot, List<TableShape.Column> columns,
      List<String> key) throws java.io.IOException {
    DeltaTable table = unit.at(root);
    return atLatest(unit, root, key, (snapshot, transaction) -> {
      Map<String, DataType> types = new LinkedHashMap<>();
      for (TableShape.Column c : columns) {
        int at = snapshot.getSchema().indexOf(c.name());
        if (at < 0) {
          continue; // a column the table does not have (dropped elsewhere): nothing to widen
        }
        var field = snapshot.getSchema().at(at);
        if (!c.nullable() && field.isNullable()) {
          throw new DeltaUnsupported("NOT NULL columns on branches (" + c.name() + ")");
        }
        DataType type = DeltaTableMaking.type(c.type());
        if (type != null && !type.equals(field.getDataType())) {
          if (key.contains(c.name())) {
            throw new ClientValues.Refused(c.name(), "is part of the key: its type is not changed");
          }
          types.put(c.name(), type);
        }
      }
      if (types.isEmpty()) {
        return null;
      }
      var tracked = root.equals(trackedRoot) ? snapshot : unit.at(trackedRoot).latest();
      DeltaTableProperties.requireWidening(tracked.getTableProperties(), types.keySet().iterator().next());
      return DeltaSchema.widen(table, snapshot.getVersion(), types, transaction,
          System.currentTimeMillis());
    });
  }

  /**
   * A schema change written from a snapshot under a Delta transaction id: the version written, -1 when another writer
   * took it, null: none.
   */
  interface SchemaWrite {
    Long at(io.delta.kernel.Snapshot snapshot, String transaction) throws java.io.IOException;
  }

  /**
   * {@code write} at the latest version of the table at {@code root}, again at the next when another engine wrote that
   * version first (a table other engines keep writing: 409 after five tries); answers the version written, or -1 when
   * none was. Journalled as the unit's every write is ({@link DeltaUnit#writing}), so that a unit rolled back (or
   * killed) takes the columns back with its rows ({@link DeltaStates#undoKeys}).
   */
  static long atLatest(DeltaUnit unit, String root, List<String> key, SchemaWrite write)
      throws java.io.IOException {
    DeltaTable table = unit.at(root);
    for (int attempt = 0; ; attempt++) {
      var snapshot = table.latest();
      Long written = write.at(snapshot, unit.writing(root, snapshot.getVersion(), key));
      if (written == null) {
        return -1;
      }
      if (written >= 0) {
        unit.wrote(root, snapshot.getVersion(), written, key);
        return written;
      }
      if (attempt == 4) {
        throw new DeltaMerge.TargetMoved(snapshot.getVersion() + 1);
      }
    }
  }

  /**
   * Adds {@code columns} to the table at {@code root}, at its latest version (again at the next when another engine
   * wrote that version first); answers the version written, or -1 when {@code missingOnly} and it has them all.
   * With {@code missingOnly}, those it has already (by name, in any case) are left out.
   */
  static long addColumns(DeltaUnit unit, String root, List<TableShape.Column> columns, boolean missingOnly,
      List<String> key) throws java.io.IOException {
    DeltaTable table = unit.at(root);
    return atLatest(unit, root, key, (snapshot, transaction) -> {
      StructType adding = new StructType();
      for (TableShape.Column c : columns) {
        DataType type = DeltaTableMaking.type(c.type());
        if (type == null) {
          throw new ClientValues.Refused(c.name(), "type " + c.type() + " has no Delta type Strata writes");
        }
        var has = snapshot.getSchema().fields().stream().filter(f -> f.getName().equalsIgnoreCase(c.name()))
            .findFirst();
        if (has.isPresent() && has.get().getName().equals(c.name()) && has.get().getDataType().equals(type)) {
          continue; // there already (added before a crash, or by another engine): the same column
        }
        if (has.isPresent() && missingOnly) {
          throw new ClientValues.Refused(c.name(), "the table has a column " + has.get().getName() + " of type "
              + DeltaTableMaking.name(has.get().getDataType()) + " (not " + c.type() + "): not the column to add");
        }
        adding = adding.add(c.name(), type, true); // a name it has otherwise: refused by DeltaSchema.addColumns
      }
      return adding.fields().isEmpty() ? null : DeltaSchema.addColumns(table, snapshot.getVersion(), adding,
          transaction, System.currentTimeMillis());
    });
  }
}
