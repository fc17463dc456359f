package io.strata.server.auth;

import static io.strata.server.auth.AccessRules.Decision.ALLOW;
import static io.strata.server.auth.AccessRules.Decision.FORBIDDEN;
import static io.strata.server.auth.AccessRules.Decision.HIDDEN;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AccessRulesTest {
  private static Identity token(Role role, String... repositories) {
    return new Identity("tok_x", "t", role, List.of(repositories), null);
  }

  @Test
  void anEndpointWithoutARuleIsRefusedEvenToTheAllPowerfulAdmin() {
    assertThat(AccessRules.decide(null, token(Role.ADMIN, "*"), "a")).isEqualTo(FORBIDDEN);
  }

  @Test
  void aRepositoryOutsideTheGrantsIsHiddenWhateverTheRole() {
    for (Permission p : List.of(Permission.READ, Permission.WRITE, Permission.REPOSITORY_ADMIN)) {
      assertThat(AccessRules.decide(p, token(Role.ADMIN, "a"), "b")).as(p.name()).isEqualTo(HIDDEN);
    }
  }

  @Test
  void rolesIncludeTheOnesBelow() {
    assertThat(AccessRules.decide(Permission.READ, token(Role.READER, "a"), "a")).isEqualTo(ALLOW);
    assertThat(AccessRules.decide(Permission.WRITE, token(Role.READER, "a"), "a")).isEqualTo(FORBIDDEN);
    assertThat(AccessRules.decide(Permission.WRITE, token(Role.WRITER, "a"), "a")).isEqualTo(ALLOW);
    assertThat(AccessRules.decide(Permission.REPOSITORY_ADMIN, token(Role.WRITER, "*"), "a")).isEqualTo(FORBIDDEN);
    assertThat(AccessRules.decide(Permission.REPOSITORY_ADMIN, token(Role.ADMIN, "a"), "a")).isEqualTo(ALLOW);
  }

  @Test
  void serverAdministrationNeedsAnAdminForAllRepositories() {
    assertThat(AccessRules.decide(Permission.SERVER_ADMIN, token(Role.ADMIN, "a"), null)).isEqualTo(FORBIDDEN);
    assertThat(AccessRules.decide(Permission.SERVER_ADMIN, token(Role.WRITER, "*"), null)).isEqualTo(FORBIDDEN);
    assertThat(AccessRules.decide(Permission.SERVER_ADMIN, token(Role.ADMIN, "*"), null)).isEqualTo(ALLOW);
  }
}
