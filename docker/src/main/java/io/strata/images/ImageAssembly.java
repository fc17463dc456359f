package io.strata.images;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.api.buildplan.Port;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Writes one image as a tar ({@code docker load}, {@code podman load}, {@code skopeo copy docker-archive:…}): the
 * shared layers (runtime root, Java runtime), then the application's, least changing first (its libraries, then
 * Quarkus' generated classes and the application's own jar), so a rebuild after a code change pushes little.
 * Reproducible: files keep Jib's fixed time stamp and the image its fixed creation time.
 */
final class ImageAssembly {

  static final String JAVA_HOME = "/opt/java";

  private ImageAssembly() {
  }

  /**
   * @param shared  the layers every image has (runtime root, Java runtime), bottom first
   * @param labels  labels beyond the image's own (the package versions, say)
   * @param version the tag (beside {@code latest})
   */
  static void write(ImageSpec spec, List<FileEntriesLayer> shared, Map<String, String> labels, String version,
      Path output, Path cache) throws Exception {
    Path app = spec.application();
    if (!Files.isRegularFile(app.resolve("quarkus-run.jar"))) {
      throw new IllegalStateException(app + " holds no packaged application: package " + spec.name() + " first");
    }
    List<FileEntriesLayer> layers = new ArrayList<>(shared);
    layers.add(DirectoryLayer.of("dependencies", app.resolve("lib"), spec.home() + "/lib", Map.of()));
    layers.add(DirectoryLayer.of("quarkus", app.resolve("quarkus"), spec.home() + "/quarkus", Map.of()));
    layers.add(DirectoryLayer.of("application", app.resolve("app"), spec.home() + "/app", Map.of()));
    layers.add(FileEntriesLayer.builder().setName("launcher")
        .addEntry(app.resolve("quarkus-run.jar"), AbsoluteUnixPath.get(spec.home() + "/quarkus-run.jar"))
        .build());

    Map<String, String> environment = new LinkedHashMap<>();
    environment.put("PATH", JAVA_HOME + "/bin:/usr/local/bin:/usr/bin:/bin");
    environment.put("JAVA_HOME", JAVA_HOME);
    // glibc's built-in UTF-8 locale: Java 17 takes its default charset from it, PostgreSQL's initdb its encoding
    environment.put("LANG", "C.UTF-8");
    environment.putAll(spec.environment());

    Map<String, String> allLabels = new LinkedHashMap<>();
    allLabels.put("org.opencontainers.image.title", spec.name());
    allLabels.put("org.opencontainers.image.description", spec.description());
    allLabels.put("org.opencontainers.image.version", version);
    allLabels.putAll(labels);

    JibContainerBuilder image = Jib.fromScratch()
        .setFormat(ImageFormat.Docker)
        .setFileEntriesLayers(layers)
        .setEnvironment(environment)
        .setWorkingDirectory(AbsoluteUnixPath.get(spec.home()))
        .setUser(ImageSpec.USER)
        .addExposedPort(Port.tcp(spec.port()))
        .setLabels(allLabels)
        // exec form: java is PID 1 and gets the SIGTERM of `docker stop`, so Quarkus shuts down cleanly.
        // JVM options go in JAVA_TOOL_OPTIONS (e.g. -XX:MaxRAMPercentage=75).
        .setEntrypoint(JAVA_HOME + "/bin/java", "-jar", spec.home() + "/quarkus-run.jar");

    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Files.deleteIfExists(output);
      image.containerize(Containerizer.to(TarImage.at(output).named(spec.name() + ":" + version))
          .withAdditionalTag("latest")
          .setBaseImageLayersCache(cache)
          .setApplicationLayersCache(cache)
          .setExecutorService(threads)
          .setToolName("strata-images")
          .addEventHandler(LogEvent.class, ImageAssembly::log));
    } finally {
      threads.shutdownNow();
    }
  }

  private static void log(LogEvent event) {
    boolean shown = event.getLevel() == LogEvent.Level.ERROR || event.getLevel() == LogEvent.Level.WARN
        || event.getLevel() == LogEvent.Level.LIFECYCLE;
    if (shown && !event.getMessage().isBlank()) {
      System.out.println("[jib] " + event.getMessage());
    }
  }
}
