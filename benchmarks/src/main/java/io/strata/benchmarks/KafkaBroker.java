package io.strata.benchmarks;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A one-node Kafka (KRaft, broker and controller in one) run as a child JVM from this JVM's classpath:
 * {@code kafka.tools.StorageTool format}, then {@code kafka.Kafka}, listening on a port chosen by the
 * caller (so that a server can be pointed at it before it runs). Records get the broker's append time
 * as their timestamp ({@code log.message.timestamp.type=LogAppendTime}), which times the relay's
 * sends independently of the consumer. Killed with this JVM.
 */
final class KafkaBroker implements AutoCloseable {
  private final Process process;
  private final Path dir;
  final String bootstrap;

  private KafkaBroker(Process process, Path dir, String bootstrap) {
    this.process = process;
    this.dir = dir;
    this.bootstrap = bootstrap;
  }

  /** Formats a fresh log directory and starts the broker on {@code port}; answers once it serves. */
  static KafkaBroker start(int port, int controllerPort) throws Exception {
    Path dir = Files.createTempDirectory("strata-bench-kafka");
    Path props = dir.resolve("server.properties");
    Files.writeString(props, String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        "log.dirs=" + dir.resolve("logs"),
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "log.message.timestamp.type=LogAppendTime",
        ""));
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("java.class.path");
    File log = dir.resolve("kafka.log").toFile();
    Process format = new ProcessBuilder(javaBin, "-Xmx256m", "-cp", cp, "kafka.tools.StorageTool", "format",
        "-t", Uuid.randomUuid().toString(), "-c", props.toString())
        .redirectErrorStream(true).redirectOutput(log).start();
    if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
      throw new IllegalStateException("kafka storage format failed: " + Files.readString(log.toPath()));
    }
    Process kafka = new ProcessBuilder(javaBin, "-Xmx512m", "-Xms512m", "-cp", cp, "kafka.Kafka", props.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
    KafkaBroker broker = new KafkaBroker(kafka, dir, "127.0.0.1:" + port);
    Runtime.getRuntime().addShutdownHook(new Thread(broker::kill));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!kafka.isAlive()) {
        throw new IllegalStateException("kafka exited: " + Files.readString(log.toPath()));
      }
      if (serves(port)) {
        break;
      }
      if (System.nanoTime() > deadline) {
        broker.kill();
        throw new IllegalStateException("kafka did not start in 60 s: " + Files.readString(log.toPath()));
      }
      Thread.sleep(100);
    }
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap,
        AdminClientConfig.CLIENT_ID_CONFIG, "bench-" + UUID.randomUUID()))) {
      admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
    }
    return broker;
  }

  private static boolean serves(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void kill() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    } catch (IOException ignored) {
      // a temporary directory
    }
  }

  /** The broker's process id (its CPU time is accounted for by the runners). */
  public long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    kill();
  }
}
