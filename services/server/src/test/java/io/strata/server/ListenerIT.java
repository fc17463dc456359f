package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged server's listener and bootstrap token, as an operator starts it (STRATA_* unset or set). */
class ListenerIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path dir;

  @Test
  void aNonLoopbackHostWithAuthUnsetRefusesToStart() throws Exception {
    Process p = start(Map.of("STRATA_HOST", "0.0.0.0"), freePort(), dir.resolve("a"));
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = log(dir.resolve("a"));
    assertThat(p.exitValue()).as(out).isNotZero();
    assertThat(out).contains("STRATA_HOST=0.0.0.0").contains("STRATA_AUTH=token");
    assertThat(Files.exists(dir.resolve("a").resolve("postgres"))).as("nothing started").isFalse();
  }

  @Test
  void byDefaultTheListenerIsLoopbackOnly() throws Exception {
    Optional<InetAddress> outside = nonLoopbackAddress();
    Assumptions.assumeTrue(outside.isPresent(), "this machine has no non-loopback IPv4 address");
    int port = freePort();
    Process p = start(Map.of(), port, dir.resolve("b"));
    try {
      awaitReady(p, port);
      assertThat(reachable(outside.get(), port)).as("listening on " + outside.get()).isFalse();
    } finally {
      stop(p);
    }
  }

  @Test
  void tokenModeOnAnOpenAddressGeneratesTheAdminTokenFileAndNamesIt() throws Exception {
    Optional<InetAddress> outside = nonLoopbackAddress();
    int port = freePort();
    Path data = dir.resolve("c");
    Process p = start(Map.of("STRATA_HOST", "0.0.0.0", "STRATA_AUTH", "token"), port, data);
    try {
      awaitReady(p, port);
      Path file = data.resolve("admin-token");
      assertThat(Files.getPosixFilePermissions(file))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
      String secret = Files.readString(file).trim();
      String host = outside.map(InetAddress::getHostAddress).orElse("127.0.0.1");
      assertThat(get(host, port, "/api/v1/repositories", null).statusCode()).isEqualTo(401);
      assertThat(get(host, port, "/api/v1/repositories", secret).statusCode()).isEqualTo(200);
      stop(p);
      assertThat(log(data)).contains(file.toString()).doesNotContain(secret);
    } finally {
      stop(p);
    }
  }

  @Test
  void anExplicitlyOpenApiOnAnOpenAddressStartsAndSaysSo() throws Exception {
    int port = freePort();
    Process p = start(Map.of("STRATA_HOST", "0.0.0.0", "STRATA_AUTH", "none"), port, dir.resolve("d"));
    try {
      awaitReady(p, port);
      stop(p);
      assertThat(log(dir.resolve("d"))).contains("the API is OPEN");
    } finally {
      stop(p);
    }
  }

  private static Process start(Map<String, String> env, int port, Path dataDir) throws IOException {
    String jar = Path.of(System.getProperty("strata.server.jar", "target/quarkus-app/quarkus-run.jar"))
        .toAbsolutePath().toString();
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-jar", jar).redirectErrorStream(true)
        .redirectOutput(dataDir.resolveSibling(dataDir.getFileName() + ".log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("STRATA_") || k.startsWith("QUARKUS_"));
    pb.environment().put("STRATA_PORT", String.valueOf(port));
    pb.environment().put("STRATA_DATA_DIR", dataDir.toString());
    pb.environment().putAll(env);
    return pb.start();
  }

  private static String log(Path dataDir) throws IOException {
    return Files.readString(dataDir.resolveSibling(dataDir.getFileName() + ".log"));
  }

  private static void awaitReady(Process p, int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(p.isAlive()).as("server exited").isTrue();
      try {
        if (get("127.0.0.1", port, "/ready", null).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("server not ready in time");
  }

  private static HttpResponse<String> get(String host, int port, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
        .timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void stop(Process p) throws InterruptedException {
    if (p.isAlive()) {
      p.destroy();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static boolean reachable(InetAddress address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 2000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
    for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (i.isUp() && !i.isLoopback()) {
        for (InetAddress a : Collections.list(i.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            return Optional.of(a);
          }
        }
      }
    }
    return Optional.empty();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
