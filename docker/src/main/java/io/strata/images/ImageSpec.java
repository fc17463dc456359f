package io.strata.images;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One image: a Quarkus application (its fast-jar directory, {@code target/quarkus-app}) on the shared runtime root.
 *
 * @param name         the image's repository name (as k8s/ names it), tagged with the project version and
 *                     {@code latest}; the tar is named after it ({@code strata-server-image.tar})
 * @param description  the {@code org.opencontainers.image.description} label
 * @param application  the application's {@code quarkus-app} directory
 * @param home         where the application lies in the image (the working directory)
 * @param port         the port the application listens on
 * @param environment  variables beyond the runtime's own (PATH, JAVA_HOME, LANG)
 * @param writable     directories the application's user owns (mode 700); everything else is root's
 */
record ImageSpec(
    String name,
    String description,
    Path application,
    String home,
    int port,
    Map<String, String> environment,
    List<String> writable) {

  /** The numeric user and group the applications run as: orchestrators checking runAsNonRoot need a number. */
  static final String USER = "10001:10001";

  static ImageSpec server(Path repository) {
    return new ImageSpec(
        "strata/server",
        "Strata: Git for data over PostgreSQL tables (REST API, event log, projectors)",
        repository.resolve("services/server/target/quarkus-app"),
        "/opt/strata",
        8000,
        // A listener on the container's loopback would be unreachable, so the image listens on every address;
        // Strata then refuses to start until STRATA_AUTH says token (or none, on purpose).
        Map.of("STRATA_HOST", "0.0.0.0", "STRATA_DATA_DIR", "/var/lib/strata"),
        // the generated admin-token when STRATA_ADMIN_TOKEN is unset; the embedded PostgreSQL when no database is set
        List.of("/var/lib/strata"));
  }

  static ImageSpec promotion(Path repository) {
    return new ImageSpec(
        "strata/promotion",
        "Strata's promotion service: follows the event feed and moves data along promotion paths",
        repository.resolve("services/promotion/target/quarkus-app"),
        "/opt/strata-promotion",
        8001,
        Map.of("STRATA_PROMOTION_HOST", "0.0.0.0"),
        List.of());
  }
}
