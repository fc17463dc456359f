package io.strata.promotion;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The promotion service speaks only the public API: it depends on the generated client and the event schemas'
 * shared rules, never on the server's or the projections' classes; and HTTP is spoken by the two classes that
 * stand for the server (the client's calls, the event stream), not by the decisions.
 */
class PromotionServiceLayeringTest {
  private static final JavaClasses SERVICE = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.strata.promotion");

  @Test
  void theServiceUsesOnlyThePublicApi() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("io.strata.server..", "io.strata.projections..")
        .check(SERVICE);
  }

  @Test
  void httpIsSpokenOnlyWhereTheServerIsStoodFor() {
    noClasses().that().doNotHaveSimpleName("StrataApi").and().doNotHaveSimpleName("EventFeed")
        .and().doNotHaveSimpleName("PolicyFiles")
        .should().dependOnClassesThat().resideInAnyPackage("java.net.http..").check(SERVICE);
    noClasses().that().haveSimpleName("NextStep").should().dependOnClassesThat()
        .resideInAnyPackage("io.strata.client.api..", "java.net..", "java.io..").check(SERVICE);
  }
}
