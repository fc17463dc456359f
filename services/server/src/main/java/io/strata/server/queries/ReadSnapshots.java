package io.strata.server.queries;

import io.smallrye.mutiny.Uni;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.function.Function;

/**
 * The snapshots reads at a commit run in, so that the commit graph's path to the commit matches the rows read: in
 * the metadata database a repeatable-read snapshot in which the commit graph has caught up with the log; for tables
 * in another database, a read done again when a commit of its branch started meanwhile; and a stream's own
 * transaction, opened at a commit either way. Used by {@link RowReads} and {@link SqlQueries}.
 */
@ApplicationScoped
class ReadSnapshots {
  private static final String LAG =
      "select s.version, coalesce((select version from strata_meta.projector_checkpoints"
          + "  where projector = 'commit-graph' and stream_id = s.stream_id), 0)"
          + " from strata_meta.streams s where s.stream_id = $1";
  /** Branch $2's head. */
  static final String HEAD =
      "select head from strata_meta.branches where repository = $1 and name = $2";
  private final Pool metadata;
  private final ProjectionRuntime projections;
  private final StrataConfig config;

  @Inject
  ReadSnapshots(Pool metadata, ProjectionRuntime projections, StrataConfig config) {
    this.metadata = metadata;
    this.projections = projections;
    this.config = config;
  }

  /**
   * A stream at a commit of a table in the metadata database: the path is read in the stream's own
   * transaction, so in its snapshot, once the commit graph there has caught up with the log (else the
   * transaction is given back until it has). One connection per stream, whatever their number.
   */
  Uni<Reading> openLocal(String repository, String base, TableRow table, Pool pool, String commit,
      int attempts) {
    return Reading.open(pool, null, null).chain(open -> open.tx().connection().preparedQuery(LAG)
        .execute(Tuple.of(repository))
        .onFailure().call(open::close)
        .chain(rows -> {
          var r = rows.iterator().next();
          if (r.getLong(1) < r.getLong(0) && attempts > 1) {
            long version = r.getLong(0);
            return open.close()
                .chain(() -> projections.awaitVersion(repository, version, config.consistency().waitTimeout()))
                .chain(() -> openLocal(repository, base, table, pool, commit, attempts - 1));
          }
          return pathsTo(open.tx().connection(), repository, base, commit)
              .map(paths -> new Reading(open.tx(), committed(paths, table)))
              .onFailure().call(open::close);
        }));
  }

  /**
   * A stream at a commit of a table in another database: its snapshot there is taken between two
   * looks at the branch; when neither sees a commit of it under way and its head did not move, the
   * path read at the second matches that snapshot.
   */
  Uni<Reading> openInOtherStorage(String repository, String base, TableRow table, Pool pool, String commit,
      int attempts) {
    return metadata.preparedQuery(UNSETTLED).execute(Tuple.of(repository, base)).chain(before -> {
      var b = before.iterator().next();
      return Reading.open(pool, null, null).chain(open -> inSnapshot(repository, tx -> tx.preparedQuery(UNSETTLED)
              .execute(Tuple.of(repository, base))
              .chain(after -> {
                var a = after.iterator().next();
                boolean settled = !b.getBoolean(1) && !a.getBoolean(1) && b.getString(0).equals(a.getString(0));
                return settled ? pathsTo(tx, repository, base, commit).map(paths -> committed(paths, table))
                    : Uni.createFrom().<StatePath>nullItem();
              }))
          .onFailure().call(open::close)
          .chain(path -> {
            if (path != null) {
              return Uni.createFrom().item(new Reading(open.tx(), path));
            }
            return open.close().chain(() -> attempts > 1 ? openInOtherStorage(repository, base, table, pool, commit,
                attempts - 1) : Uni.createFrom().failure(new StrataException(ErrorCode.StorageUnavailable, "branch '"
                + base + "' kept committing as the read began; retry")));
          }));
    });
  }

  /** A transaction to stream in, and the path to read there. */
  record Reading(ReadTransaction tx, StatePath path, StorageBackends.Reach reach) {
    Reading(ReadTransaction tx, StatePath path) {
      this(tx, path, null);
    }

    static Uni<Reading> open(Pool pool, String snapshot, StatePath path) {
      return ReadTransaction.open(pool, snapshot).map(tx -> new Reading(tx, path));
    }

