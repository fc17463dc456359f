package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link Tracking}, for every backend (a subclass names it): tracking measures the
 * table and gives live branches their objects, a table belongs to one repository, untracking
 * removes everything but the rows, the columns read are the table's as they are
 * now, and inspecting finds the shape a table would be tracked with or why it cannot be; a table's
 * full shape reads the same until its DDL changes it, and the migration of the difference between two
 * shapes turns one into the other.
 */
public abstract class TrackingContract<X> {
  private static final Map<Integer, String> ROWS = Map.of(1, "a", 2, "b", 3, "c");

  protected abstract RowDataBackend<X> backend();

  private static String repository() {
    return "repo_" + UUID.randomUUID().toString().substring(0, 8);
  }

  private Tracking.Measured track(TrackedTable t, List<String> branches, boolean stale) {
    return backend().inUnitOfWork(t, x -> backend().tracking().track(x, t, branches,
        (repository, name) -> Uni.createFrom().item(stale)));
  }

  @Test
  void trackingMeasuresTheRowsAndGivesLiveBranchesTheirObjects() {
    TrackedTable t = backend().newUntrackedTable(repository(), "items", ROWS);
    Tracking.Measured measured = track(t, List.of("dev", "feature/x"), false);
    assertThat(measured.rowCount()).isEqualTo(3);
    assertThat(measured.rowSum()).isNotBlank();
    assertThat(backend().read(t, "dev")).isEqualTo(ROWS);
    backend().upsert(t, "feature/x", 1, "x");
    assertThat(backend().read(t, "feature/x")).containsEntry(1, "x");
    assertThat(backend().read(t, RowDataBackend.DEFAULT_BRANCH)).isEqualTo(ROWS);
    WorkingStatus status = backend().inUnitOfWork(t, x -> backend().workingState().status(x, t,
        new BranchRef(RowDataBackend.DEFAULT_BRANCH, true)));
    assertThat(status).isEqualTo(new WorkingStatus(ChangeCounts.NONE, ChangeCounts.NONE));
  }

  @Test
  void aTableBelongsToOneRepositoryUnlessItsRegistrationIsALeftover() {
    TrackedTable t = backend().newUntrackedTable(repository(), "items", ROWS);
    track(t, List.of(), false);
    TrackedTable again = new TrackedTable(repository(), "other", t.schema(), t.table(), t.key(),
        t.columns());
    assertThatThrownBy(() -> track(again, List.of(), false)).isInstanceOf(Tracking.AlreadyTracked.class);
    assertThat(track(again, List.of(), true).rowCount()).isEqualTo(3);
    backend().upsert(again, RowDataBackend.DEFAULT_BRANCH, 9, "z");
    WorkingStatus status = backend().inUnitOfWork(again, x -> backend().workingState().status(x, again,
        new BranchRef(RowDataBackend.DEFAULT_BRANCH, true)));
    assertThat(status.unstaged()).isEqualTo(new ChangeCounts(1, 0, 0));
  }

  @Test
  void untrackingRemovesEverythingButTheRowsAndMayBeRepeated() {
    TrackedTable t = backend().newUntrackedTable(repository(), "items", ROWS);
    track(t, List.of("dev"), false);
    backend().upsert(t, RowDataBackend.DEFAULT_BRANCH, 1, "A");
    assertThat(backend().objectsOf(t)).isNotEmpty();
    backend().inUnitOfWork(t, x -> backend().tracking().untrack(x, t));
    assertThat(backend().objectsOf(t)).isEmpty();
    assertThat(backend().read(t, RowDataBackend.DEFAULT_BRANCH)).isEqualTo(Map.of(1, "A", 2, "b", 3, "c"));
    backend().upsert(t, RowDataBackend.DEFAULT_BRANCH, 2, "B"); // no capture is left to fail it
    backend().inUnitOfWork(t, x -> backend().tracking().untrack(x, t));
    track(t, List.of(), false);
    assertThat(backend().read(t, RowDataBackend.DEFAULT_BRANCH)).containsEntry(2, "B");
  }

