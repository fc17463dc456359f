package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.tables.TableRow;
import io.strata.server.runtime.StorageBackends;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The transactions a command writes tables in: the append's own for tables in the server's database,
 * and, for tables in other storages, one per storage, begun at its first table ({@link #of}) and
 * committed before the append ({@link #commit}, under a recovery intent) or rolled back together.
 */
final class TableTransactions {
  private record Open(SqlConnection connection, Transaction transaction) {}

  private final StorageBackends backends;
  private final String repository;
  private final SqlConnection local;
  private final Map<String, Open> open = new LinkedHashMap<>();

  /** @param local the append's transaction */
  TableTransactions(StorageBackends backends, String repository, SqlConnection local) {
    this.backends = backends;
    this.repository = repository;
    this.local = local;
  }

  /** The connection whose transaction writes {@code table}: begun, in another storage, at its first table. */
  Uni<SqlConnection> of(TableRow table) {
    if (backends.sharesAppendTransaction(table.storage())) {
      return Uni.createFrom().item(local);
    }
    Open held = open.get(table.storage());
    if (held != null) {
      return Uni.createFrom().item(held.connection());
    }
    return backends.connection(repository, table.storage())
        .chain(c -> c.begin()
            .map(tx -> {
              open.put(table.storage(), new Open(c, tx));
              return c;
            })
            .onFailure().call(c::close));
  }

  /**
   * {@code work} on {@code table}: in the transaction this command holds for it (the append's, or one
   * {@link #of} began), else in a transaction of its own, committed when {@code work} succeeds.
   */
  <T> Uni<T> in(TableRow table, Function<SqlConnection, Uni<T>> work) {
    Open held = open.get(table.storage());
    return held != null ? work.apply(held.connection())
        : backends.inCommand(local, repository, table.storage(), work);
  }

  /** The storages this command holds a transaction in. */
  Set<String> storages() {
    return Set.copyOf(open.keySet());
  }

  /** Commits the transactions held in other storages, one after the other. */
  Uni<Void> commit() {
    List<Open> held = new ArrayList<>(open.values());
    open.clear();
    return Multi.createFrom().iterable(held)
        .onItem().transformToUniAndConcatenate(o -> o.transaction().commit()
            .onTermination().call(() -> o.connection().close().onFailure().recoverWithNull()))
        .collect().last()
        .replaceWithVoid();
  }

  /** Rolls back what is still held (nothing once committed); never fails. */
  Uni<Void> rollback() {
    List<Open> held = new ArrayList<>(open.values());
    open.clear();
    return Multi.createFrom().iterable(held)
        .onItem().transformToUniAndConcatenate(o -> o.transaction().rollback().onFailure().recoverWithNull()
            .onTermination().call(() -> o.connection().close().onFailure().recoverWithNull()))
        .collect().last()
        .replaceWithVoid();
  }
}
