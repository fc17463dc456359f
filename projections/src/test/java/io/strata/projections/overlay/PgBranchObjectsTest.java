package io.strata.projections.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.BranchObjectsContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PgBranchObjectsTest extends BranchObjectsContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return PgRowDataBackend.shared();
  }

  /**
   * A branch's overlay made anew under its name (another server's creation, after the deletion that read the first
   * one's incarnation) is not the one a removal of the first incarnation removes; the first one's is.
   */
  @Test
  void aRemovalOfOneIncarnationLeavesTheOverlayMadeAnewUnderTheName() {
    RowDataBackend<UnitOfWork> b = backend();
    BranchObjects<UnitOfWork> objects = b.branchObjects();
    String dev = "dev_" + UUID.randomUUID().toString().substring(0, 8); // its view schema is its alone
    TrackedTable t = b.newTable("repo_" + UUID.randomUUID().toString().substring(0, 8), "items", Map.of(1, "a"));
    b.inUnitOfWork(t, x -> objects.create(x, t, dev, StatePath.WORKING));
    String first = b.inUnitOfWork(t, x -> objects.incarnation(x, t, dev)).orElseThrow();
    b.inUnitOfWork(t, x -> objects.create(x, t, dev, StatePath.WORKING));
    String second = b.inUnitOfWork(t, x -> objects.incarnation(x, t, dev)).orElseThrow();
    assertThat(second).isNotEqualTo(first);
    b.upsert(t, dev, 2, "made anew");

    boolean removedFirst = b.inUnitOfWork(t, x -> objects.remove(x, t, dev, first));
    assertThat(removedFirst).isFalse();
    assertThat(b.read(t, dev)).as("the overlay made anew stays").containsEntry(2, "made anew");
    assertThat(b.objectsOf(t, dev)).isNotEmpty();

    boolean removedSecond = b.inUnitOfWork(t, x -> objects.remove(x, t, dev, second));
    assertThat(removedSecond).isTrue();
    assertThat(b.objectsOf(t, dev)).isEmpty();
    Optional<String> none = b.inUnitOfWork(t, x -> objects.incarnation(x, t, dev));
    assertThat(none).isEmpty();
    boolean again = b.inUnitOfWork(t, x -> objects.remove(x, t, dev, second)); // none there: nothing to do
    assertThat(again).isFalse();
  }

  /** The overlays made long enough ago are named with their incarnations; a younger one is not (yet). */
  @Test
  void overlaysMadeBeforeAnAgeAreListedWithTheirIncarnations() {
    RowDataBackend<UnitOfWork> b = backend();
    BranchObjects<UnitOfWork> objects = b.branchObjects();
    TrackedTable t = b.newTable("repo_" + UUID.randomUUID().toString().substring(0, 8), "items", Map.of(1, "a"));
    b.inUnitOfWork(t, x -> objects.create(x, t, "old", StatePath.WORKING));
    b.inUnitOfWork(t, x -> objects.create(x, t, "young", StatePath.WORKING));
    b.inUnitOfWork(t, x -> PgUnit.of(x).preparedQuery("update strata.branch_overlays set created_at = now() - interval"
        + " '2 hours' where tid = $1 and branch = 'old'").execute(io.vertx.mutiny.sqlclient.Tuple.of(t.id())));
    String old = b.inUnitOfWork(t, x -> objects.incarnation(x, t, "old")).orElseThrow();
    Map<String, String> hourOld = b.inUnitOfWork(t, x -> objects.madeBefore(x, t, Duration.ofHours(1)));
    assertThat(hourOld).isEqualTo(Map.of("old", old));
    Map<String, String> threeHoursOld = b.inUnitOfWork(t, x -> objects.madeBefore(x, t, Duration.ofHours(3)));
    assertThat(threeHoursOld).isEmpty();
  }
}
