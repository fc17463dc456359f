package io.strata.server;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker in the test JVM: one KRaft node (controller and broker in one) from Kafka's own
 * test kit, on a free port that it keeps across a broker restart. Plus a reader of a whole topic.
 */
public final class TestKafka implements AutoCloseable {
  /** Kafka logs every step at INFO; held here so that the levels set stay set (JUL keeps loggers weakly). */
  private static final List<java.util.logging.Logger> QUIET = List.of(
      java.util.logging.Logger.getLogger("kafka"), java.util.logging.Logger.getLogger("org.apache.kafka"),
      java.util.logging.Logger.getLogger("state.change.logger"));

  private final KafkaClusterTestKit cluster;

  private TestKafka(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  /** Starts the node (about a second) and waits until its broker serves. */
  public static TestKafka start() throws Exception {
    QUIET.forEach(l -> l.setLevel(java.util.logging.Level.WARNING));
    TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1)
        .setNumControllerNodes(1).build();
    KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes)
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    return new TestKafka(cluster);
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  private BrokerServer broker() {
    return cluster.brokers().values().iterator().next();
  }

  /** The broker goes away (its controller stays); clients see connection refused. */
  public void stopBroker() {
    BrokerServer broker = broker();
    broker.shutdown();
    broker.awaitShutdown();
  }

  /** The broker comes back on the same port, with the log it had. */
  public void startBroker() throws Exception {
    broker().startup();
    cluster.waitForReadyBrokers();
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }

  /** How many partitions {@code topic} has. */
  public int partitions(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      return consumer.partitionsFor(topic, Duration.ofSeconds(10)).size();
    }
  }

  /** A record of the topic as read back: its key, its ce_* headers, and the CloudEvent they make. */
  public record Received(String key, int partition, long offset, Map<String, String> headers, CloudEvent event) {
    public long streamVersion() {
      return Long.parseLong(String.valueOf(event.getExtension("streamversion")));
    }
  }

  /**
   * Reads {@code topic} from its start until {@code enough} holds for what was read, or fails after
   * {@code wait}; records in each partition's order, partitions one after the other.
   */
  public List<Received> readUntil(String topic, Predicate<List<Received>> enough, Duration wait) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    long deadline = System.nanoTime() + wait.toNanos();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> partitions = new ArrayList<>();
      while (partitions.isEmpty()) {
        consumer.partitionsFor(topic, Duration.ofSeconds(5))
            .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        if (System.nanoTime() > deadline) {
          throw new AssertionError("topic " + topic + " not there");
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<Integer, List<Received>> byPartition = new LinkedHashMap<>();
      while (true) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          Map<String, String> headers = new LinkedHashMap<>();
          for (Header h : r.headers()) {
            headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
          }
          byPartition.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(new Received(r.key(), r.partition(),
              r.offset(), headers, KafkaMessageFactory.createReader(r).toEvent()));
        }
        List<Received> all = new ArrayList<>();
        byPartition.values().forEach(all::addAll);
        if (enough.test(all)) {
          return all;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("read " + all.size() + " records of " + topic + " in " + wait
              + ", not what the test waits for");
        }
      }
    }
  }
}
