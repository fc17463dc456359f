package io.strata.projections.delta;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.delta.DeltaRefs.State;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.UnitOfWork;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.types.StructField;
import java.math.BigInteger;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Tracking a Delta table (docs/delta.md): the table at a path of its storage is its default branch, versioned by a
 * key the client declares (Delta has no primary key). Tracking records the table's latest version as the default
 * branch's last commit and gives each live branch a shallow clone. Other engines keep writing the table: what they
 * write is the default branch's working change. Delta watches no DDL: a schema change is found afterwards.
 */
final class DeltaTracking {

  public Uni<Tracking.Shape> inspect(UnitOfWork x, String schema, String path, List<String> requestedKey) {
    DeltaUnit unit = DeltaUnit.of(x);
    return unit.blocking(() -> {
      if (!DeltaStorage.isTablePath(path)) {
        throw new Tracking.Untrackable("'" + path + "' is not a table path: segments of letters, digits and"
            + " . _ = + -, not starting with _", false);
      }
      io.delta.kernel.Snapshot snapshot;
      try {
        snapshot = unit.storage().table(path).latest();
      } catch (TableNotFoundException e) {
        throw new Tracking.Untrackable("there is no Delta table at " + unit.storage().url() + "/" + path, true);
      }
      List<TableColumn> columns = columns(snapshot);
      if (requestedKey == null || requestedKey.isEmpty()) {
        throw new Tracking.Untrackable("a Delta table has no primary key: give the columns its rows are versioned by"
            + " (primary_key)", false);
      }
      for (String k : requestedKey) {
        if (columns.stream().noneMatch(c -> c.name().equals(k))) {
          throw new Tracking.Untrackable("the table has no column " + k, false);
        }
      }
      WriterFeatures.check(snapshot);
      DeltaTable table = unit.storage().table(path);
      // Delta declares no key: the rows are read once to check that the one given identifies them
      Map<List<Object>, Map<String, Object>> rows;
      try {
        rows = table.rows(snapshot, requestedKey);
      } catch (IllegalStateException duplicate) {
        throw new Tracking.Untrackable("the key " + requestedKey + " does not identify the table's rows: "
            + duplicate.getMessage(), false);
      }
      if (rows.keySet().stream().anyMatch(k -> k.stream().anyMatch(java.util.Objects::isNull))) {
        throw new Tracking.Untrackable("a row of the table has no value in a column of the key " + requestedKey, false);
      }
      return new Tracking.Shape(columns, List.copyOf(requestedKey));
    });
  }

  public Uni<Tracking.Measured> track(UnitOfWork x, TrackedTable table, List<String> branches,
      BiFunction<String, String, Uni<Boolean>> isStale) {
    DeltaUnit unit = DeltaUnit.of(x);
    String root = unit.table(table).root().toString();
    return DeltaRefs.trackedAt(unit.metadata(), root)
        .call(found -> found == null ? Uni.createFrom().voidItem()
            : isStale.apply(found[0], found[1]).chain(stale -> {
              if (!stale) {
                throw new Tracking.AlreadyTracked(found[0]);
              }
              return untrack(x, new TrackedTable(found[0], found[1], table.schema(), table.table(), table.key(),
                  table.columns()));
            }))
        .chain(() -> unit.blocking(() -> {
          DeltaTable t = unit.table(table);
          io.delta.kernel.Snapshot snapshot = t.latest();
          Map<List<Object>, Map<String, Object>> rows = t.rows(snapshot, table.key());
          BigInteger sum = BigInteger.ZERO;
          for (Map<String, Object> row : rows.values()) {
            sum = sum.add(DeltaStates.rowHash(row));
          }
          return new Object[] {snapshot.getVersion(), rows.size(), sum, snapshot.getMetadata().getId()};
        }))
        .chain(measured -> {
          State at = new State(root, (Long) measured[0]);
          Uni<Void> refs = DeltaRefs.put(unit.metadata(), table.repository(), table.name(), DeltaRefs.DEFAULT,
              new Ref(root, at, null)).chain(() -> DeltaRefs.keyIs(unit.metadata(), table.repository(), table.name(),
                  table.key()))
              // which table it is: one made anew at the path later is refused, not read as this one
              .chain(() -> DeltaRefs.identityIs(unit.metadata(), table.repository(), table.name(),
                  (String) measured[3]));
          for (String branch : branches) {
            refs = refs.chain(() -> DeltaBranchObjects.clone(unit, table, branch, at));
          }
          return refs.replaceWith(new Tracking.Measured(((Integer) measured[1]).longValue(), measured[2].toString()));
        });
  }

