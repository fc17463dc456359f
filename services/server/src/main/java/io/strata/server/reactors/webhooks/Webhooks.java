package io.strata.server.reactors.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventEnvelope;
import io.strata.events.EventType;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.EventLog.FeedEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.reactors.FeedReactor;
import io.strata.server.reactors.ReactorCheckpoints;
import io.strata.server.reactors.webhooks.WebhookStore.NewDelivery;
import io.strata.server.reactors.webhooks.WebhookStore.Subscriber;
import io.strata.server.runtime.PeriodicJob;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Webhooks on this server: the "webhooks" reactor, which follows the event feed (at least once, from
 * its checkpoint) and queues a delivery for every enabled endpoint whose filter the event matches,
 * and the sender, which works the queue. Both start with the server unless STRATA_WEBHOOKS_ENABLED is
 * false; any server sharing the database may do either, one at a time (the reactor's lease, the
 * endpoints' leases).
 */
@ApplicationScoped
public class Webhooks {
  public static final String REACTOR = "webhooks";
  private static final Logger LOG = Logger.getLogger(Webhooks.class);

  private final WebhookStore store;
  private final AddressGuard guard;
  private final Vertx vertx;
  private final FeedReactor reactor;
  private final WebhookSender sender;
  private final Payloads payloads;
  private final boolean enabled;
  private final Duration pollInterval;
  /** Deletes deliveries done for longer than STRATA_WEBHOOKS_RETENTION, hourly. */
  private final PeriodicJob purge;

  @Inject
  public Webhooks(WebhookStore store, Vertx vertx, EventLog log, ReactorCheckpoints checkpoints,
      StrataConfig config, io.strata.server.runtime.StrataMetrics metrics) {
    StrataConfig.Webhooks c = config.webhooks();
    this.store = store;
    this.vertx = vertx;
    this.enabled = c.enabled();
    this.pollInterval = c.pollInterval();
    Duration retention = c.retention();
    this.purge = new PeriodicJob(vertx, "webhooks: deleting old deliveries", () -> store.purge(retention)
        .invoke(deleted -> {
          if (deleted > 0) {
            LOG.infof("webhooks: deleted %d deliveries done for longer than %s", deleted, retention);
          }
        }));
    this.guard = new AddressGuard(c.allowedHosts().orElse(List.of()));
    this.payloads = new Payloads(log);
    this.sender = new WebhookSender(vertx, store, payloads, guard, new WebhookSender.Settings(c.timeout(), c.retrySchedule(),
        c.disableAfter(), c.pollInterval(), c.lease(), c.concurrency(), c.trustedCertificates().orElse(List.of())),
        checkpoints.owner());
    this.sender.observe(o -> metrics.webhookAttempt(o.success() ? "delivered" : o.gone() ? "gone"
        : o.lastAttempt() ? "failed" : "retried", o.latencyMs()));
    this.reactor = new FeedReactor(REACTOR, vertx, log, checkpoints, new FeedReactor.Settings(Duration.ofSeconds(30),
        c.pollInterval(), 200, Duration.ofSeconds(20), Duration.ofSeconds(60)), this::enqueue);
  }

  void onStart(@Observes StartupEvent e) {
    if (enabled) {
      LOG.infof("webhooks: following the event feed and sending deliveries (every %s)", pollInterval);
      reactor.start();
      sender.start();
      purge.start(Duration.ofMinutes(1), Duration.ofHours(1));
    }
  }


  void onStop(@Observes ShutdownEvent e) {
    purge.stop();
    try {
      // the sender's attempts in hand end within STRATA_WEBHOOKS_TIMEOUT; then both give their leases back
      Uni.combine().all().unis(reactor.stop(), sender.stop()).discardItems()
          .await().atMost(Duration.ofSeconds(15));
    } catch (RuntimeException slow) {
      LOG.warnf("webhooks did not stop in time; their leases lapse by themselves: %s", slow.getMessage());
    }
  }

  /** Stops and starts this server's reactor and sender (tests: a server going away and coming back). */
  public Uni<Void> pause() {
    return Uni.combine().all().unis(reactor.stop(), sender.stop()).discardItems();
  }

  public void resume() {
    reactor.start();
    sender.start();
  }

  public WebhookStore store() {
    return store;
  }

  public FeedReactor.State reactorState() {
    return reactor.state();
  }

  /**
   * Refuses a URL whose host resolves to an address webhooks may not reach (the same check runs at
   * every delivery: DNS may change). The lookup runs on a worker thread.
   */
  public Uni<Void> checkReachable(URI url) {
    String host = Attempts.unbracket(url.getHost());
    return Uni.createFrom().completionStage(vertx.<InetAddress>executeBlocking(() -> guard.resolve(host), false)
            .toCompletionStage())
        .onFailure(AddressGuard.Refused.class).transform(e -> new StrataException(ErrorCode.ValidationError,
            "url: " + e.getMessage(), Map.of("field", "url")))
        .replaceWithVoid();
  }

  /** The reactor's handler: a delivery per matching endpoint and event, queued once whatever the retries. */
  Uni<Void> enqueue(List<FeedEvent> batch) {
    return store.enabledEndpoints().chain(endpoints -> {
      List<NewDelivery> deliveries = new ArrayList<>();
      for (FeedEvent fe : batch) {
        StoredEvent event = fe.event();
        Published published = null;
        for (Subscriber endpoint : endpoints) {
          if (event.position() <= endpoint.startPosition()) {
            continue; // appended before the endpoint was created
          }
          if (published == null) {
            published = publish(event);
            payloads.keep(event.position(), published.json());
          }
          if (endpoint.filter().matches(event.repository(), published.type(), published.branch())) {
            deliveries.add(new NewDelivery(endpoint.id(), fe.cursor().txid(), event.position(), event.eventId(),
                published.type(), event.repository()));
          }
        }
      }
      return store.enqueue(deliveries).invoke(queued -> {
        if (queued > 0) {
          sender.wake(deliveries.stream().map(NewDelivery::endpointId).collect(Collectors.toSet()));
        }
      }).replaceWithVoid();
    });
  }

  /** An event as receivers get it: its current type, and its branch for filters. */
  record Published(String type, String branch, String json) {}

  /**
   * The CloudEvent JSON of a stored event, as the feed and the Kafka relay publish it
   * ({@link StoredEvent#toEnvelope}: upcast to its type's current version, so receivers and filters
   * only ever see current types).
   */
  Published publish(StoredEvent e) {
    EventEnvelope envelope = e.toEnvelope();
    return new Published(envelope.type(), branchOf(envelope.type(), envelope.data()), envelope.toCloudEventJsonText());
  }

  /** The branch an event is about: its {@code branch} field, or {@code name} for branch events; else null. */
  static String branchOf(String type, JsonNode data) {
    if (data == null) {
      return null;
    }
    JsonNode branch = data.get("branch");
    if (branch != null && branch.isTextual()) {
      return branch.textValue();
    }
    JsonNode name = data.get("name");
    return type.startsWith(EventType.PREFIX + "branch.") && name != null && name.isTextual() ? name.textValue() : null;
  }
}
