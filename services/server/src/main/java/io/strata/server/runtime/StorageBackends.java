package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.server.domain.Storages;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.function.Function;

/**
 * The registry of the storages a repository's tables live in, and the one place that knows where a
 * storage's data work runs. {@code local} is the server's own database: a command's data work on its
 * tables joins the command's append transaction, so it commits with the event or not at all. Any
 * other storage is a database of its own: its data work runs in a transaction of its own, under the
 * cross-storage protocol ({@code application.CrossStorageCommits}: an intent, recovery sidecars, the
 * sweep). Every storage is PostgreSQL today, so every storage's row-data roles are the PostgreSQL ones
 * ({@link Infrastructure}).
 */
@ApplicationScoped
public class StorageBackends {
  private final StoragePools pools;

  @Inject
  public StorageBackends(StoragePools pools) {
    this.pools = pools;
  }

  /** The name of the server's own database as a storage of every repository. */
  public String serverOwn() {
    return Storages.LOCAL;
  }

  /** Whether {@code storage} is the server's own database ({@code local}). */
  public boolean isServerOwn(String storage) {
    return Storages.LOCAL.equals(storage);
  }

  /**
   * Whether a command's data work on {@code storage} joins the command's append transaction: it does in
   * the server's own database; elsewhere it runs in the storage's own, under the cross-storage protocol.
   */
  public boolean sharesAppendTransaction(String storage) {
    return isServerOwn(storage);
  }

  /** A connection to the storage's database, for a transaction the caller begins and ends. */
  public Uni<SqlConnection> connection(String repository, String storage) {
    return pools.pool(repository, storage).chain(pool -> pool.getConnection());
  }

  /** {@code work} in the storage's own transaction, committed when it succeeds. */
  public <T> Uni<T> inOwnTransaction(String repository, String storage, Function<SqlConnection, Uni<T>> work) {
    return pools.pool(repository, storage).chain(pool -> pool.withTransaction(work));
  }

  /**
   * {@code work} where a command's data work on {@code storage} runs: in {@code append}, the command's
   * append transaction, for the server's own database; else in the storage's own transaction.
   */
  public <T> Uni<T> inCommand(SqlConnection append, String repository, String storage,
      Function<SqlConnection, Uni<T>> work) {
    return sharesAppendTransaction(storage) ? work.apply(append) : inOwnTransaction(repository, storage, work);
  }
}