  /**
   * Records the identity ({@code metaData.id}) of the repository's tables in {@code unit}'s storage tracked before
   * identities were recorded, as they are now: from then on, a table made anew at its path is refused (DeltaUnit). Runs
   * with the periodic sweep, outside any transaction; one table's failure is left for the next.
   */
  static Uni<Void> recordMissingIdentities(DeltaUnit unit, String repository) {
    return unit.metadata().preparedQuery("select table_name, root from strata_meta.delta_refs where repository = $1"
            + " and branch = '' and table_id is null").execute(io.vertx.mutiny.sqlclient.Tuple.of(repository))
        .onItem().transformToMulti(rows -> io.smallrye.mutiny.Multi.createFrom().iterable(rows))
        .filter(r -> unit.storage().holds(r.getString(1)))
        .onItem().transformToUniAndConcatenate(r -> unit.blocking(() ->
                unit.storage().tableAt(r.getString(1)).latest().getMetadata().getId())
            // only where none was recorded meanwhile, on the ref read (not one tracked again since)
            .chain(id -> DeltaRefs.identityFound(unit.metadata(), repository, r.getString(0), r.getString(1), id))
            .onFailure().recoverWithNull())
        .collect().last().replaceWithVoid();
  }

  public Uni<Void> untrack(UnitOfWork x, TrackedTable table) {
    DeltaUnit unit = DeltaUnit.of(x);
    // every branch table ever made for it goes (those of deleted branches too): under the table's _strata/
    return unit.blocking(() -> {
          unit.storage().deleteTree(unit.table(table).root() + "_strata");
          return null;
        })
        .chain(() -> DeltaRefs.forget(unit.metadata(), table.repository(), table.name()));
  }

  public Uni<List<TableColumn>> columns(UnitOfWork x, TrackedTable table) {
    DeltaUnit unit = DeltaUnit.of(x);
    return unit.blocking(() -> {
      try {
        return columns(unit.table(table).latest());
      } catch (TableNotFoundException e) {
        return List.of();
      }
    });
  }

  public Uni<List<TableColumn>> versionedColumns(UnitOfWork x, String repository, String name, String schema,
      String path) {
    DeltaUnit unit = DeltaUnit.of(x);
    return DeltaRefs.exists(unit.metadata(), repository, name, DeltaRefs.DEFAULT).chain(tracked -> !tracked
        ? Uni.createFrom().item(List.<TableColumn>of())
        : unit.blocking(() -> columns(unit.at(unit.storage().table(path).root().toString()).latest())));
  }

  /**
   * The table's shape: its columns, and the key it is tracked by (none when it is not tracked); a Delta table has no
   * constraints or indexes Strata knows. Empty when the table is gone.
   */
  public Uni<java.util.Optional<io.strata.events.TableShape>> shape(UnitOfWork x, String schema, String path) {
    DeltaUnit unit = DeltaUnit.of(x);
    String root = unit.storage().table(path).root().toString();
    return DeltaRefs.trackedAt(unit.metadata(), root).chain(tracked -> (tracked == null
            ? Uni.createFrom().item(List.<String>of()) : DeltaRefs.key(unit.metadata(), tracked[0], tracked[1]))
        .chain(key -> unit.blocking(() -> {
          try {
            List<TableColumn> columns = columns(unit.at(root).latest()); // the table tracked there, or refused
            return java.util.Optional.of(new io.strata.events.TableShape(columns.stream()
                .map(c -> new io.strata.events.TableShape.Column(c.name(), c.type(), c.nullable(), null, null, null,
                    null)).toList(), key, List.of(), List.of()));
          } catch (TableNotFoundException e) {
            return java.util.Optional.<io.strata.events.TableShape>empty();
          }
        })));
  }

  public Uni<Boolean> keyHolds(UnitOfWork x, TrackedTable table) {
    return columns(x, table).map(columns -> !columns.isEmpty()
        && table.key().stream().allMatch(k -> columns.stream().anyMatch(c -> c.name().equals(k))));
  }

