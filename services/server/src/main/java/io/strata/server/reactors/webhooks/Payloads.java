package io.strata.server.reactors.webhooks;

import io.vertx.core.Future;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.LruMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bodies deliveries send: an event's CloudEvent JSON, in its type's current version, as the feed
 * and the Kafka relay publish it ({@link StoredEvent#toEnvelope}). Deliveries keep only the event's
 * position; the body is serialised from the event log once and kept for the newest events, so the
 * endpoints an event goes to share one copy (the reactor puts it here as it queues the deliveries),
 * kept as the UTF-8 bytes that are signed and sent.
 */
final class Payloads {
  /** Events kept: enough for every endpoint's run of a busy feed; older ones are read again. */
  static final int KEPT = 4096;

  private final EventLog log;
  private final LruMap<Long, byte[]> newest = new LruMap<>(KEPT);

  Payloads(EventLog log) {
    this.log = log;
  }

  void keep(long position, String payload) {
    keep(position, payload.getBytes(StandardCharsets.UTF_8));
  }

  private void keep(long position, byte[] payload) {
    newest.put(position, payload);
  }

  /** The bodies of the events at {@code positions}; those not kept are read from the log. */
  Future<Map<Long, byte[]>> at(List<Long> positions) {
    Map<Long, byte[]> found = new HashMap<>();
    List<Long> missing = new ArrayList<>();
    for (Long p : positions) {
      byte[] payload = newest.get(p);
      if (payload == null) {
        missing.add(p);
      } else {
        found.put(p, payload);
      }
    }
    if (missing.isEmpty()) {
      return Future.succeededFuture(found);
    }
    return Future.fromCompletionStage(log.readAt(missing).map(events -> {
      for (StoredEvent e : events) {
        byte[] payload = e.toEnvelope().toCloudEventJsonText().getBytes(StandardCharsets.UTF_8);
        keep(e.position(), payload);
        found.put(e.position(), payload);
      }
      return found;
    }).subscribeAsCompletionStage());
  }
}
