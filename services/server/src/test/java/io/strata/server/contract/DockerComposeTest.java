package io.strata.server.contract;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.strata.server.runtime.DatabaseSettings;
import io.strata.server.runtime.ListenerPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker/compose.yaml and docker/Dockerfile stay runnable and true to the server, checked without a
 * Docker engine (this build has none, so nothing here starts a container): the services and their
 * start-up order, every STRATA_* setting documented in the README, a listener beyond loopback only
 * with token auth (ListenerPolicy's own rule), the database URL naming the compose database, and an
 * image that runs quarkus-run.jar as a user other than root.
 */
class DockerComposeTest {
  private static final Path ROOT = Path.of("../..");
  private static final Path COMPOSE = ROOT.resolve("docker/compose.yaml");
  private static final Path DOCKERFILE = ROOT.resolve("docker/Dockerfile");
  private static final Pattern VARIABLE = Pattern.compile("STRATA_[A-Z0-9_]+");

  private static JsonNode compose() throws IOException {
    return new YAMLMapper().readTree(COMPOSE.toFile());
  }

  private static JsonNode service(String name) throws IOException {
    JsonNode service = compose().path("services").path(name);
    assertThat(service.isObject()).as("service " + name + " in " + COMPOSE).isTrue();
    return service;
  }

  /** A service's environment as a map (compose allows a map or a list of NAME=value). */
  private static Map<String, String> environment(JsonNode service) {
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode node = service.path("environment");
    if (node.isArray()) {
      node.forEach(e -> {
        String[] kv = e.asText().split("=", 2);
        env.put(kv[0], kv.length > 1 ? kv[1] : null);
      });
    } else {
      node.fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
    }
    return env;
  }

  @Test
  void theThreeServicesAreThereAndStrataIsBuiltFromTheDockerfile() throws IOException {
    List<String> names = new ArrayList<>();
    compose().path("services").fieldNames().forEachRemaining(names::add);
    assertThat(names).contains("postgres", "kafka", "strata");

    JsonNode build = service("strata").path("build");
    assertThat(build.path("context").asText()).isEqualTo("..");
    // the context is relative to the compose file, the dockerfile relative to the context
    Path context = COMPOSE.getParent().resolve(build.path("context").asText()).normalize();
    assertThat(context.resolve(build.path("dockerfile").asText()).normalize()).isEqualTo(DOCKERFILE.normalize());
    assertThat(Files.exists(context.resolve(".dockerignore"))).as("a .dockerignore at the build context").isTrue();

    assertThat(service("postgres").path("image").asText()).startsWith("postgres:17");
    assertThat(service("kafka").path("image").asText()).startsWith("apache/kafka:");
  }

  @Test
  void strataStartsOnlyOnceTheDatabaseAndKafkaAreHealthy() throws IOException {
    JsonNode dependsOn = service("strata").path("depends_on");
    for (String dependency : List.of("postgres", "kafka")) {
      assertThat(dependsOn.path(dependency).path("condition").asText()).as("strata depends_on " + dependency)
          .isEqualTo("service_healthy");
      // without a healthcheck, service_healthy is never reached and strata never starts
      assertThat(service(dependency).path("healthcheck").path("test").isMissingNode()).as(dependency + " healthcheck")
          .isFalse();
    }
    assertThat(service("postgres").path("healthcheck").path("test").toString()).contains("pg_isready");
  }

  @Test
  void everyStrataSettingTheFilesSetIsDocumentedInTheReadme() throws IOException {
    Set<String> documented = documentedSettings();
    assertThat(documented).as("the README's configuration table").contains("STRATA_DATABASE_URL", "STRATA_HOST");

    Set<String> set = new LinkedHashSet<>();
    environment(service("strata")).keySet().stream().filter(k -> k.startsWith("STRATA_")).forEach(set::add);
    set.addAll(dockerfileEnv().keySet().stream().filter(k -> k.startsWith("STRATA_")).toList());
    assertThat(set).contains("STRATA_DATABASE_URL", "STRATA_HOST", "STRATA_AUTH", "STRATA_ADMIN_TOKEN",
        "STRATA_DATA_DIR", "STRATA_KAFKA_BOOTSTRAP_SERVERS");
    for (String name : set) {
      assertThat(documented).as(name + " is set by docker/ but not in the README's configuration table").contains(name);
    }
  }

  @Test
  void aListenerBeyondLoopbackHasTokenAuth() throws IOException {
    Map<String, String> env = environment(service("strata"));
    Map<String, String> image = dockerfileEnv();
    // compose's environment overrides the image's ENV
    String host = env.getOrDefault("STRATA_HOST", image.get("STRATA_HOST"));
    String auth = env.getOrDefault("STRATA_AUTH", image.get("STRATA_AUTH"));
    assertThat(host).as("a container must listen beyond its own loopback to be reached").isNotNull();
    if (!ListenerPolicy.isLoopback(host)) {
      assertThat(auth).as("STRATA_HOST=" + host + " needs token auth").isEqualTo("token");
    }
    // the server's own start-up rule: it starts, and without the open-API warning
    assertThat(ListenerPolicy.check(auth, host)).isEqualTo(new ListenerPolicy.Verdict(true, null));

    // the admin token comes from the environment and is required there: no secret in the file
    assertThat(env.get("STRATA_ADMIN_TOKEN")).matches("\\$\\{STRATA_ADMIN_TOKEN:\\?[^}]+}");
    assertThat(env.get("STRATA_DATA_DIR")).as("STRATA_DATA_DIR").startsWith("/");
  }

  @Test
  void theDatabaseUrlNamesTheComposeDatabase() throws IOException {
    Map<String, String> pg = environment(service("postgres"));
    DatabaseSettings db = DatabaseSettings.parse(environment(service("strata")).get("STRATA_DATABASE_URL"));
    assertThat(db.host()).isEqualTo("postgres");
    assertThat(db.port()).isEqualTo(5432);
    assertThat(db.user()).isEqualTo(pg.get("POSTGRES_USER"));
    assertThat(db.password()).isEqualTo(pg.get("POSTGRES_PASSWORD"));
    assertThat(db.database()).isEqualTo(pg.get("POSTGRES_DB"));
  }

  @Test
  void kafkaIsOneKRaftNodeThatStrataReachesByServiceName() throws IOException {
    Map<String, String> kafka = environment(service("kafka"));
    assertThat(kafka.get("KAFKA_PROCESS_ROLES").split(",")).containsExactlyInAnyOrder("broker", "controller");
    String nodeId = kafka.get("KAFKA_NODE_ID");
    assertThat(nodeId).isNotBlank();
    assertThat(kafka.get("KAFKA_CONTROLLER_QUORUM_VOTERS")).startsWith(nodeId + "@");
    assertThat(kafka.get("KAFKA_CONTROLLER_LISTENER_NAMES")).isNotBlank();
    assertThat(kafka.get("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR")).isEqualTo("1");

    String bootstrap = environment(service("strata")).get("STRATA_KAFKA_BOOTSTRAP_SERVERS");
    assertThat(bootstrap).isEqualTo("kafka:9092");
    // a client talks to what the broker advertises, so the containers' listener must advertise kafka:9092
    assertThat(kafka.get("KAFKA_ADVERTISED_LISTENERS")).contains("://" + bootstrap);
  }

  @Test
  void port8000IsPublishedAndExposed() throws IOException {
    List<String> ports = new ArrayList<>();
    service("strata").path("ports").forEach(p -> ports.add(p.asText()));
    assertThat(ports).anyMatch(p -> p.endsWith(":8000"));
    assertThat(environment(service("strata")).getOrDefault("STRATA_PORT", "8000")).isEqualTo("8000");
    assertThat(finalStage()).anyMatch(i -> i.equals("EXPOSE 8000"));
  }

  @Test
  void theImageBuildsWithMavenAndRunsTheFastJarAsAUserOtherThanRoot() throws IOException {
    List<List<String>> stages = stages();
    assertThat(stages).hasSizeGreaterThanOrEqualTo(2);
    assertThat(stages.get(0).get(0)).startsWith("FROM maven:").contains("temurin-17");
    assertThat(stages.get(0)).anyMatch(i -> i.startsWith("RUN mvn -B -ntp -DskipTests package"));

    List<String> last = finalStage();
    assertThat(last.get(0)).startsWith("FROM eclipse-temurin:17-jre");
    for (String part : List.of("lib/", "app/", "quarkus/", "quarkus-run.jar")) {
      assertThat(last).as("the final stage copies quarkus-app/" + part)
          .anyMatch(i -> i.startsWith("COPY --from=") && i.contains("services/server/target/quarkus-app/" + part));
    }
    String user = last.stream().filter(i -> i.startsWith("USER ")).reduce((a, b) -> b).orElse("USER root");
    String name = user.substring("USER ".length()).trim().split(":")[0];
    assertThat(name).as("the final stage's USER").isNotIn("root", "0");
    // the USER must come before what runs: everything after it runs as that user
    int userAt = last.lastIndexOf(user);
    int entrypointAt = indexOfLast(last, i -> i.startsWith("ENTRYPOINT") || i.startsWith("CMD"));
    assertThat(entrypointAt).isGreaterThan(userAt);
    assertThat(last.get(entrypointAt)).contains("\"java\"", "\"-jar\"", "\"quarkus-run.jar\"");
  }

  /** Maven reads every module the root pom lists: an image build that lacks one of their poms fails at once. */
  @Test
  void bothImagesCopyThePomOfEveryModule() throws IOException {
    java.util.regex.Matcher module = java.util.regex.Pattern.compile("<module>([^<]+)</module>")
        .matcher(Files.readString(ROOT.resolve("pom.xml")));
    java.util.List<String> modules = new java.util.ArrayList<>();
    while (module.find()) {
      modules.add(module.group(1));
    }
    org.assertj.core.api.Assertions.assertThat(modules).hasSizeGreaterThan(5);
    for (String dockerfile : java.util.List.of("docker/Dockerfile", "docker/promotion.Dockerfile")) {
      String text = Files.readString(ROOT.resolve(dockerfile));
      for (String m : modules) {
        org.assertj.core.api.Assertions.assertThat(text).as(dockerfile + " copies " + m + "/pom.xml")
            .contains("COPY " + m + "/pom.xml " + m + "/");
      }
    }
  }

  @Test
  void theBuildContextLeavesOutOutputsDataAndGit() throws IOException {
    List<String> ignored = Files.readAllLines(ROOT.resolve(".dockerignore")).stream()
        .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    assertThat(ignored).contains("**/target/", "**/.strata/", ".git");
  }

  // --- the README's configuration table ---------------------------------------------------------

  /**
   * The names in the first column of the README's configuration table. A row may name a second
   * setting by its changed ending ({@code `STRATA_IDEMPOTENCY_TTL` / `_PURGE_INTERVAL`}); that ending
   * replaces the first name's last one or two words.
   */
  static Set<String> documentedSettings() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int start = readme.indexOf("\n## Configuration");
    assertThat(start).as("README has a Configuration section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    Set<String> names = new LinkedHashSet<>();
    Pattern cell = Pattern.compile("`([A-Z0-9_]+)`");
    for (String line : section.split("\n")) {
      if (!line.startsWith("| `")) {
        continue;
      }
      String first = line.substring(1, line.indexOf('|', 1));
      Matcher m = cell.matcher(first);
      String full = null;
      while (m.find()) {
        String name = m.group(1);
        if (VARIABLE.matcher(name).matches()) {
          full = name;
          names.add(name);
        } else if (name.startsWith("_") && full != null) {
          String[] words = full.split("_");
          for (int drop = 1; drop <= 2 && drop < words.length - 1; drop++) {
            names.add(String.join("_", List.of(words).subList(0, words.length - drop)) + name);
          }
        }
      }
    }
    return names;
  }

  // --- the Dockerfile, read as instructions -----------------------------------------------------

  /** The instructions, continuation lines joined and comments dropped, split into stages at FROM. */
  static List<List<String>> stages() throws IOException {
    List<String> instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : Files.readAllLines(DOCKERFILE)) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      String instruction = current.toString().replaceAll("\\s+", " ").trim();
      current.setLength(0);
      if (!instruction.isEmpty()) {
        int space = instruction.indexOf(' ');
        instructions.add(instruction.substring(0, space).toUpperCase(Locale.ROOT) + instruction.substring(space));
      }
    }
    List<List<String>> stages = new ArrayList<>();
    for (String instruction : instructions) {
      if (instruction.startsWith("FROM ")) {
        stages.add(new ArrayList<>());
      }
      assertThat(stages).as("the Dockerfile starts with FROM").isNotEmpty();
      stages.get(stages.size() - 1).add(instruction);
    }
    return stages;
  }

  static List<String> finalStage() throws IOException {
    List<List<String>> stages = stages();
    return stages.get(stages.size() - 1);
  }

  /** The final stage's ENV, which is what the running container starts with. */
  static Map<String, String> dockerfileEnv() throws IOException {
    Map<String, String> env = new HashMap<>();
    for (String instruction : finalStage()) {
      if (instruction.startsWith("ENV ")) {
        for (String pair : instruction.substring("ENV ".length()).trim().split(" ")) {
          String[] kv = pair.split("=", 2);
          assertThat(kv).as("ENV in KEY=value form: " + instruction).hasSize(2);
          env.put(kv[0], kv[1]);
        }
      }
    }
    return env;
  }

  private static int indexOfLast(List<String> list, java.util.function.Predicate<String> p) {
    for (int i = list.size() - 1; i >= 0; i--) {
      if (p.test(list.get(i))) {
        return i;
      }
    }
    return -1;
  }
}
