package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;

/** The server's own database as the readiness probe sees it. */
@ApplicationScoped
public class ServerDatabase {
  private final Pool pool;

  @Inject
  public ServerDatabase(Pool pool) {
    this.pool = pool;
  }

  /** Whether the database answers a trivial query within {@code timeout}; never fails. */
  public Uni<Boolean> answers(Duration timeout) {
    return pool.query("select 1").execute()
        .map(rows -> true)
        .ifNoItem().after(timeout).fail()
        .onFailure().recoverWithItem(false);
  }
}
