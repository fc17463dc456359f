package io.strata.server.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import io.strata.server.application.CommandContext;
import io.strata.server.application.CommandProcessor;
import io.strata.server.application.Permits;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering the code must keep, checked on the compiled classes of every module: a dependency
 * against these rules fails the build, it is not left to review.
 */
class LayeringTest {
  private static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.strata");
  /** Modules: the server on projections on event schemas, never the other way. */
  private static final ArchRule eventSchemasDependOnNoOtherModule = noClasses()
      .that().resideInAPackage("io.strata.events..")
      .should().dependOnClassesThat().resideInAnyPackage("io.strata.projections..", "io.strata.server..");

  private static final ArchRule projectionsDoNotDependOnTheServer = noClasses()
      .that().resideInAPackage("io.strata.projections..")
      .should().dependOnClassesThat().resideInAPackage("io.strata.server..");

  /**
   * The server: the API (resources, filters, wire DTOs) turns HTTP into calls of the application services
   * and their results into HTTP; the application services (one per command family) load state, decide
   * through the domain, do the data work and append, for every caller: the API and, in process, the
   * reactors (and the promotion work to come). Queries serve the API's reads. Access (tokens, grants,
   * the permission rules) is below both, so that the application checks permissions in one place for
   * every caller. Reactors (the Kafka relay, webhooks) act on the event feed.
   */
  private static final ArchRule serverLayers = layeredArchitecture().consideringOnlyDependenciesInAnyPackage("io.strata.server..")
      .layer("Api").definedBy("io.strata.server.api..")
      .layer("Application").definedBy("io.strata.server.application..")
      .layer("Queries").definedBy("io.strata.server.queries..")
      .layer("Reactors").definedBy("io.strata.server.reactors..")
      .layer("Access").definedBy("io.strata.server.auth..")
      .layer("Runtime").definedBy("io.strata.server.runtime..")
      .layer("Domain").definedBy("io.strata.server.domain..")
      .layer("Main").definedBy("io.strata.server")
      .whereLayer("Api").mayOnlyBeAccessedByLayers("Main")
      .whereLayer("Application").mayOnlyBeAccessedByLayers("Api", "Reactors")
      .whereLayer("Queries").mayOnlyBeAccessedByLayers("Api")
      .whereLayer("Reactors").mayOnlyBeAccessedByLayers("Api", "Main")
      .whereLayer("Access").mayOnlyBeAccessedByLayers("Api", "Application", "Reactors")
      .whereLayer("Runtime").mayOnlyBeAccessedByLayers("Api", "Application", "Queries", "Reactors", "Access", "Main")
      .whereLayer("Domain").mayOnlyBeAccessedByLayers("Api", "Application", "Queries", "Reactors", "Access", "Runtime",
          "Main");

  /**
   * HTTP exists only in the API: nothing else in the server knows JAX-RS, RESTEasy or the HTTP server's
   * requests and answers (statuses, headers and bodies are the API's). Webhooks send HTTP as a client
   * (io.vertx.core.http.HttpClient), which is their job, not serving it.
   */
  private static final ArchRule httpOnlyInTheApi = noClasses()
      .that().resideInAPackage("io.strata.server..").and().resideOutsideOfPackage("io.strata.server.api..")
      .should().dependOnClassesThat().resideInAnyPackage("jakarta.ws.rs..", "org.jboss.resteasy..")
      .orShould().dependOnClassesThat().haveNameMatching("io\\.vertx\\.(mutiny\\.)?core\\.http\\.HttpServer.*");

  /** Below the API and the reactors, no HTTP at all: not even a client. */
  private static final ArchRule noHttpBelowTheApi = noClasses()
      .that().resideInAnyPackage("io.strata.server.application..", "io.strata.server.domain..",
          "io.strata.server.queries..", "io.strata.server.auth..")
      .should().dependOnClassesThat().resideInAnyPackage("io.vertx.core.http..", "io.vertx.mutiny.core.http..",
          "jakarta.ws.rs..", "org.jboss.resteasy..");

  private static final ArchRule serverPackagesAreFreeOfCycles = slices().matching("io.strata.server.(*)..")
      .should().beFreeOfCycles();

  /**
   * Every operation of an application service (a public method taking a {@code CommandContext}) names the
   * permission it needs ({@code @Permits}), checked for every caller: one left without is a build failure,
   * not an open door. The processor under them is the application's own: no caller reaches it directly.
   */
  private static final ArchRule everyOperationNamesItsPermission = methods()
      .that().arePublic().and().areDeclaredInClassesThat().resideInAPackage("io.strata.server.application..")
      .and().areDeclaredInClassesThat().areAnnotatedWith(ApplicationScoped.class)
      .and().areDeclaredInClassesThat().doNotHaveSimpleName("CommandProcessor")
      .and(new DescribedPredicate<JavaMethod>("take a CommandContext") {
        @Override
        public boolean test(JavaMethod m) {
          return m.getRawParameterTypes().stream().anyMatch(t -> t.isEquivalentTo(CommandContext.class));
        }
      })
      .should().beAnnotatedWith(Permits.class);

