package io.strata.projections.overlay;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.projections.rowdata.RowDataRoles;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A PostgreSQL role handed another backend's unit refuses it before it touches anything. */
class PgUnitTest {
  /** A unit of some other backend, whose roles would be its own. */
  private static final UnitOfWork FOREIGN = () -> {
    throw new UnsupportedOperationException("not asked");
  };

  @Test
  void aRoleRefusesAUnitOfAnotherBackend() {
    RowDataRoles roles = PgUnit.ROLES;
    TrackedTable t = new TrackedTable("repo", "items", "public", "items", List.of("id"), List.of());
    assertThatThrownBy(() -> roles.tracking().columns(FOREIGN, t))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a PostgreSQL unit of work");
    assertThatThrownBy(() -> roles.merges().remaining(FOREIGN, t, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgUnit.of(null)).isInstanceOf(IllegalArgumentException.class);
  }
}
