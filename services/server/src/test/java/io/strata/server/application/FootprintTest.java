package io.strata.server.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.strata.server.domain.Commands;
import io.strata.server.domain.TableCommand;
import io.strata.server.domain.Commands.Command;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which commands of a repository must wait for one another, and which may work side by side. */
class FootprintTest {
  @Test
  void everyCommandHasAFootprint() throws Exception {
    List<Class<?>> records = new ArrayList<>();
    collect(Command.class, records);
    assertThat(records).hasSizeGreaterThan(25);
    for (Class<?> type : records) {
      Command command = instance(type);
      assertThatCode(() -> Footprint.of(command)).as(type.getSimpleName()).doesNotThrowAnyException();
    }
  }

  @Test
  void commandsOnOneBranchOverlapAndOnOthersDoNot() {
    Footprint commitOnDev = Footprint.of(new Commands.DeleteBranch("dev", false, null, false));
    assertThat(Footprint.branches("dev").overlaps(commitOnDev, "main")).isTrue();
    assertThat(Footprint.branches("ops").overlaps(commitOnDev, "main")).isFalse();
    assertThat(Footprint.branches("ops", "dev").overlaps(commitOnDev, "main")).isTrue();
    assertThat(Footprint.branches().overlaps(commitOnDev, "main")).as("a tag's deletion touches no branch").isFalse();
  }

  @Test
  void theRepositoryAsAWholeOverlapsEverything() {
    assertThat(Footprint.everything().overlaps(Footprint.branches(), "main")).isTrue();
    assertThat(Footprint.branches("dev").overlaps(Footprint.everything(), "main")).isTrue();
    assertThat(Footprint.of(new Commands.DeleteRepository(true)).whole()).isTrue();
    assertThat(Footprint.of(new TableCommand.UntrackTable("t", null)).whole()).isTrue();
  }

  @Test
  void aBranchFromTheDefaultOneWaitsForItsCommandsOnly() {
    Footprint fromDefault = Footprint.of(new Commands.CreateBranch("dev", null, null, null, false));
    assertThat(fromDefault.overlaps(Footprint.branches("main"), "main")).isTrue();
    assertThat(fromDefault.overlaps(Footprint.branches("ops"), "main")).isFalse();
    assertThat(fromDefault.overlaps(Footprint.branches("dev"), "main")).isTrue();
    assertThat(fromDefault.overlaps(Footprint.withDefault(), "main")).isTrue();
    assertThat(fromDefault.overlaps(Footprint.branches("ops"), null))
        .as("the default branch unknown: it may be any").isTrue();
    Footprint fromOps = Footprint.of(new Commands.CreateBranch("dev", "ops", "ops", null, false));
    assertThat(fromOps.overlaps(Footprint.branches("ops"), "main")).isTrue();
    assertThat(fromOps.overlaps(Footprint.branches("main"), "main")).isFalse();
  }

  /** Every record implementing {@code type}, through the sealed interfaces. */
  private static void collect(Class<?> type, List<Class<?>> into) {
    if (type.isRecord()) {
      into.add(type);
      return;
    }
    for (Class<?> sub : type.getPermittedSubclasses()) {
      collect(sub, into);
    }
  }

  private static Command instance(Class<?> type) throws Exception {
    RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] args = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      args[i] = value(types[i]);
    }
    Constructor<?> constructor = type.getDeclaredConstructor(types);
    return (Command) constructor.newInstance(args);
  }

  private static Object value(Class<?> type) {
    if (type == String.class) {
      return "b";
    } else if (type == boolean.class) {
      return false;
    } else if (type == int.class) {
      return 0;
    } else if (type == long.class) {
      return 0L;
    } else if (type == List.class) {
      return List.of();
    } else if (type == Set.class) {
      return Set.of();
    } else if (type == Map.class) {
      return Map.of();
    } else if (type.isEnum()) {
      return type.getEnumConstants()[0];
    }
    return null;
  }
}
