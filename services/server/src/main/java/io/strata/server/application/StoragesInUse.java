package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.tables.TableQueries;
import io.strata.server.runtime.StorageBackends;
import java.util.ArrayList;
import java.util.List;

/**
 * A round of work over every storage holding tracked tables, one after the other: the server's own database once for
 * every repository (what Strata keeps there — filed DDL, owed holds — is every repository's, in one place), each
 * registered storage once per repository that registered it. One failing holds up none of the others.
 */
final class StoragesInUse {
  private StoragesInUse() {}

  /** The work of one storage. */
  interface Round {
    /**
     * Works in {@code storage}, reached as {@code poolOf}'s storage of that name, for {@code repository}'s tables
     * (null: the server's own database, every repository's); a failure is the round's alone.
     */
    Uni<?> run(String repository, String poolOf, String storage);
  }

  static Uni<Void> each(TableQueries tables, StorageBackends backends, Round round) {
    return tables.storagesInUse().chain(inUse -> {
      List<Uni<?>> rounds = new ArrayList<>();
      inUse.forEach((repository, storages) -> storages.stream().filter(backends::isServerOwn).findFirst()
          .filter(own -> rounds.isEmpty())
          .ifPresent(own -> rounds.add(round.run(null, repository, own))));
      inUse.forEach((repository, storages) -> storages.stream().filter(s -> !backends.isServerOwn(s))
          .forEach(storage -> rounds.add(round.run(repository, repository, storage))));
      return Multi.createFrom().iterable(rounds).onItem().transformToUniAndConcatenate(u -> u).collect().last();
    }).replaceWithVoid();
  }
}
