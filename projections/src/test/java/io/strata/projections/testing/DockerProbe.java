package io.strata.projections.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether a Docker engine answers, decided cheaply and without loading Testcontainers: DOCKER_HOST is
 * set, or one of the usual UNIX sockets accepts a connection. (A {@code docker} client on the PATH
 * proves nothing.)
 */
public final class DockerProbe {
  private DockerProbe() {}

  public static boolean available() {
    if (System.getenv("DOCKER_HOST") != null && !System.getenv("DOCKER_HOST").isBlank()) {
      return true;
    }
    String home = System.getProperty("user.home");
    List<Path> sockets = List.of(
        Path.of("/var/run/docker.sock"),
        Path.of(home, ".docker/run/docker.sock"),
        Path.of("/run/user/" + uid() + "/docker.sock"));
    for (Path socket : sockets) {
      if (Files.exists(socket) && connects(socket)) {
        return true;
      }
    }
    return false;
  }

  private static boolean connects(Path socket) {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return ch.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false;
    }
  }

  private static String uid() {
    try {
      return String.valueOf(Files.getAttribute(Path.of(System.getProperty("user.home")), "unix:uid"));
    } catch (Exception e) {
      return "0";
    }
  }
}