  /**
   * Gives the default branch's table (the tracked one) {@code columns}, nullable, in one version of its own: rows
   * written before read null in them, no data file is written. Filed as DDL ({@link #followedDdl}) in the unit's
   * transaction, so the schema follower records the table's shape after it. Other engines are not held off: a version
   * one of them made first is gone past (the columns added at the next).
   */
  public Uni<Void> addColumns(UnitOfWork x, TrackedTable table, List<io.strata.events.TableShape.Column> columns,
      java.time.Duration lockTimeout) {
    DeltaUnit unit = DeltaUnit.of(x);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), DeltaRefs.DEFAULT)
        .chain(() -> unit.blocking(() -> DeltaColumnWrites.addColumns(unit, unit.table(table).root().toString(),
            columns, true, table.key())))
        .chain(written -> fileDdl(unit, table, written, "ADD COLUMNS", columns));
  }

  /**
   * Gives the default branch's table the types {@code columns} names that differ from its own (a branch's, merged into
   * it): widened under Delta's type widening, no file rewritten ({@link DeltaSchema#widen}: the table's protocol gains
   * the feature, which readers older than Delta 4.0 do not read). Filed as DDL, as {@link #addColumns} is.
   */
  public Uni<Void> redefineColumns(UnitOfWork x, TrackedTable table, List<io.strata.events.TableShape.Column> columns,
      java.time.Duration lockTimeout) {
    DeltaUnit unit = DeltaUnit.of(x);
    return DeltaRefs.lock(unit.metadata(), table.repository(), table.name(), DeltaRefs.DEFAULT)
        .chain(() -> unit.blocking(() -> {
          String root = unit.table(table).root().toString();
          return DeltaColumnWrites.widen(unit, root, root, columns, table.key());
        }))
        .chain(written -> fileDdl(unit, table, written, "CHANGE COLUMNS", columns));
  }

  /** Files Strata's schema change of the tracked table, written as {@code version} (none: -1), for the follower. */
  static Uni<Void> fileDdl(DeltaUnit unit, TrackedTable table, long version, String what,
      List<io.strata.events.TableShape.Column> columns) {
    // filed even when the table had them already (a version written before a crash, its filing lost with the unit):
    // the follower records the table's shape, or nothing when it is the recorded one
    return unit.metadata().preparedQuery("insert into strata_meta.delta_followed_ddl (repository, table_name,"
                + " schema_name, path, command, object, actor) values ($1, $2, $3, $4, 'ALTER TABLE', $5, 'strata')")
            .execute(Tuple.of(table.repository(), table.name(), table.schema(), table.table(),
                what + " " + String.join(", ", columns.stream().map(c -> c.name() + " " + c.type()).toList())
                    + (version < 0 ? " (there already)" : " (version " + version + ")")))
            .replaceWithVoid();
  }

  /** The schema changes Strata made to {@code repository}'s tracked tables (every repository's when null). */
  public Uni<List<Tracking.FollowedDdl>> followedDdl(UnitOfWork x, String repository) {
    DeltaUnit unit = DeltaUnit.of(x);
    return unit.metadata().preparedQuery("select id, repository, table_name, schema_name, path, command, object,"
            + " actor, at from strata_meta.delta_followed_ddl where $1::text is null or repository = $1 order by id")
        .execute(Tuple.of(repository))
        .map(rows -> {
          List<Tracking.FollowedDdl> followed = new ArrayList<>();
          rows.forEach(r -> followed.add(new Tracking.FollowedDdl(r.getLong(0), r.getString(1), r.getString(2),
              r.getString(3), r.getString(4), r.getString(5), r.getString(6), r.getString(7),
              r.getOffsetDateTime(8).toInstant())));
          return followed;
        });
  }

  public Uni<Void> forgetFollowedDdl(UnitOfWork x, List<Long> ids) {
    DeltaUnit unit = DeltaUnit.of(x);
    return ids.isEmpty() ? Uni.createFrom().voidItem()
        : unit.metadata().preparedQuery("delete from strata_meta.delta_followed_ddl where id = any($1)")
            .execute(Tuple.of(ids.toArray(Long[]::new))).replaceWithVoid();
  }

  public Uni<Boolean> guardsDdl(UnitOfWork x) {
    return Uni.createFrom().item(false);
  }

  /** A snapshot's columns: Delta's type names, nullability as declared. */
  static List<TableColumn> columns(io.delta.kernel.Snapshot snapshot) {
    List<TableColumn> columns = new ArrayList<>();
    for (StructField f : snapshot.getSchema().fields()) {
      columns.add(new TableColumn(f.getName(), DeltaTableMaking.name(f.getDataType()), f.isNullable()));
    }
    return columns;
  }

  /** The state a path leads to from the default branch's working state (a branch's start). */
  static Uni<State> defaultState(DeltaUnit unit, TrackedTable table, StatePath path) {
    return DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), DeltaRefs.DEFAULT)
        .chain(ref -> DeltaRefs.spans(unit.metadata(), table.repository(), table.name(), path.undo())
            .chain(undo -> DeltaRefs.spans(unit.metadata(), table.repository(), table.name(), path.redo())
                .chain(redo -> unit.blocking(() -> DeltaStates.resolve(unit, ref, path, undo, redo)))));
  }
}
