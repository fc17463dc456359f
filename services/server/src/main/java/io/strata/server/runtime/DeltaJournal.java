package io.strata.server.runtime;

import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgBuilder;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The connections Delta units journal their intents on ({@code DeltaUnit#writing}): a small pool of its own to the
 * server's database. A unit holds a connection of the metadata pool for its transaction while it journals; were the
 * journal's connection borrowed from that pool too, as many concurrent Delta commands as the pool has connections
 * would each hold one and wait for a second until the journal's timeout. A journal statement holds its connection for
 * one insert only, so a few serve every unit.
 */
@ApplicationScoped
public class DeltaJournal {
  static final int SIZE = 4;

  private final Vertx vertx;
  private volatile Pool pool;

  @Inject
  public DeltaJournal(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The journal's pool, opened on first use (a server without Delta storages never opens it). */
  public Pool pool() {
    Pool opened = pool;
    if (opened == null) {
      synchronized (this) {
        if (pool == null) {
          pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(SIZE).setName("delta-journal"))
              .connectingTo(ServerDatabase.connectOptions()).using(vertx).build();
        }
        opened = pool;
      }
    }
    return opened;
  }

  @PreDestroy
  void close() {
    Pool opened = pool;
    if (opened != null) {
      opened.close().subscribe().with(ok -> { }, e -> { });
    }
  }
}
