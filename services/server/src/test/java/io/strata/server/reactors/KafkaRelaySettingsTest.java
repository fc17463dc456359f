package io.strata.server.reactors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.strata.server.runtime.KafkaRelayConfig;
import io.strata.server.runtime.StrataConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The relay's settings as an operator writes them: the defaults fit together (a batch ends before the
 * lease lapses, the producer's timeouts inside the batch's), client properties pass through, and none
 * of them can turn off what at-least-once and the per-repository order rest on.
 */
class KafkaRelaySettingsTest {
  @Test
  void theDefaultsKeepABatchInsideTheLeaseAndTheProducersTimeoutsInsideTheBatch() {
    KafkaRelayConfig kafka = config(Map.of("strata.kafka.bootstrap-servers", "broker:9092"));
    FeedReactor.Settings settings = KafkaRelay.settings(kafka);
    assertThat(settings.lease()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.handlerTimeout()).isEqualTo(Duration.ofSeconds(25)).isLessThan(settings.lease());
    Properties p = KafkaRelay.producerProperties(kafka);
    long delivery = Long.parseLong((String) p.get("delivery.timeout.ms"));
    long request = Long.parseLong((String) p.get("request.timeout.ms"));
    long linger = Long.parseLong((String) p.get("linger.ms"));
    long block = Long.parseLong((String) p.get("max.block.ms"));
    assertThat(delivery).isEqualTo(15_000).isGreaterThanOrEqualTo(linger + request);
    assertThat(delivery + 2 * block).isLessThanOrEqualTo(settings.handlerTimeout().toMillis());
    assertThat(kafka.topic()).isEqualTo("strata.events");
    assertThat(kafka.topicPartitions()).isEmpty();
  }

  @Test
  void clientPropertiesPassThroughButTheGuaranteesStay() {
    Map<String, String> values = new HashMap<>();
    values.put("strata.kafka.bootstrap-servers", "broker:9092");
    values.put("strata.kafka.client.security.protocol", "SSL");
    values.put("strata.kafka.client.compression.type", "zstd");
    values.put("strata.kafka.client.enable.idempotence", "false");
    values.put("strata.kafka.client.acks", "1");
    values.put("strata.kafka.client.delivery.timeout.ms", "600000");
    values.put("strata.kafka.client.max.in.flight.requests.per.connection", "5");
    Properties p = KafkaRelay.producerProperties(config(values));
    // (one request in flight: a just-created partition takes a first batch of any sequence, KAFKA-15591)
    assertThat(p).containsEntry("security.protocol", "SSL").containsEntry("compression.type", "zstd")
        .containsEntry("enable.idempotence", "true").containsEntry("acks", "all")
        .containsEntry("max.in.flight.requests.per.connection", "1")
        .containsEntry("delivery.timeout.ms", "15000").containsEntry("bootstrap.servers", "broker:9092");
  }

  @Test
  void aLeaseShorterThanABatchMayTakeIsRefusedAtStart() {
    KafkaRelayConfig kafka = config(Map.of("strata.kafka.bootstrap-servers", "broker:9092",
        "strata.kafka.send-timeout", "30s", "strata.kafka.lease", "40s"));
    assertThatThrownBy(() -> KafkaRelay.settings(kafka)).hasMessageContaining("STRATA_KAFKA_LEASE");
  }

  private static KafkaRelayConfig config(Map<String, String> values) {
    // Quarkus' own reading of durations ("500ms", "30s"), as the server has it
    SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(StrataConfig.class)
        .withConverter(Duration.class, 200, new DurationConverter())
        .withSources(new PropertiesConfigSource(values, "test", 100)).build();
    return config.getConfigMapping(StrataConfig.class).kafka();
  }
}
