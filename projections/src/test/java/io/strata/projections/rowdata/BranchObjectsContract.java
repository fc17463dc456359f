package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link BranchObjects}, for every backend: a subclass names the backend. A branch
 * reads as its start state, its writes and the table's stay apart, branches are independent of each
 * other, and removal leaves nothing behind.
 */
public abstract class BranchObjectsContract<X> {
  private static final String MAIN = RowDataBackend.DEFAULT_BRANCH;
  private static final Map<Integer, String> ROWS = Map.of(1, "a", 2, "b", 3, "c");

  protected abstract RowDataBackend<X> backend();

  private TrackedTable newTable() {
    return backend().newTable(unique("repo"), "items", ROWS);
  }

  private static String unique(String prefix) {
    return prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
  }

  private void create(TrackedTable t, String branch, StatePath start) {
    backend().inUnitOfWork(t, x -> backend().branchObjects().create(x, t, branch, start));
  }

  private void remove(TrackedTable t, String branch) {
    backend().inUnitOfWork(t, x -> backend().branchObjects().remove(x, t, branch));
  }

  private static Map<Integer, String> rows(Object... idsAndValues) {
    Map<Integer, String> rows = new TreeMap<>();
    for (int i = 0; i < idsAndValues.length; i += 2) {
      rows.put((Integer) idsAndValues[i], (String) idsAndValues[i + 1]);
    }
    return rows;
  }

  @Test
  void aNewBranchReadsAsTheTableAndHasALocationOfItsOwn() {
    TrackedTable t = newTable();
    create(t, "dev", StatePath.WORKING);
    assertThat(backend().read(t, "dev")).isEqualTo(ROWS);
    assertThat(backend().location(t, "dev")).isPresent().isNotEqualTo(backend().location(t, MAIN));
    assertThat(backend().location(t, MAIN)).isPresent();
  }

  @Test
  void writesStayOnTheBranchTheyWereMadeOn() {
    TrackedTable t = newTable();
    create(t, "dev", StatePath.WORKING);
    backend().upsert(t, MAIN, 1, "A");
    backend().delete(t, MAIN, 2);
    backend().upsert(t, MAIN, 4, "d");
    backend().upsert(t, "dev", 3, "C");
    backend().upsert(t, "dev", 5, "e");
    backend().delete(t, "dev", 1);
    assertThat(backend().read(t, MAIN)).isEqualTo(rows(1, "A", 3, "c", 4, "d"));
    assertThat(backend().read(t, "dev")).isEqualTo(rows(2, "b", 3, "C", 5, "e"));
  }

  @Test
  void aBranchStartsAtTheStateItIsGiven() {
    TrackedTable t = newTable();
    backend().upsert(t, MAIN, 1, "A"); // a working change of the default branch
    backend().delete(t, MAIN, 3);
    create(t, "at_head", new StatePath(List.of(), List.of(), true));
    create(t, "at_work", StatePath.WORKING);
    assertThat(backend().read(t, "at_head")).isEqualTo(ROWS);
    assertThat(backend().read(t, "at_work")).isEqualTo(rows(1, "A", 2, "b"));
    backend().upsert(t, MAIN, 2, "B");
    assertThat(backend().read(t, "at_head")).isEqualTo(ROWS);
  }

  @Test
  void branchesForkedAtDifferentTimesKeepTheirOwnStateWhenOthersGo() {
    TrackedTable t = newTable();
    create(t, "first", StatePath.WORKING);
    backend().upsert(t, MAIN, 1, "x");
    create(t, "second", StatePath.WORKING);
    backend().upsert(t, MAIN, 1, "y");
    backend().delete(t, MAIN, 2);
    assertThat(backend().read(t, "first")).isEqualTo(ROWS);
    assertThat(backend().read(t, "second")).isEqualTo(rows(1, "x", 2, "b", 3, "c"));
    remove(t, "first");
    backend().upsert(t, MAIN, 1, "z");
    assertThat(backend().read(t, "second")).isEqualTo(rows(1, "x", 2, "b", 3, "c"));
    assertThat(backend().read(t, MAIN)).isEqualTo(rows(1, "z", 3, "c"));
  }

  @Test
  void removingABranchLeavesNothingAndMayBeRepeated() {
    TrackedTable t = newTable();
    String branch = unique("gone"); // the only branch of its name: nothing else of it may stay
    create(t, branch, StatePath.WORKING);
    backend().upsert(t, branch, 1, "changed");
    assertThat(backend().objectsOf(t, branch)).isNotEmpty();
    remove(t, branch);
    assertThat(backend().objectsOf(t, branch)).isEmpty();
    assertThat(backend().location(t, branch)).isEmpty();
    remove(t, branch);
    remove(t, "never-created");
    assertThat(backend().read(t, MAIN)).isEqualTo(ROWS);
  }

  @Test
  void creatingAgainReplacesWhatAnEarlierAttemptLeft() {
    TrackedTable t = newTable();
    create(t, "dev", StatePath.WORKING);
    backend().upsert(t, "dev", 1, "left over");
    create(t, "dev", StatePath.WORKING);
    assertThat(backend().read(t, "dev")).isEqualTo(ROWS);
  }

  @Test
  void branchNamesThatAreNoIdentifiersGetLocationsOfTheirOwn() {
    TrackedTable t = newTable();
    String slashed = "feature/x-1";
    String similar = "feature_x_1";
    String longName = "release/" + "n".repeat(120);
    for (String b : List.of(slashed, similar, longName)) {
      create(t, b, StatePath.WORKING);
      backend().upsert(t, b, 10, b);
    }
    assertThat(List.of(slashed, similar, longName).stream().map(b -> backend().location(t, b).orElseThrow())
        .distinct()).hasSize(3);
    for (String b : List.of(slashed, similar, longName)) {
      assertThat(backend().read(t, b)).containsEntry(10, b).hasSize(4);
    }
  }

  @Test
  void tablesOfOneNameInTwoRepositoriesGetLocationsOfTheirOwnOnBranchesOfOneName() {
    TrackedTable first = backend().newTable(unique("repo"), "items", ROWS);
    TrackedTable second = backend().newTable(unique("repo"), "items", Map.of(7, "g"));
    create(first, "dev", StatePath.WORKING);
    create(second, "dev", StatePath.WORKING);
    assertThat(backend().location(first, "dev")).isNotEqualTo(backend().location(second, "dev"));
    assertThat(backend().read(first, "dev")).isEqualTo(ROWS);
    assertThat(backend().read(second, "dev")).isEqualTo(Map.of(7, "g"));
  }
}