  private static final ArchRule theProcessorIsTheApplicationsOwn = noClasses()
      .that().resideOutsideOfPackage("io.strata.server.application..")
      .should().dependOnClassesThat().haveFullyQualifiedName(CommandProcessor.class.getName());

  /** The data plane (overlays, capture, branch views) does not lean on read-model rows. */
  private static final ArchRule dataPlaneUsesNoReadModelRows = noClasses()
      .that().resideInAPackage("io.strata.projections.overlay..")
      .should().dependOnClassesThat().resideInAnyPackage("io.strata.projections.tables..",
          "io.strata.projections.refs..", "io.strata.projections.graph..", "io.strata.projections.storage..");

  /**
   * The row-data roles say what a backend does, not how: no PostgreSQL (nor any other backend) in
   * their types, so a Delta Lake backend can implement them.
   */
  private static final ArchRule rowDataRolesNameNoBackend = noClasses()
      .that().resideInAPackage("io.strata.projections.rowdata..")
      .should().dependOnClassesThat().resideInAnyPackage("io.strata.projections.overlay..",
          "io.strata.projections.postgres..", "io.strata.projections.tables..", "io.vertx..");

  /**
   * The server talks to the row-data roles only: the runtime, which wires the server together (pools,
   * layout upgrades, the producers of the roles' PostgreSQL implementations), is the one place that
   * names the PostgreSQL backend.
   */
  private static final ArchRule serverTalksToRowDataRoles = noClasses()
      .that().resideInAPackage("io.strata.server..").and().resideOutsideOfPackage("io.strata.server.runtime..")
      .should().dependOnClassesThat().resideInAPackage("io.strata.projections.overlay..");

  /**
   * SQL lives in adapters only. The application and the domain open no connection and run no SQL: data
   * work runs in units of work the registry of storages opens ({@code runtime.StorageBackends}), whose
   * row-data roles say what to do, and the event log's transaction is a unit too ({@code
   * runtime.EventAppends}). The adapters are the runtime, the read side's queries (PostgreSQL read
   * transactions and snapshots, the SQL endpoint) and the stores of access and the reactors.
   */
  private static final ArchRule sqlOnlyInAdapters = noClasses()
      .that().resideInAnyPackage("io.strata.server.api..", "io.strata.server.application..",
          "io.strata.server.domain..", "io.strata.server.reactors..", "io.strata.server.auth..")
      .and().haveSimpleNameNotEndingWith("Store").and().doNotHaveSimpleName("ReactorCheckpoints")
      .should().dependOnClassesThat().resideInAnyPackage("io.vertx.sqlclient..", "io.vertx.mutiny.sqlclient..",
          "io.vertx.pgclient..", "io.vertx.mutiny.pgclient..");

  @Test
  void theModulesDependDownwardsOnly() {
    eventSchemasDependOnNoOtherModule.check(MAIN);
    projectionsDoNotDependOnTheServer.check(MAIN);
  }

  @Test
  void theServerKeepsItsLayers() {
    serverLayers.check(MAIN);
    serverPackagesAreFreeOfCycles.check(MAIN);
  }

  @Test
  void everyApplicationOperationChecksItsCallersPermission() {
    everyOperationNamesItsPermission.check(MAIN);
    theProcessorIsTheApplicationsOwn.check(MAIN);
  }

  @Test
  void onlyTheApiKnowsHttp() {
    httpOnlyInTheApi.check(MAIN);
    noHttpBelowTheApi.check(MAIN);
  }

  @Test
  void theDataPlaneUsesNoReadModelRows() {
    dataPlaneUsesNoReadModelRows.check(MAIN);
  }

  @Test
  void theServerTalksToTheRowDataRolesOnly() {
    rowDataRolesNameNoBackend.check(MAIN);
    serverTalksToRowDataRoles.check(MAIN);
    sqlOnlyInAdapters.check(MAIN);
  }

  /**
   * Where a storage's data work runs (the append's transaction, or the storage's own under the
   * cross-storage protocol) is the registry's answer ({@code runtime.StorageBackends}); the commands
   * never test a storage's name themselves. Read from the sources: a constant such as
   * {@code Storages.LOCAL} is inlined by the compiler, so the classes do not show it.
   */
  @Test
  void commandsAskTheStorageRegistryWhereDataWorkRuns() throws IOException {
    Path application = Path.of("src/main/java/io/strata/server/application");
    try (Stream<Path> files = Files.walk(application)) {
      List<String> testing = files.filter(f -> f.toString().endsWith(".java"))
          .filter(f -> read(f).contains("Storages.LOCAL"))
          .map(f -> f.getFileName().toString()).toList();
      assertThat(testing).as("application classes naming Storages.LOCAL").isEmpty();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
