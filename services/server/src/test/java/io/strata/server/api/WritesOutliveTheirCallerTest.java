package io.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.jboss.resteasy.reactive.server.Cancellable;
import org.junit.jupiter.api.Test;

/**
 * Quarkus REST cancels an operation's answer when its client hangs up before it is ready, and with it every
 * step of the operation not yet begun. A write runs several steps — a merge's data work then its append, a
 * promotion's merge, tag, record and clean-up — so a client that goes away mid-way (killed, timed out, its
 * network cut) would leave the write half done. Every write operation is therefore not cancellable: once
 * taken, it is carried through whole (or refused whole), whoever is still listening. Reads stay cancellable:
 * a query whose caller left stops ({@code QueryResource}, {@code SqlQueries}).
 */
class WritesOutliveTheirCallerTest {
  @Test
  void everyWriteOperationIsCarriedThroughWhenItsCallerHangsUp() throws Exception {
    List<String> cancellable = new ArrayList<>();
    int writes = 0;
    for (JavaClass c : new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.strata.server.api")) {
      if (c.getSimpleName().equals("QueryResource")) {
        continue; // a read over POST: its statement is cancelled when its caller leaves
      }
      for (Method m : Class.forName(c.getName()).getDeclaredMethods()) {
        if (m.isAnnotationPresent(POST.class) || m.isAnnotationPresent(PUT.class) || m.isAnnotationPresent(PATCH.class)
            || m.isAnnotationPresent(DELETE.class)) {
          writes++;
          Cancellable a = m.getAnnotation(Cancellable.class);
          if (a == null || a.value()) {
            cancellable.add(c.getSimpleName() + "." + m.getName());
          }
        }
      }
    }
    assertThat(writes).as("write operations found").isGreaterThan(50);
    assertThat(cancellable).as("write operations a hang-up would cut short").isEmpty();
  }
}