    /** The same reading, its units made as {@code reach} makes them (a Delta storage's, or PostgreSQL's). */
    Reading through(StorageBackends.Reach reach) {
      return new Reading(tx, path, reach);
    }

    UnitOfWork unit() {
      return reach.unit(tx.connection());
    }

    Uni<Void> close() {
      return tx.close();
    }
  }

  /**
   * A read at a commit of tables in another database, which no metadata snapshot covers: {@code plan}
   * resolves what to read in a metadata snapshot, {@code read} reads it; a commit of branch {@code
   * base} that started meanwhile (its head moved, or its intent is there) may have changed the working
   * log under the read, which is then done again.
   */
  public <P, T> Uni<T> inOtherStorage(String repository, String base,
      Function<SqlConnection, Uni<P>> plan, Function<P, Uni<T>> read) {
    return inOtherStorage(repository, base, plan, read, 3);
  }

  private <P, T> Uni<T> inOtherStorage(String repository, String base,
      Function<SqlConnection, Uni<P>> plan, Function<P, Uni<T>> read,
      int attempts) {
    String[] head = new String[1];
    return inSnapshot(repository, tx -> tx.preparedQuery(UNSETTLED).execute(Tuple.of(repository, base))
            .chain(rows -> {
              head[0] = rows.iterator().next().getString(0);
              return plan.apply(tx);
            }))
        .chain(planned -> read.apply(planned))
        .chain(result -> metadata.preparedQuery(UNSETTLED).execute(Tuple.of(repository, base)).chain(rows -> {
          var r = rows.iterator().next();
          if (head[0].equals(r.getString(0)) && !r.getBoolean(1)) {
            return Uni.createFrom().item(result);
          }
          if (attempts <= 1) {
            return Uni.createFrom().failure(new StrataException(ErrorCode.StorageUnavailable, "branch '" + base
                + "' kept committing during the read; retry"));
          }
          return inOtherStorage(repository, base, plan, read, attempts - 1);
        }));
  }

  /** A branch's head, and whether a cross-storage commit attempt of the repository is in flight (or left behind). */
  private static final String UNSETTLED =
      "select head, exists (select 1 from strata_meta.commit_intents where repository = $1)"
          + " from strata_meta.branches where repository = $1 and name = $2";

  /**
   * Runs {@code work} in a repeatable-read snapshot of the metadata database in which the commit graph
   * has caught up with the log (a commit's rows and event land together, its projection just after):
   * a snapshot that lags is retried once the projection caught up.
   */
  public <T> Uni<T> inSnapshot(String repository, Function<SqlConnection, Uni<T>> work) {
    return inSnapshot(repository, work, 3);
  }

  private <T> Uni<T> inSnapshot(String repository, Function<SqlConnection, Uni<T>> work,
      int attempts) {
    long[] lag = new long[1];
    return metadata.withTransaction(tx -> tx.query("set transaction isolation level repeatable read").execute()
            .chain(() -> tx.preparedQuery(LAG).execute(Tuple.of(repository)))
            .chain(rows -> {
              var r = rows.iterator().next();
              if (r.getLong(1) < r.getLong(0) && attempts > 1) {
                lag[0] = r.getLong(0);
                return Uni.createFrom().<Optional<T>>item(Optional.empty()); // lags: retry
              }
              return work.apply(tx).map(Optional::ofNullable);
            }))
        .chain(result -> lag[0] == 0
            ? Uni.createFrom().item(result.orElse(null))
            : projections.awaitVersion(repository, lag[0], config.consistency().waitTimeout())
                .chain(() -> inSnapshot(repository, work, attempts - 1)));
  }

  /** The change sets that separate branch {@code base}'s head from {@code commit}, read in {@code tx}. */
  public static Uni<CommitGraph.Paths> pathsTo(SqlConnection tx, String repository, String base, String commit) {
    return tx.preparedQuery(HEAD).execute(Tuple.of(repository, base))
        .map(rows -> rows.iterator().next().getString(0))
        .chain(head -> CommitGraph.pathsBetween(tx, repository, head, commit));
  }

  /** From a branch's working state to a commit for one table: its working log, then the change sets. */
  public static StatePath committed(CommitGraph.Paths paths, TableRow table) {
    return new StatePath(paths.undo(table.name()), paths.redo(table.name()), true);
  }
}
