package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.events.StorageAdded;
import io.strata.projections.delta.DeltaStorage;
import io.strata.projections.delta.DeltaUnit;
import io.strata.projections.overlay.PgUnit;
import io.strata.projections.rowdata.RowDataRoles;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.server.domain.Storages;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.function.Function;

/**
 * The registry of the storages a repository's tables live in, and the one way to open a unit of work
 * on one: each unit carries its storage kind's row-data roles ({@link UnitOfWork#roles}), so callers
 * never name a backend. {@code local} is the server's own database: a command's data work on its
 * tables joins the command's append transaction ({@link EventAppends}), so it commits with the event
 * or not at all. Any other storage is a database of its own: its data work runs in a unit of its own,
 * under the cross-storage protocol ({@code application.CrossStorageCommits}: an intent, recovery
 * sidecars, the sweep). A PostgreSQL storage's units are connections to its database in a transaction; a Delta
 * Lake storage's ({@code type: delta}) are its place and a connection, in a transaction, to the server's own
 * database, where Strata keeps what it knows of Delta tables: its own, so the same protocol keeps them consistent.
 */
@ApplicationScoped
public class StorageBackends {
  private final StoragePools pools;
  private final DeltaStores deltas;
  private final DeltaJournal journal;

  @Inject
  public StorageBackends(StoragePools pools, DeltaStores deltas, DeltaJournal journal) {
    this.pools = pools;
    this.deltas = deltas;
    this.journal = journal;
  }

  /**
   * Where a storage's units connect: the pool of their connections (a Delta storage's: the server's own database),
   * and for a Delta storage its place, its worker pool and the pool its units journal on ({@link DeltaJournal}); null
   * for PostgreSQL.
   */
  public record Reach(io.vertx.mutiny.sqlclient.Pool pool, DeltaStorage place, java.util.concurrent.Executor io,
      io.vertx.mutiny.sqlclient.Pool journal) {
    /** The storage's unit of work on connection {@code c} of {@link #pool}. */
    public UnitOfWork unit(SqlConnection c) {
      return place == null ? new PgUnit(c) : new DeltaUnit(c, place, io, journal);
    }
  }

  /** How units of work on {@code storage} are made, for readers that manage their own connections. */
  public Uni<Reach> reach(String repository, String storage) {
    if (isServerOwn(storage)) {
      return pools.pool(repository, (StorageAdded) null).map(p -> new Reach(p, null, null, null));
    }
    return pools.registration(repository, storage).chain(s -> s.holdsDeltaTables()
        ? deltas.place(repository, s).chain(place -> pools.pool(repository, (StorageAdded) null)
            .map(metadata -> new Reach(metadata, place, deltas.io(), journal.pool())))
        : pools.pool(repository, s).map(p -> new Reach(p, null, null, null)));
  }

  /** Whether {@code storage} holds Delta Lake tables (else PostgreSQL ones); fails 404 for one not registered. */
  public Uni<Boolean> holdsDeltaTables(String repository, String storage) {
    return isServerOwn(storage) ? Uni.createFrom().item(false)
        : pools.registration(repository, storage).map(StorageAdded::holdsDeltaTables);
  }

  /** A unit of work begun on a storage, for the caller to commit or roll back. */
  public interface OpenUnit {
    UnitOfWork unit();

    /** Commits the unit's work and gives its resources back. */
    Uni<Void> commit();

    /** Rolls the unit's work back and gives its resources back; never fails. */
    Uni<Void> rollback();
  }

  private record SqlOpenUnit(UnitOfWork unit, SqlConnection connection, Transaction transaction) implements OpenUnit {
    @Override
    public Uni<Void> commit() {
      return transaction.commit().onTermination().call(() -> connection.close().onFailure().recoverWithNull())
          .invoke(() -> committed(unit));
    }

    @Override
    public Uni<Void> rollback() {
      return compensated(unit).chain(() -> transaction.rollback().onFailure().recoverWithNull())
          .chain(() -> connection.close().onFailure().recoverWithNull())
          .chain(() -> unit instanceof DeltaUnit delta ? delta.forgetIntents() : Uni.createFrom().voidItem());
    }
  }

  /**
   * Before a unit's transaction is rolled back: what a Delta unit wrote to its tables is taken back (a Delta version
   * cannot be withdrawn with the transaction; its rows can), so the tables agree with the refs the rollback keeps.
   */
  private static Uni<Void> compensated(UnitOfWork unit) {
    return unit instanceof DeltaUnit delta ? delta.compensate() : Uni.createFrom().voidItem();
  }

