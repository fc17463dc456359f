package io.strata.server.runtime;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The Kafka relay: every event of the log, in commit order, to one topic, keyed by repository, in the
 * CloudEvents Kafka binding's binary mode; at least once, one relaying server at a time (a lease).
 */
public interface KafkaRelayConfig {
  /** {@code STRATA_KAFKA_BOOTSTRAP_SERVERS}: {@code host:port,...} of the brokers; unset = no relay. */
  Optional<String> bootstrapServers();

  /** {@code STRATA_KAFKA_TOPIC}: where every event goes. */
  @WithDefault("strata.events")
  String topic();

  /**
   * {@code STRATA_KAFKA_TOPIC_PARTITIONS}: partitions of the topic when the relay creates it (it
   * creates it only when missing); unset = the broker's default ({@code num.partitions}).
   */
  Optional<Integer> topicPartitions();

  /** {@code STRATA_KAFKA_TOPIC_REPLICATION_FACTOR}: likewise; unset = the broker's default. */
  Optional<Short> topicReplicationFactor();

  /**
   * {@code STRATA_KAFKA_SEND_TIMEOUT}: how long the broker has to acknowledge a record (the
   * producer's {@code delivery.timeout.ms}); a batch not acknowledged in time is sent again later.
   */
  @WithDefault("15s")
  Duration sendTimeout();

  /**
   * {@code STRATA_KAFKA_LEASE}: how long one server's claim to relay holds without renewal; when it
   * dies, another server (or itself, restarted) takes over after this. Must exceed what a batch may
   * take: the send timeout and two thirds of it.
   */
  @WithDefault("30s")
  Duration lease();

  /** {@code STRATA_KAFKA_POLL_INTERVAL}: how long the relay, having caught up, waits before reading again. */
  @WithDefault("500ms")
  Duration pollInterval();

  /** {@code STRATA_KAFKA_BATCH_SIZE}: the most events read and sent at once. */
  @WithDefault("500")
  int batchSize();

  /** {@code STRATA_KAFKA_MAX_BACKOFF}: the longest wait between retries while the brokers fail. */
  @WithDefault("5s")
  Duration maxBackoff();

  /**
   * {@code strata.kafka.client.<property>}: further producer and admin client properties, e.g.
   * {@code security.protocol}, {@code sasl.*}, {@code ssl.*}, {@code compression.type}. The relay's
   * guarantees (idempotence, {@code acks=all}, serializers, timeouts) cannot be overridden.
   */
  Map<String, String> client();
}
