package io.strata.benchmarks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads the relay's topic from its start on a thread of its own: records, their append times, commits. */
final class TopicReader extends Thread implements AutoCloseable {
  static final String TOPIC = "strata.events";
  private static final String COMMIT_CREATED = "io.strata.commit.created";

  private final KafkaConsumer<String, byte[]> consumer;
  final AtomicLong count = new AtomicLong();
  final AtomicLong firstTimestamp = new AtomicLong(Long.MAX_VALUE);
  final AtomicLong lastTimestamp = new AtomicLong(Long.MIN_VALUE);
  final AtomicLong lastReadAt = new AtomicLong();
  final AtomicLong duplicates = new AtomicLong();
  /** Commit id to when its commit.created record was read (nanoTime). */
  final Map<String, Long> commits = new ConcurrentHashMap<>();
  private final List<Long> timestamps = Collections.synchronizedList(new ArrayList<>());
  private volatile boolean stop;

  TopicReader(String bootstrap) {
    super("topic-reader");
    setDaemon(true);
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10"); // read a record as soon as it is there
    consumer = new KafkaConsumer<>(p);
  }

  long appendedBetween(long fromMs, long toMs) {
    synchronized (timestamps) {
      return timestamps.stream().filter(t -> t >= fromMs && t <= toMs).count();
    }
  }

  @Override
  public void run() {
    List<TopicPartition> partitions = new ArrayList<>();
    while (partitions.isEmpty() && !stop) {
      consumer.listTopics(Duration.ofSeconds(5)).getOrDefault(TOPIC, List.of())
          .forEach(info -> partitions.add(new TopicPartition(TOPIC, info.partition())));
      if (partitions.isEmpty()) {
        LockSupport.parkNanos(50_000_000L);
      }
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    while (!stop) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        long now = System.nanoTime();
        String type = header(r, "ce_type");
        String subject = header(r, "ce_subject");
        if (type != null && type.startsWith(COMMIT_CREATED) && subject != null && subject.startsWith("commits/")) {
          if (commits.putIfAbsent(subject.substring("commits/".length()), now) != null) {
            duplicates.incrementAndGet();
          }
        }
        firstTimestamp.accumulateAndGet(r.timestamp(), Math::min);
        lastTimestamp.accumulateAndGet(r.timestamp(), Math::max);
        timestamps.add(r.timestamp());
        lastReadAt.set(now);
        count.incrementAndGet();
      }
    }
    consumer.close();
  }

  private static String header(ConsumerRecord<String, byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    join(5000);
  }
}