  @Test
  void theColumnsAreTheTablesAsTheyAreNow() {
    TrackedTable t = backend().newUntrackedTable(repository(), "items", ROWS);
    track(t, List.of("dev"), false);
    List<TableColumn> tracked = backend().inUnitOfWork(t, x -> backend().tracking().columns(x, t));
    assertThat(tracked).isEqualTo(t.columns());
    backend().addColumn(t, "note");
    List<TableColumn> now = backend().inUnitOfWork(t, x -> backend().tracking().columns(x, t));
    assertThat(now).hasSize(t.columns().size() + 1).containsAll(t.columns());
    assertThat(now.get(now.size() - 1).name()).isEqualTo("note");
    backend().dropTable(t);
    List<TableColumn> gone = backend().inUnitOfWork(t, x -> backend().tracking().columns(x, t));
    assertThat(gone).isEmpty();
  }

  @Test
  void inspectingFindsTheShapeToTrackOrWhyNot() {
    TrackedTable t = backend().newUntrackedTable(repository(), "items", ROWS);
    Tracking.Shape shape = backend().inUnitOfWork(t, x -> backend().tracking().inspect(x, t.schema(), t.table(),
        backend().keyToDeclare(t)));
    assertThat(shape.columns()).isEqualTo(t.columns());
    assertThat(shape.primaryKey()).isEqualTo(t.key());
    assertThatThrownBy(() -> backend().inUnitOfWork(t, x -> backend().tracking().inspect(x, t.schema(),
        t.table() + "_missing", backend().keyToDeclare(t))))
        .isInstanceOfSatisfying(Tracking.Untrackable.class, e -> assertThat(e.missing()).isTrue());
    if (backend().keyToDeclare(t) == null) {
      // found by the backend: a key it cannot hold the rows to is refused (a declared one: by the rows, see the backend)
      assertThatThrownBy(() -> backend().inUnitOfWork(t, x -> backend().tracking().inspect(x, t.schema(), t.table(),
          List.of("v"))))
          .isInstanceOfSatisfying(Tracking.Untrackable.class, e -> assertThat(e.missing()).isFalse());
    }
  }

  private TableShape shapeOf(TrackedTable t) {
    return backend().inRolledBackUnitOfWork(t, x -> backend().tracking().shape(x, t.schema(), t.table()))
        .orElseThrow();
  }

  @Test
  void aShapeReadsTheSameUntilDdlChangesItAndItsMigrationTurnsOneShapeIntoTheOther() {
    org.junit.jupiter.api.Assumptions.assumeTrue(backend().shapesMigrate());
    TrackedTable t = backend().newUntrackedTable(repository(), "items", ROWS);
    TableShape tracked = shapeOf(t);
    assertThat(tracked.tableColumns()).isEqualTo(t.columns());
    assertThat(tracked.primaryKey()).isEqualTo(t.key());
    assertThat(tracked.partial()).isFalse();
    track(t, List.of("dev"), false);
    assertThat(shapeOf(t)).as("tracking changes no shape").isEqualTo(tracked);
    assertThat(shapeOf(t).hash()).isEqualTo(tracked.hash());

    backend().addColumn(t, "note");
    TableShape widened = shapeOf(t);
    List<ShapeChange> added = ShapeDiff.between(tracked, widened);
    assertThat(added).singleElement().satisfies(c -> {
      assertThat(c.change()).isEqualTo(ShapeChange.Kind.added);
      assertThat(c.objectType()).isEqualTo(ShapeChange.ObjectType.column);
      assertThat(c.object()).isEqualTo("note");
      assertThat(c.destructive()).isFalse();
    });
    List<ShapeChange> back = ShapeDiff.between(widened, tracked);
    assertThat(back).singleElement().satisfies(c -> assertThat(c.destructive()).isTrue());

    backend().migrate(t, backend().tracking().migration(t, back));
    assertThat(shapeOf(t)).isEqualTo(tracked);
    backend().migrate(t, backend().tracking().migration(t, added));
    assertThat(shapeOf(t)).isEqualTo(widened);

    backend().dropTable(t);
    Optional<TableShape> gone =
        backend().inRolledBackUnitOfWork(t, x -> backend().tracking().shape(x, t.schema(), t.table()));
    assertThat(gone).isEmpty();
  }
}
