package io.strata.server.reactors;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.strata.server.TestKafka;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;

/**
 * A real Kafka broker for the server under test, started in the test JVM before the server, and the
 * relay pointed at it with short timings: a send times out after 2 s, a failing batch is retried within
 * half a second, so that a broker outage and its end are seen within a test.
 */
public class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {
  public static final String TOPIC = "strata.events.test";
  public static final int PARTITIONS = 3;

  /** Marks the test's field that gets the broker (to stop and start it). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.FIELD)
  public @interface InjectKafka {}

  private TestKafka kafka;

  @Override
  public Map<String, String> start() {
    try {
      kafka = TestKafka.start();
    } catch (Exception e) {
      throw new IllegalStateException("the test's Kafka broker did not start", e);
    }
    return Map.of(
        "strata.kafka.bootstrap-servers", kafka.bootstrapServers(),
        "strata.kafka.topic", TOPIC,
        "strata.kafka.topic-partitions", String.valueOf(PARTITIONS),
        "strata.kafka.send-timeout", "2s",
        "strata.kafka.lease", "10s",
        "strata.kafka.poll-interval", "100ms",
        "strata.kafka.max-backoff", "500ms");
  }

  @Override
  public void inject(TestInjector injector) {
    injector.injectIntoFields(kafka, new TestInjector.AnnotatedAndMatchesType(InjectKafka.class, TestKafka.class));
  }

  @Override
  public void stop() {
    try {
      kafka.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
