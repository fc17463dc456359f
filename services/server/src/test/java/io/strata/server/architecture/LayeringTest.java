package io.strata.server.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
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
   * The server: the web layer (resources and the auth filter) on commands and queries, those on the
   * domain and the runtime (configuration, pools) and projections; commands and queries independent
   * of each other and of the web layer. Reactors (the Kafka relay, webhooks) act on the event feed
   * outside the database, beside commands and queries.
   */
  private static final ArchRule serverLayers = layeredArchitecture().consideringOnlyDependenciesInAnyPackage("io.strata.server..")
      .layer("Web").definedBy("io.strata.server.api..", "io.strata.server.auth..")
      .layer("Commands").definedBy("io.strata.server.commands..")
      .layer("Queries").definedBy("io.strata.server.queries..")
      .layer("Reactors").definedBy("io.strata.server.reactors..")
      .layer("Runtime").definedBy("io.strata.server.runtime..")
      .layer("Domain").definedBy("io.strata.server.domain..")
      .layer("Main").definedBy("io.strata.server")
      .whereLayer("Web").mayOnlyBeAccessedByLayers("Main")
      .whereLayer("Commands").mayOnlyBeAccessedByLayers("Web")
      .whereLayer("Queries").mayOnlyBeAccessedByLayers("Web")
      .whereLayer("Reactors").mayOnlyBeAccessedByLayers("Web", "Main")
      .whereLayer("Runtime").mayOnlyBeAccessedByLayers("Web", "Commands", "Queries", "Reactors", "Main")
      .whereLayer("Domain").mayOnlyBeAccessedByLayers("Web", "Commands", "Queries", "Reactors", "Runtime", "Main");

  private static final ArchRule serverPackagesAreFreeOfCycles = slices().matching("io.strata.server.(*)..")
      .should().beFreeOfCycles();

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
  void theDataPlaneUsesNoReadModelRows() {
    dataPlaneUsesNoReadModelRows.check(MAIN);
  }

  @Test
  void theServerTalksToTheRowDataRolesOnly() {
    rowDataRolesNameNoBackend.check(MAIN);
    serverTalksToRowDataRoles.check(MAIN);
  }
}
