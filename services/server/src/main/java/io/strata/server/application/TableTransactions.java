package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableRow;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StorageBackends.OpenUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The units of work a command writes tables in: the append's own for tables in the server's database,
 * and, for tables in other storages, one per storage, begun at its first table ({@link #of}) and
 * committed before the append ({@link #commit}, under a recovery intent) or rolled back together.
 */
final class TableTransactions {
  private final StorageBackends backends;
  private final String repository;
  private final UnitOfWork local;
  private final Map<String, OpenUnit> open = new LinkedHashMap<>();

  /** @param local the append's unit of work */
  TableTransactions(StorageBackends backends, String repository, UnitOfWork local) {
    this.backends = backends;
    this.repository = repository;
    this.local = local;
  }

  /** The unit of work that writes {@code table}: begun, in another storage, at its first table. */
  Uni<UnitOfWork> of(TableRow table) {
    if (backends.sharesAppendTransaction(table.storage())) {
      return Uni.createFrom().item(local);
    }
    OpenUnit held = open.get(table.storage());
    if (held != null) {
      return Uni.createFrom().item(held.unit());
    }
    return backends.begin(repository, table.storage()).map(u -> {
      open.put(table.storage(), u);
      return u.unit();
    });
  }

  /**
   * {@code work} on {@code table}: in the unit this command holds for it (the append's, or one {@link #of}
   * began), else in a unit of its own, committed when {@code work} succeeds.
   */
  <T> Uni<T> in(TableRow table, Function<UnitOfWork, Uni<T>> work) {
    OpenUnit held = open.get(table.storage());
    return held != null ? work.apply(held.unit())
        : backends.inCommand(local, repository, table.storage(), work);
  }

  /** The storages this command holds a unit of work in. */
  Set<String> storages() {
    return Set.copyOf(open.keySet());
  }

  /** Commits the units held in other storages, one after the other. */
  Uni<Void> commit() {
    List<OpenUnit> held = new ArrayList<>(open.values());
    open.clear();
    return Multi.createFrom().iterable(held)
        .onItem().transformToUniAndConcatenate(OpenUnit::commit)
        .collect().last()
        .replaceWithVoid();
  }

  /** Rolls back what is still held (nothing once committed); never fails. */
  Uni<Void> rollback() {
    List<OpenUnit> held = new ArrayList<>(open.values());
    open.clear();
    return Multi.createFrom().iterable(held)
        .onItem().transformToUniAndConcatenate(OpenUnit::rollback)
        .collect().last()
        .replaceWithVoid();
  }
}
