package io.strata.server.reactors;

import io.cloudevents.kafka.KafkaMessageFactory;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.EventLog.FeedEvent;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.KafkaRelayConfig;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Relays every event of the log to one Kafka topic (STRATA_KAFKA_BOOTSTRAP_SERVERS; off when unset):
 * in commit order, keyed by repository so that a repository's events land in one partition in their
 * order, each record in the CloudEvents Kafka binding's binary mode (the data as the value, the
 * attributes and Strata's extensions as {@code ce_*} headers).
 *
 * <p>At least once: the relay is a {@link FeedReactor} named {@value #NAME}, whose checkpoint moves
 * only when the broker acknowledged every record of the batch (idempotent producer, {@code acks=all}).
 * A failed batch, a broker outage included, is sent again from the checkpoint after a backoff; a
 * server restarted or taking over from a dead one starts from the checkpoint too. Records of a batch
 * that did reach the broker before the failure arrive twice; none is skipped.
 *
 * <p>Order: the idempotent producer, one request in flight, keeps each partition's records in the order sent, but a
 * record that fails for good (its delivery timeout passed) lets the records after it through. So the first
 * failure of a batch closes the producer at once (from the callback, with a zero timeout, which aborts
 * every record it still holds) and the next attempt uses a new one: a repository's records never
 * overtake an earlier one of the same repository that is still to come.
 */
@ApplicationScoped
public class KafkaRelay {
  /** The reactor's name in strata_meta.reactors. */
  public static final String NAME = "kafka";

  private static final Logger LOG = Logger.getLogger(KafkaRelay.class);
  /** How long a clean stop waits for the batch in hand before aborting it. */
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private final KafkaRelayConfig config;
  private final EventLog log;
  private final ReactorCheckpoints checkpoints;
  private final Reactors reactors;
  private final Vertx vertx;

  /**
   * KafkaProducer.send blocks while it waits for the topic's metadata or for room in its buffer (up to
   * max.block.ms), and creating the producer or the topic blocks too: none of that may run on a Vert.x
   * event loop, where the reactor's rounds run. One thread, so batches are also sent one after the
   * other, never interleaved.
   */
  private ExecutorService sender;
  /** The producer in use; null after a failure closed it (a new one is made for the next batch). */
  private final AtomicReference<KafkaProducer<String, byte[]>> producer = new AtomicReference<>();
  /** Whether the topic was created or found, once per process (touched on the sender thread only). */
  private boolean topicChecked;
  private volatile FeedReactor reactor;

  @Inject
  public KafkaRelay(StrataConfig config, EventLog log, ReactorCheckpoints checkpoints, Reactors reactors,
      Vertx vertx) {
    this.config = config.kafka();
    this.log = log;
    this.checkpoints = checkpoints;
    this.reactors = reactors;
    this.vertx = vertx;
  }

  void onStart(@Observes StartupEvent e) {
    Optional<String> servers = config.bootstrapServers().filter(s -> !s.isBlank());
    if (servers.isEmpty()) {
      return;
    }
    FeedReactor.Settings settings = settings(config);
    sender = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "strata-kafka-relay");
      t.setDaemon(true);
      return t;
    });
    sender.execute(this::connect);
    FeedReactor r = new FeedReactor(NAME, vertx, log, checkpoints, settings, this::relay);
    reactor = r;
    reactors.register(r);
    r.start();
    LOG.infof("relaying every event to Kafka topic %s at %s (one server at a time, lease %s)", config.topic(),
        servers.get(), settings.lease());
  }

  void onStop(@Observes ShutdownEvent e) {
    FeedReactor r = reactor;
    if (r == null) {
      return;
    }
    try {
      // the batch in hand normally ends within milliseconds; stopping releases the lease for another server
      r.stop().await().atMost(STOP_GRACE);
    } catch (TimeoutException slow) {
      // the brokers do not answer: abort what the producer holds (the batch fails, its checkpoint stays)
      abandon(producer.get(), slow);
      try {
        r.stop().await().atMost(STOP_GRACE);
      } catch (RuntimeException still) {
        LOG.warnf("the Kafka relay did not stop in time; its lease lapses by itself: %s", still.getMessage());
      }
    } catch (RuntimeException failed) {
      LOG.warnf("stopping the Kafka relay: %s", failed.getMessage());
    }
    reactors.unregister(r);
    reactor = null;
    sender.execute(() -> {
      KafkaProducer<String, byte[]> p = producer.getAndSet(null);
      if (p != null) {
        p.close(STOP_GRACE);
      }
    });
    sender.shutdown();
    try {
      sender.awaitTermination(STOP_GRACE.toSeconds() + 1, TimeUnit.SECONDS);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** This server's relay, if it runs here. */
  public Optional<FeedReactor> reactor() {
    return Optional.ofNullable(reactor);
  }

  /**
   * The reactor's timings from the configuration: a batch may take the send timeout (the producer's
   * delivery timeout) plus twice max.block.ms (a third of it: the sends' own waits for metadata or
   * buffer room, and the topic's creation), and must end before the lease lapses.
   */
  static FeedReactor.Settings settings(KafkaRelayConfig config) {
    Duration handlerTimeout = config.sendTimeout().plus(maxBlock(config).multipliedBy(2));
    if (config.lease().compareTo(handlerTimeout) <= 0) {
      throw new IllegalArgumentException("STRATA_KAFKA_LEASE (" + config.lease() + ") must exceed what a batch"
          + " may take (" + handlerTimeout + ": STRATA_KAFKA_SEND_TIMEOUT " + config.sendTimeout()
          + " and two thirds of it)");
    }
    if (config.batchSize() < 1) {
      throw new IllegalArgumentException("STRATA_KAFKA_BATCH_SIZE must be at least 1");
    }
    return new FeedReactor.Settings(config.lease(), config.pollInterval(), config.batchSize(), handlerTimeout,
        config.maxBackoff());
  }

  /** How long one send may block waiting for metadata or buffer room before the batch fails. */
  private static Duration maxBlock(KafkaRelayConfig config) {
    return config.sendTimeout().dividedBy(3);
  }

  /** The producer's settings: the operator's client properties, then the relay's guarantees over them. */
  static Properties producerProperties(KafkaRelayConfig config) {
    Properties p = new Properties();
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "strata-kafka-relay");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.putAll(config.client());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers().orElseThrow());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.RETRIES_CONFIG, String.valueOf(Integer.MAX_VALUE));
    // one request in flight per connection: idempotence alone does not keep order on a partition the broker holds
    // no state of this producer for (a topic just created, a new producer after a failure: it takes a first batch of
    // any sequence, KAFKA-15591), so a request refused as the partition was coming up let the next one through first
    // (seen: v2, v3, v1, v2, v3). With one in flight the next request waits until the earlier is acknowledged or
    // failed for good (then the producer is closed before sending it); each request still carries a whole batch
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    long send = config.sendTimeout().toMillis();
    long linger = Long.parseLong(String.valueOf(p.get(ProducerConfig.LINGER_MS_CONFIG)));
    // delivery.timeout.ms must cover linger.ms + request.timeout.ms; the batch's timeout covers it all
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(send));
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.max(1, Math.min(30_000, send / 2 - linger))));
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(maxBlock(config).toMillis()));
    return p;
  }

  /**
   * The reactor's handler: sends the batch on the sender thread and completes when the broker has
   * acknowledged every record, or fails at the first record that fails (sending no more of the batch).
   * The producer's callbacks run on its I/O thread, which must not run the reactor's next steps (its
   * checkpoint write): the outcome goes back to the round's Vert.x context.
   */
  Uni<Void> relay(List<FeedEvent> batch) {
    Context round = vertx.getOrCreateContext();
    return Uni.createFrom().<Void>completionStage(() -> {
          CompletableFuture<Void> acknowledged = new CompletableFuture<>();
          sender.execute(() -> send(batch, acknowledged));
          return acknowledged;
        })
        // given up (the handler's timeout): what the producer still holds of the batch is aborted, so that it does
        // not flow beside the batch's next attempt
        .onCancellation().invoke(() -> sender.execute(() -> abandon(producer.get(),
            new java.util.concurrent.CancellationException("the batch was given up"))))
        .emitOn(step -> round.runOnContext(ignored -> step.run()))
        // acknowledged, checkpoint not moved yet: a crash here repeats the batch (KafkaRelayKillNineIT)
        .call(() -> Failpoints.hit("kafka.acknowledged"));
  }

  /**
   * On the sender thread, before the first batch: the producer connected, the topic checked and its
   * partitions known, so that a restarted relay sends its first batch at once instead of meeting the
   * broker then. A failure here is only a slower first batch, which fails or succeeds on its own.
   */
  private void connect() {
    KafkaProducer<String, byte[]> p = null;
    try {
      p = producer();
      checkTopic();
      p.partitionsFor(config.topic());
    } catch (RuntimeException | ExecutionException | java.util.concurrent.TimeoutException failure) {
      abandon(p, failure);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** On the sender thread. */
  private void send(List<FeedEvent> batch, CompletableFuture<Void> acknowledged) {
    KafkaProducer<String, byte[]> p = null;
    try {
      p = producer();
      checkTopic();
      if (batch.isEmpty()) {
        acknowledged.complete(null);
        return;
      }
      AtomicInteger outstanding = new AtomicInteger(batch.size());
      for (FeedEvent e : batch) {
        if (acknowledged.isDone()) {
          return; // an earlier record failed: the batch is sent again from its checkpoint
        }
        // no record timestamp: the broker's time, not the event's, so that old events relayed late (a
        // relay enabled on a long history) are not at once past the topic's retention
        ProducerRecord<String, byte[]> record = KafkaMessageFactory
            .createWriter(config.topic(), e.event().repository())
            .writeBinary(e.event().toEnvelope().toCloudEvent());
        KafkaProducer<String, byte[]> sending = p;
        p.send(record, (metadata, failure) -> {
          if (failure != null) {
            abandon(sending, failure);
            acknowledged.completeExceptionally(failure);
          } else if (outstanding.decrementAndGet() == 0) {
            acknowledged.complete(null);
          }
        });
      }
    } catch (RuntimeException | ExecutionException | java.util.concurrent.TimeoutException failure) {
      abandon(p, failure);
      acknowledged.completeExceptionally(failure);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      acknowledged.completeExceptionally(interrupted);
    }
  }

  private KafkaProducer<String, byte[]> producer() {
    KafkaProducer<String, byte[]> p = producer.get();
    if (p == null) {
      p = new KafkaProducer<>(producerProperties(config));
      producer.set(p);
    }
    return p;
  }

  /**
   * Closes {@code p} without waiting, if it is still the one in use: what it holds is aborted, so no
   * record of a failed batch reaches the broker after the failure (see the class comment). Called from
   * the producer's own callback too, where only a zero timeout is allowed.
   */
  private void abandon(KafkaProducer<String, byte[]> p, Throwable why) {
    if (p != null && producer.compareAndSet(p, null)) {
      LOG.debugf("Kafka relay: closing the producer after a failure: %s", why.getMessage());
      p.close(Duration.ZERO);
    }
  }

  /**
   * Creates the topic when it does not exist (with STRATA_KAFKA_TOPIC_PARTITIONS and _REPLICATION_FACTOR,
   * else the broker's defaults); an existing topic is left as it is. A principal that may not create
   * topics goes on: the topic may exist, or the broker may create it on first use.
   */
  private void checkTopic() throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
    if (topicChecked) {
      return;
    }
    Properties p = new Properties();
    p.putAll(config.client());
    p.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(String.valueOf(k)));
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers().orElseThrow());
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "strata-kafka-relay-admin");
    long timeout = maxBlock(config).toMillis(); // the batch's time allows for it (see settings)
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(timeout));
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(timeout));
    Admin admin = Admin.create(p);
    try {
      NewTopic topic = new NewTopic(config.topic(), config.topicPartitions(), config.topicReplicationFactor());
      admin.createTopics(List.of(topic)).all().get(timeout, TimeUnit.MILLISECONDS);
      LOG.infof("created Kafka topic %s", config.topic());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicAuthorizationException || e.getCause() instanceof ClusterAuthorizationException) {
        LOG.warnf("may not create Kafka topic %s (%s); relaying to it as it is", config.topic(),
            e.getCause().getMessage());
      } else if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    } finally {
      admin.close(Duration.ZERO);
    }
    topicChecked = true;
  }
}
