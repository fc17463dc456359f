package io.strata.server.queries;

import io.smallrye.mutiny.Uni;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connections {@code POST /query} runs on: one of its own per query, opened for it and closed after
 * it, so that nothing a statement leaves in its session (advisory locks, prepared statements, settings,
 * temporary objects, LISTEN, cursors WITH HOLD) reaches another request, and no connection stays idle.
 * At most {@code strata.query.max-connections} are open at once across all repositories; one more is
 * refused at once with 429 rather than queued, so a client cannot pile up waiting requests either.
 */
@ApplicationScoped
public class QueryConnections {
  private final Vertx vertx;
  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  /** The open connections: each is counted off once, whether its query ended or its request went away. */
  private final Set<SqlConnection> opened = ConcurrentHashMap.newKeySet();

  @Inject
  public QueryConnections(Vertx vertx, StrataConfig config) {
    this.vertx = vertx;
    this.max = config.query().maxConnections();
  }

  /** A new connection with {@code options}, or 429 TooManyQueries when the cap is reached; give it back by {@link #close}. */
  public Uni<SqlConnection> open(PgConnectOptions options) {
    return Uni.createFrom().deferred(() -> {
      if (open.incrementAndGet() > max) {
        open.decrementAndGet();
        return Uni.createFrom().failure(new StrataException(ErrorCode.TooManyQueries, "all " + max
            + " query connections are in use; retry shortly", Map.of("max_connections", max)));
      }
      return PgConnection.connect(vertx, options).map(c -> (SqlConnection) c).invoke(opened::add)
          .onFailure().invoke(e -> open.decrementAndGet())
          // the database refusing the login (too many connections, ...) is a PgException, answered by the caller;
          // one out of reach is the storage's state, not the client's fault
          .onFailure(e -> !(e instanceof PgException)).transform(e -> new StrataException(
              ErrorCode.StorageUnavailable, "the database of the query cannot be reached: " + e.getMessage(), Map.of()));
    });
  }

  /**
   * Ends the session: DISCARD ALL first (it releases session advisory locks and drops everything else the
   * session made, and its answer says the backend did so before the request answers), then the connection
   * closes. Never fails; a second call (after {@link #abandon}) does nothing.
   */
  public Uni<Void> close(SqlConnection connection) {
    if (!opened.contains(connection)) {
      return Uni.createFrom().voidItem();
    }
    return connection.query("discard all").execute().replaceWithVoid().onFailure().recoverWithNull()
        .eventually(() -> connection.close().onFailure().recoverWithNull())
        .onTermination().invoke(() -> release(connection));
  }

  /**
   * Closes the connection of a query whose request went away (its answer was cancelled): the running
   * statement is cancelled first (a closed socket alone leaves the backend running until the statement
   * ends, holding its locks), then the session ends.
   */
  public Uni<Void> abandon(SqlConnection connection) {
    if (!opened.contains(connection)) {
      return Uni.createFrom().voidItem();
    }
    return cancel(connection)
        .chain(() -> connection.close().onFailure().recoverWithNull())
        .onTermination().invoke(() -> release(connection));
  }

  /**
   * Cancels the statement running on {@code connection} through the server's cancel protocol (a
   * separate connection with the session's cancel key): it works whatever the statement did to its own
   * settings (a statement may set statement_timeout to 0 for itself). Never fails.
   */
  public Uni<Void> cancel(SqlConnection connection) {
    if (!(connection instanceof PgConnection pg)) {
      return Uni.createFrom().voidItem();
    }
    return pg.cancelRequest().onFailure().recoverWithNull();
  }

  private void release(SqlConnection connection) {
    if (opened.remove(connection)) {
      open.decrementAndGet();
    }
  }

  /** How many are open now. */
  public int inUse() {
    return open.get();
  }
}
