package io.strata.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An unpacked image run the way a container runtime runs it, with the machine's own tools and no daemon: its own
 * mount and process namespaces (the entrypoint is PID 1), the image's root bind-mounted read-only, a fresh /tmp,
 * /proc and /dev, named host directories mounted writable, the image's environment, working directory and user.
 * The network is the machine's (ports are chosen free by the caller). Needs root, as a runtime does.
 */
final class Container implements AutoCloseable {

  private final Process process;
  private final Path log;
  private final List<String> environment;

  private Container(Process process, Path log, List<String> environment) {
    this.process = process;
    this.log = log;
    this.environment = environment;
  }

  /**
   * @param volumes image path → host directory mounted there writable (the host directory keeps what is written)
   */
  static Container start(ImageTar image, Path root, Map<String, String> environment, Map<String, Path> volumes,
      Path log) throws IOException {
    var config = image.config.get("config");
    Map<String, String> env = new LinkedHashMap<>();
    image.strings(config.get("Env")).forEach(e -> env.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1)));
    env.putAll(environment);
    List<String> envList = new ArrayList<>();
    env.forEach((k, v) -> envList.add(k + "=" + v));

    StringBuilder script = new StringBuilder("set -eu\nR=\"$1\"\nCHROOT=\"$(command -v chroot)\"\n")
        .append("mount --bind \"$R\" \"$R\"\nmount -o remount,bind,ro \"$R\"\n")
        .append("mount -t tmpfs -o mode=1777 tmpfs \"$R/tmp\"\n")
        .append("mount -t proc proc \"$R/proc\"\n")
        .append("mount --rbind /dev \"$R/dev\"\n");
    for (Map.Entry<String, Path> volume : volumes.entrySet()) {
      script.append("mount --bind '").append(volume.getValue()).append("' \"$R").append(volume.getKey()).append("\"\n");
    }
    // the runtime's part: the image's user, then (in the image's own shell) its working directory and entrypoint
    script.append("exec env -i ").append(quoted(envList)).append(" \"$CHROOT\" --userspec=")
        .append(config.get("User").asText()).append(" \"$R\" /bin/bash -c 'cd \"$0\" && exec \"$@\"' ")
        .append(quoted(List.of(config.get("WorkingDir").asText()))).append(' ')
        .append(quoted(image.strings(config.get("Entrypoint")))).append('\n');
    Path launcher = Files.writeString(log.resolveSibling(log.getFileName() + ".sh"), script.toString());
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));

    Process process = new ProcessBuilder("unshare", "--mount", "--pid", "--fork", "--kill-child",
        "bash", launcher.toString(), root.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    return new Container(process, log, envList);
  }

  /** Runs a command inside a running container's view (same root, user and environment); answers its status. */
  int exec(String... command) throws IOException, InterruptedException {
    long pid = entrypoint().pid();
    List<String> args = new ArrayList<>(List.of("nsenter", "--target", Long.toString(pid), "--mount", "--pid",
        "--root", "--wd=/", "--setuid", "10001", "--setgid", "10001"));
    args.addAll(List.of(command));
    ProcessBuilder builder = new ProcessBuilder(args).redirectErrorStream(true);
    builder.environment().clear();
    environment.forEach(e -> builder.environment().put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1)));
    Process p = builder.start();
    p.getInputStream().transferTo(System.out);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + String.join(" ", command));
    }
    return p.exitValue();
  }

  /** The entrypoint's process (the container's PID 1), seen from the machine. */
  ProcessHandle entrypoint() throws IOException {
    var java = process.descendants()
        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
        .findFirst();
    if (java.isEmpty()) {
      throw new IOException("the entrypoint is not running:\n" + log());
    }
    return java.get();
  }

  boolean running() {
    return process.isAlive();
  }

  String log() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  /** {@code docker stop}: SIGTERM to PID 1, then waits; answers whether it ended in time. */
  boolean stop(Duration grace) throws Exception {
    if (process.isAlive()) {
      entrypoint().destroy();
    }
    return process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static String quoted(List<String> words) {
    List<String> out = new ArrayList<>();
    for (String w : words) {
      out.add("'" + w.replace("'", "'\\''") + "'");
    }
    return String.join(" ", out);
  }
}
