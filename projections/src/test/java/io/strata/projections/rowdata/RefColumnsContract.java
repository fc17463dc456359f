package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.events.TableColumn;
import io.strata.projections.rowdata.ChangeSets.Captured;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The contract of refs whose columns are not the table's, for every backend: a branch forked before
 * the table gained a column keeps its own columns ({@link TrackedTable#refColumns}) for everything it
 * does — reads, client writes, REST batches, status, commits, reads at older states, branches of it,
 * discards and removal — while the table and the branches made with its new columns see them.
 */
public abstract class RefColumnsContract<X> {
  private static final String MAIN = RowDataBackend.DEFAULT_BRANCH;
  private static final Map<Integer, String> ROWS = Map.of(1, "a", 2, "b", 3, "c");

  protected abstract RowDataBackend<X> backend();

  /** A table (id, v) with branch {@code dev}, forked before the table gained column {@code note}. */
  private record Forked(TrackedTable before, TrackedTable wide, TrackedTable onDev) {}

  private Forked forkedBeforeANewColumn() {
    TrackedTable t = newTable();
    backend().inUnitOfWork(t, x -> backend().branchObjects().create(x, t, "dev", StatePath.WORKING));
    backend().addColumn(t, "note");
    TrackedTable wide = withNote(t);
    backend().inUnitOfWork(wide, x -> backend().tracking().followColumns(x, wide)); // what the DDL guard will do
    return new Forked(t, wide, wide.atRefColumns(t.columns()));
  }

  private TrackedTable newTable() {
    return backend().newTable("repo_" + UUID.randomUUID().toString().substring(0, 8), "items", ROWS);
  }

  /** The table as it is once it gained column {@code note} (text, nullable). */
  private static TrackedTable withNote(TrackedTable t) {
    List<TableColumn> columns = new ArrayList<>(t.columns());
    columns.add(new TableColumn("note", "text", true));
    return new TrackedTable(t.repository(), t.name(), t.schema(), t.table(), t.key(), columns);
  }

  private static BranchRef branch(String name) {
    return BranchRef.of(name, MAIN);
  }

  private List<String> rows(TrackedTable table, String branch, StatePath path) {
    return backend().inUnitOfWork(table,
        x -> backend().stateReads().page(x, table, branch(branch), path, Map.of(), null, 100)).rows();
  }

  private Captured commit(TrackedTable table, String branch) {
    return backend().inUnitOfWork(table,
        x -> backend().changeSets().capture(x, table, branch(branch), true, null)).orElseThrow();
  }

  private static Map<Integer, String> rows(Object... idsAndValues) {
    Map<Integer, String> rows = new TreeMap<>();
    for (int i = 0; i < idsAndValues.length; i += 2) {
      rows.put((Integer) idsAndValues[i], (String) idsAndValues[i + 1]);
    }
    return rows;
  }

  @Test
  void aBranchForkedBeforeANewColumnWritesCommitsAndReadsInItsOwnColumns() {
    Forked f = forkedBeforeANewColumn();
    backend().upsert(f.before(), "dev", 1, "A"); // a client's write through the branch
    ChangeCounts applied = backend().inUnitOfWork(f.onDev(), x -> backend().workingState().apply(x, f.onDev(),
        branch("dev"), new RowBatch("[{\"id\": 2}, {\"id\": 4, \"v\": \"d\"}]", "d11" + "u11", 2)));
    assertThat(applied).isEqualTo(new ChangeCounts(1, 0, 1));
    WorkingStatus status = backend().inUnitOfWork(f.onDev(),
        x -> backend().workingState().status(x, f.onDev(), branch("dev")));
    assertThat(status).isEqualTo(new WorkingStatus(new ChangeCounts(1, 0, 1), new ChangeCounts(0, 1, 0)));
    assertThat(backend().read(f.before(), "dev")).isEqualTo(rows(1, "A", 3, "c", 4, "d"));

    Captured committed = commit(f.onDev(), "dev");
    assertThat(new ChangeCounts(committed.inserted(), committed.updated(), committed.deleted()))
        .isEqualTo(new ChangeCounts(1, 1, 1));
    List<String> head = rows(f.onDev(), "dev", StatePath.WORKING);
    assertThat(head).hasSize(3).noneMatch(r -> r.contains("note"));
    List<String> before = rows(f.onDev(), "dev", new StatePath(List.of(committed.changeSet()), List.of(), true));
    assertThat(before).hasSize(3).noneMatch(r -> r.contains("note")).anyMatch(r -> r.contains("\"b\""));
    assertThat(backend().read(f.before(), MAIN)).isEqualTo(ROWS);
  }

  @Test
  void theTableAndItsNewBranchesSeeTheNewColumnWhileTheOldBranchKeepsItsState() {
    Forked f = forkedBeforeANewColumn();
    // a new branch with the table's columns regenerates the capture: the logs gain the column
    backend().inUnitOfWork(f.wide(), x -> backend().branchObjects().create(x, f.wide(), "wide", StatePath.WORKING));
    backend().upsert(f.before(), MAIN, 1, "A");
    backend().delete(f.before(), MAIN, 2);
    backend().upsert(f.before(), MAIN, 5, "e");
    assertThat(backend().read(f.before(), "dev")).isEqualTo(ROWS);
    assertThat(backend().read(f.before(), "wide")).isEqualTo(ROWS);
    assertThat(rows(f.wide(), "wide", StatePath.WORKING)).hasSize(3).allMatch(r -> r.contains("\"note\""));
    assertThat(rows(f.onDev(), "dev", StatePath.WORKING)).hasSize(3).noneMatch(r -> r.contains("note"));

    Captured onMain = commit(f.wide(), MAIN);
    assertThat(new ChangeCounts(onMain.inserted(), onMain.updated(), onMain.deleted()))
        .isEqualTo(new ChangeCounts(1, 1, 1));
    assertThat(rows(f.wide(), MAIN, StatePath.WORKING)).hasSize(3).allMatch(r -> r.contains("\"note\""));
  }

  @Test
  void aBranchOfTheOldBranchHasItsColumnsAndGoesWithEverythingItKept() {
    Forked f = forkedBeforeANewColumn();
    backend().upsert(f.before(), "dev", 1, "A");
    Captured committed = commit(f.onDev(), "dev");
    // the child starts at dev's commit: the default branch's head with dev's change set redone
    String child = "child_" + UUID.randomUUID().toString().substring(0, 8); // its view schema is its own
    backend().inUnitOfWork(f.onDev(), x -> backend().branchObjects().create(x, f.onDev(), child,
        new StatePath(List.of(), List.of(committed.changeSet()), true)));
    assertThat(backend().read(f.before(), child)).isEqualTo(rows(1, "A", 2, "b", 3, "c"));
    backend().upsert(f.before(), child, 2, "B");
    assertThat(backend().read(f.before(), child)).isEqualTo(rows(1, "A", 2, "B", 3, "c"));
    ChangeCounts discarded = backend().inUnitOfWork(f.onDev(),
        x -> backend().workingState().discard(x, f.onDev(), branch(child)));
    assertThat(discarded).isEqualTo(new ChangeCounts(0, 1, 0));
    assertThat(backend().read(f.before(), child)).isEqualTo(rows(1, "A", 2, "b", 3, "c"));

    backend().inUnitOfWork(f.onDev(), x -> backend().branchObjects().remove(x, f.onDev(), child));
    assertThat(backend().objectsOf(f.before(), child)).isEmpty();
    // dev's row type, given it when the table gained the column, goes with it
    assertThat(backend().objectsOf(f.before(), "dev")).anyMatch(o -> o.startsWith("relation") && o.contains("__r_"));
    backend().inUnitOfWork(f.before(), x -> backend().branchObjects().remove(x, f.before(), "dev"));
    assertThat(backend().objectsOf(f.before(), "dev")).noneMatch(o -> o.startsWith("relation") && o.contains("__r_"));
  }

  @Test
  void writesInTheTransactionThatAddedTheColumnAreCapturedWithIt() {
    TrackedTable t = newTable();
    backend().inUnitOfWork(t, x -> backend().branchObjects().create(x, t, "dev", StatePath.WORKING));
    backend().addColumnFollowedAndWrite(t, "note", 1, "A", "first");
    TrackedTable wide = withNote(t);
    TrackedTable onDev = wide.atRefColumns(t.columns());

    assertThat(backend().read(t, "dev")).isEqualTo(ROWS); // the pre-image was filed in the new columns
    backend().upsert(t, "dev", 2, "B");
    ChangeCounts applied = backend().inUnitOfWork(onDev, x -> backend().workingState().apply(x, onDev, branch("dev"),
        new RowBatch("[{\"id\": 3, \"v\": \"C\"}]", "u11", 1)));
    assertThat(applied).isEqualTo(new ChangeCounts(0, 1, 0));
    assertThat(backend().read(t, "dev")).isEqualTo(rows(1, "a", 2, "B", 3, "C"));

    WorkingStatus status = backend().inUnitOfWork(wide, x -> backend().workingState().status(x, wide, branch(MAIN)));
    assertThat(status).isEqualTo(new WorkingStatus(ChangeCounts.NONE, new ChangeCounts(0, 1, 0)));
    Captured onMain = commit(wide, MAIN);
    assertThat(new ChangeCounts(onMain.inserted(), onMain.updated(), onMain.deleted()))
        .isEqualTo(new ChangeCounts(0, 1, 0));
    assertThat(rows(wide, MAIN, StatePath.WORKING)).anyMatch(r -> r.contains("\"first\"")).hasSize(3);
    List<String> before = rows(wide, MAIN, new StatePath(List.of(onMain.changeSet()), List.of(), true));
    assertThat(before).hasSize(3).noneMatch(r -> r.contains("first")).anyMatch(r -> r.contains("\"a\""));

    // the capture records the new column's value in its before-images: a discard brings it back
    backend().upsert(t, MAIN, 1, "changed");
    ChangeCounts discarded = backend().inUnitOfWork(wide, x -> backend().workingState().discard(x, wide, branch(MAIN)));
    assertThat(discarded).isEqualTo(new ChangeCounts(0, 1, 0));
    assertThat(rows(wide, MAIN, StatePath.WORKING)).anyMatch(r -> r.contains("\"first\"") && r.contains("\"A\""));
  }

  @Test
  void changesRecordedBeforeTheColumnMoveRowsWithoutTouchingIt() {
    TrackedTable t = newTable();
    backend().upsert(t, MAIN, 1, "A");
    Captured before = commit(t, MAIN); // its images have no note
    backend().addColumnFollowedAndWrite(t, "note", 1, "AA", "kept");
    TrackedTable wide = withNote(t);
    Captured after = commit(wide, MAIN);

    // back to the state before both commits: row 1 takes its first before-image, recorded without note
    backend().inUnitOfWork(wide, x -> backend().workingState().move(x, wide, branch(MAIN),
        List.of(before.changeSet(), after.changeSet()), List.of()));
    assertThat(backend().read(t, MAIN)).isEqualTo(ROWS);
    assertThat(rows(wide, MAIN, StatePath.WORKING)).filteredOn(r -> r.contains("\"a\""))
        .singleElement().asString().contains("\"kept\"");
  }

  private List<String> versioned(TrackedTable t, String name) {
    return backend().inUnitOfWork(t, x -> backend().tracking().versionedColumns(x, t.repository(), name, t.schema(),
        t.table())).stream().map(TableColumn::name).toList();
  }

  @Test
  void whatVersionsTheTableRecordsItsColumnsOnceItFollowsThem() {
    TrackedTable t = newTable();
    backend().addColumn(t, "note"); // past the guard: the table has it, its versioning not yet
    assertThat(versioned(t, t.name())).containsExactly("id", "v");
    TrackedTable wide = withNote(t);
    backend().inUnitOfWork(wide, x -> backend().tracking().followColumns(x, wide));
    assertThat(versioned(t, t.name())).containsExactly("id", "v", "note");
    assertThat(versioned(t, "not_tracked")).isEmpty();
  }
}