  /** After a unit's transaction committed: a Delta unit's checkpoints due are written in the background. */
  private static void committed(UnitOfWork unit) {
    if (unit instanceof DeltaUnit delta) {
      delta.committed();
    }
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

  /**
   * Whether the storage, whatever its name, reaches the server's own database (its tables are then held
   * to the rules of {@code local}).
   */
  public Uni<Boolean> reachesServerDatabase(String repository, String storage) {
    return isServerOwn(storage) ? Uni.createFrom().item(true)
        : holdsDeltaTables(repository, storage).chain(delta -> delta ? Uni.createFrom().item(false)
            : pools.pool(repository, storage).chain(pools::isServerDatabase));
  }

  /** A unit of work begun on the storage, which the caller commits or rolls back. */
  public Uni<OpenUnit> begin(String repository, String storage) {
    return reach(repository, storage).chain(r -> r.pool().getConnection()
        .chain(c -> c.begin().<OpenUnit>map(tx -> new SqlOpenUnit(r.unit(c), c, tx)).onFailure().call(c::close)));
  }

  /**
   * A read-only unit of work begun on the storage, in one snapshot (repeatable read): for a read that
   * streams (a cursor lives only inside a transaction). The caller ends it with {@link OpenUnit#rollback}.
   */
  public Uni<OpenUnit> beginRead(String repository, String storage) {
    return begin(repository, storage).call(open -> ((SqlOpenUnit) open).connection()
        .query("set transaction isolation level repeatable read, read only").execute()
        .onFailure().call(open::rollback));
  }

  /** {@code work} in a unit of work of its own on the storage, committed when it succeeds. */
  public <T> Uni<T> inOwnTransaction(String repository, String storage, Function<UnitOfWork, Uni<T>> work) {
    return reach(repository, storage).chain(r -> {
      UnitOfWork[] made = new UnitOfWork[1];
      return r.pool().withTransaction(c -> {
        UnitOfWork unit = r.unit(c);
        made[0] = unit;
        return Uni.createFrom().deferred(() -> work.apply(unit)).onFailure().call(() -> compensated(unit));
      }).invoke(() -> committed(made[0])).onFailure().call(() -> made[0] instanceof DeltaUnit delta ? delta.forgetIntents()
          : Uni.createFrom().voidItem()); // after the rollback, which released their rows
    });
  }

  /**
   * {@code work} in a unit of work of its own on the storage, rolled back at its end whatever happened:
   * also when {@code work} throws instead of answering a failed Uni (a refusal decided before any query),
   * which would otherwise leave the connection idle in its transaction, out of the pool for good.
   */
  public <T> Uni<T> inRolledBackTransaction(String repository, String storage, Function<UnitOfWork, Uni<T>> work) {
    return begin(repository, storage).chain(open -> Uni.createFrom().deferred(() -> work.apply(open.unit()))
        .onTermination().call(open::rollback));
  }

  /**
   * {@code work} on the storage outside any transaction (each statement its own): for reads that need
   * no snapshot and for housekeeping that must not hold locks.
   */
  public <T> Uni<T> withoutTransaction(String repository, String storage, Function<UnitOfWork, Uni<T>> work) {
    return reach(repository, storage).chain(r -> r.pool().withConnection(c -> work.apply(r.unit(c))));
  }

  /**
   * {@code work} where a command's data work on {@code storage} runs: in {@code append}, the command's
   * append transaction, for the server's own database; else in the storage's own transaction.
   */
  public <T> Uni<T> inCommand(UnitOfWork append, String repository, String storage,
      Function<UnitOfWork, Uni<T>> work) {
    return sharesAppendTransaction(storage) ? work.apply(append) : inOwnTransaction(repository, storage, work);
  }

  /**
   * Whether a branch's objects on {@code storage} are made and removed in the append transaction of the command that
   * creates or deletes the branch ({@link #forBranchObjects}): in the server's own database, and in a Delta storage,
   * whose refs Strata keeps in that database.
   */
  public Uni<Boolean> branchObjectsInAppend(String repository, String storage) {
    return isServerOwn(storage) ? Uni.createFrom().item(true) : holdsDeltaTables(repository, storage);
  }

  /**
   * {@code work} on a branch's objects on {@code storage}, for the command creating or deleting the branch: in
   * {@code append}, its append transaction, for the server's own database; for a Delta storage in a unit whose
   * metadata connection is {@code append}'s, so that the branch's refs are written or forgotten exactly when its
   * creation or deletion is recorded (its clone's files are written first: a creation refused after them leaves a
   * root nothing names, never a ref of a branch that is not, or a deletion's that forgets a branch made anew under
   * the same name); else in the storage's own transaction.
   */
  public <T> Uni<T> forBranchObjects(UnitOfWork append, String repository, String storage,
      Function<UnitOfWork, Uni<T>> work) {
    if (isServerOwn(storage)) {
      return work.apply(append);
    }
    return reach(repository, storage).chain(r -> {
      if (r.place() == null) {
        return inOwnTransaction(repository, storage, work);
      }
      UnitOfWork unit = r.unit(((PgUnit) append).connection());
      // the checkpoint a large clone is due is scheduled once its work is done: a clone nothing names is harmless
      return Uni.createFrom().deferred(() -> work.apply(unit)).onFailure().call(() -> compensated(unit))
          .invoke(() -> committed(unit));
    });
  }

  /**
   * The row-data roles of the storages SQL reaches (PostgreSQL's): for the query endpoint, which runs
   * a client's SQL in the storage's database.
   */
  public RowDataRoles sqlRoles() {
    return PgUnit.ROLES;
  }

  /** A unit on a connection opened by the runtime's readers (a read transaction in a snapshot). */
  public static UnitOfWork unitOf(SqlConnection connection) {
    return new PgUnit(connection);
  }
}
