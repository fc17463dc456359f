package io.strata.projections.storage;

import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.StorageAdded;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads of the storages projection. */
public final class StorageQueries {
  public static final String COLUMNS =
      "name, type, host, port, database, username, password_env, password_file, created_at, delta::text";
  static final String ONE = "select " + COLUMNS + " from strata_meta.storages where repository = $1 and name = $2";
  static final String ALL = "select " + COLUMNS + " from strata_meta.storages where repository = $1 order by name";

  private final Pool pool;

  public StorageQueries(Pool pool) {
    this.pool = pool;
  }

  public Uni<Optional<StorageRow>> storage(String repository, String name) {
    return pool.preparedQuery(ONE).execute(Tuple.of(repository, name))
        .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(toRow(rows.iterator().next())));
  }

  public Uni<List<StorageRow>> storages(String repository) {
    return pool.preparedQuery(ALL).execute(Tuple.of(repository)).map(rows -> {
      List<StorageRow> list = new ArrayList<>();
      rows.forEach(r -> list.add(toRow(r)));
      return list;
    });
  }

  public static StorageRow toRow(Row r) {
    String delta = r.getString("delta");
    return new StorageRow(new StorageAdded(r.getString("name"), r.getString("type"), r.getString("host"),
        r.getInteger("port"), r.getString("database"), r.getString("username"), r.getString("password_env"),
        r.getString("password_file"), delta == null ? null : readDelta(delta)),
        r.getOffsetDateTime("created_at").toInstant());
  }

  /** A Delta storage's place as the projection keeps it (JSON); null for a PostgreSQL storage. */
  static String deltaJson(StorageAdded storage) {
    try {
      return storage.delta() == null ? null : EventCodec.mapper().writeValueAsString(storage.delta());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static StorageAdded.DeltaStore readDelta(String json) {
    try {
      return EventCodec.mapper().readValue(json, StorageAdded.DeltaStore.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a Delta storage's place as projected cannot be read", e);
    }
  }
}
