package io.strata.projections.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.util.List;

/**
 * Turns events into one read model. A projector only writes in the transaction it is handed, which
 * also moves its checkpoint, so a redelivered event is never applied twice. It takes every value it
 * writes from the event (never {@code now()}), so replaying the log rebuilds exactly the same rows.
 */
public interface Projector {
  /** Stable name: the checkpoint key. */
  String name();

  Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event);

  /** The tables this projector owns (schema-qualified): emptied by a rebuild, hashed by a digest. */
  List<String> tables();
}
