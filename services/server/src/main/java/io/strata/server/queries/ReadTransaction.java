package io.strata.server.queries;

import io.strata.server.runtime.StorageBackends;
import io.strata.projections.rowdata.UnitOfWork;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;

/**
 * A connection of its own in a read-only repeatable-read transaction, held for a read that streams
 * (a cursor lives only inside a transaction) and given back by {@link #close}.
 */
public record ReadTransaction(SqlConnection connection, Transaction transaction) {

  /** Opens one; in the exported snapshot {@code snapshot} of the same database if given, else in one taken now. */
  public static Uni<ReadTransaction> open(Pool pool, String snapshot) {
    if (snapshot != null && !snapshot.matches("[0-9A-F-]+")) {
      throw new IllegalStateException("unexpected snapshot id " + snapshot);
    }
    return pool.getConnection().chain(conn -> begin(conn, snapshot).onFailure().call(conn::close));
  }

  /** Begins one on {@code conn} (the caller's to close); in {@code snapshot} as {@link #open}. */
  public static Uni<ReadTransaction> begin(SqlConnection conn, String snapshot) {
    if (snapshot != null && !snapshot.matches("[0-9A-F-]+")) {
      throw new IllegalStateException("unexpected snapshot id " + snapshot);
    }
    return conn.begin()
        .chain(tx -> conn.query("set transaction isolation level repeatable read, read only").execute()
            .chain(() -> conn.query(snapshot == null ? "select 1" : "set transaction snapshot '" + snapshot + "'")
                .execute())
            .map(done -> new ReadTransaction(conn, tx)));
  }

  /** The transaction as a unit of work, for the row-data roles to read in. */
  public UnitOfWork unit() {
    return StorageBackends.unitOf(connection);
  }

  /** Ends the transaction (nothing was written) and gives the connection back, whatever happened. */
  public Uni<Void> close() {
    return transaction.rollback().onFailure().recoverWithNull().chain(connection::close);
  }
}
