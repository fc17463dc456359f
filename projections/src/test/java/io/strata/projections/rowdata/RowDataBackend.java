package io.strata.projections.rowdata;

import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * What a backend gives the row-data contract suites: tracked tables to work on, a unit of work, and
 * the backend's own way for clients to read and write a table on a branch (for PostgreSQL, SQL on
 * the branch's view or the table). Every table has columns {@code id int} (the key) and {@code v text}.
 *
 * @param <X> the backend's unit of work
 */
public interface RowDataBackend<X> {
  String DEFAULT_BRANCH = "main";

  BranchObjects<X> branchObjects();

  WorkingState<X> workingState();

  Tracking<X> tracking();

  ChangeSets<X> changeSets();

  StateReads<X> stateReads();

  QueryAccess<X> queryAccess();

  Merges<X> merges();

  /**
   * Whether a change set's id is its content's (the same changes of the same rows in two tables: one id), as
   * PostgreSQL's are; a Delta table's change sets are named by the two states they lead between instead.
   */
  default boolean changeSetsAreContentAddressed() {
    return true;
  }

  /**
   * Whether {@link WorkingState#holdWriters} holds off the clients' own writers ({@link #upsert}): PostgreSQL's lock
   * does; a Delta table's writers are other engines, which only Strata's own writes wait for.
   */
  default boolean clientWritersCanBeHeldOff() {
    return true;
  }

  /**
   * The key a client declares when tracking {@code table}: none where the backend finds it (PostgreSQL's primary key),
   * the table's where tables have none (Delta).
   */
  default List<String> keyToDeclare(TrackedTable table) {
    return null;
  }

  /** Whether a table's shape is changed by migrations Strata writes ({@link Tracking#migration}), as SQL tables' are. */
  default boolean shapesMigrate() {
    return true;
  }

  /** The rows (id → v) of {@code relation} as a query session of {@code role} reads them. */
  Map<Integer, String> readAs(String role, String password, String relation);

  /**
   * A new table holding {@code rows} (id → v), to be tracked in {@code repository} as {@code name}
   * (the backend gives the table a place of its own); not tracked yet.
   */
  TrackedTable newUntrackedTable(String repository, String name, Map<Integer, String> rows);

  /** The same, tracked with no branches. */
  default TrackedTable newTable(String repository, String name, Map<Integer, String> rows) {
    TrackedTable t = newUntrackedTable(repository, name, rows);
    inUnitOfWork(t, x -> tracking().track(x, t, List.of(), (r, n) -> Uni.createFrom().item(false)));
    return t;
  }

  /** Runs {@code work} in one unit of work, committed when it succeeds, and awaits it. */
  <T> T inUnitOfWork(TrackedTable table, Function<X, Uni<T>> work);

  /** Runs {@code work} in one unit of work that is rolled back at its end, and awaits it. */
  <T> T inRolledBackUnitOfWork(TrackedTable table, Function<X, Uni<T>> work);

  /**
   * A new table for merges, holding {@code rows} (JSON objects), tracked in {@code repository} with no
   * branches: key {@code k1 int, k2 text}; {@code a int}, {@code b text}, {@code doc jsonb}; and {@code n
   * int}, derived as {@code coalesce(a, 0) + 1} (where the backend has computed columns, one of them:
   * {@link #derivedColumns}).
   */
  TrackedTable newMergeTable(String repository, List<String> rows);

  /**
   * Whether the backend has a JSON column type whose objects merge key by key ({@code doc jsonb}); without one, a
   * merge table's {@code doc} is text holding the JSON, merged as any text.
   */
  default boolean jsonColumns() {
    return true;
  }

  /** The columns of a merge table ({@link #newMergeTable}) the backend computes (none, or {@code n}). */
  Set<String> derivedColumns();

  /** A table as a test works on it: from the default branch, or from another. */
  record Subject(TrackedTable table, BranchRef branch) {}

  /**
   * A new table holding {@code rows}, tracked in a repository of its own, seen from the default branch
   * or from a new branch ({@code dev}) of it.
   */
  default Subject subject(boolean onBranch, Map<Integer, String> rows) {
    TrackedTable t = newTable("repo_" + UUID.randomUUID().toString().substring(0, 8), "items", rows);
    if (!onBranch) {
      return new Subject(t, new BranchRef(DEFAULT_BRANCH, true));
    }
    inUnitOfWork(t, x -> branchObjects().create(x, t, "dev", StatePath.WORKING));
    return new Subject(t, new BranchRef("dev", false));
  }

  /** Where clients reach the table on the branch ({@link BranchObjects#location}). */
  default Optional<String> location(TrackedTable table, String branch) {
    return inUnitOfWork(table, x -> branchObjects().location(x, table, BranchRef.of(branch, DEFAULT_BRANCH)));
  }

  /** Inserts or replaces row {@code id} as a client on the branch would. */
  void upsert(TrackedTable table, String branch, int id, String v);

  /** Deletes row {@code id} as a client on the branch would. */
  void delete(TrackedTable table, String branch, int id);

  /**
   * Makes writes to the table (on its default branch) reach rows of another: for PostgreSQL, a table
   * referencing it with ON DELETE CASCADE.
   */
  void makeWritesReachOtherRows(TrackedTable table);

  /** Changes the table's shape outside Strata (past a guard that would refuse it): a new nullable column {@code column} of text. */
  void addColumn(TrackedTable table, String column);

  /**
   * Adds a nullable text column {@code column} to the table as an application would, with what versions
   * the table following it in the same transaction (for PostgreSQL, {@code strata.follow_columns}, as
   * the DDL guard runs it), and in that transaction, after the DDL, inserts or replaces row {@code id}
   * with {@code v} and {@code value} in the new column.
   */
  void addColumnFollowedAndWrite(TrackedTable table, String column, int id, String v, String value);

  /** Runs statements a {@link Tracking#migration} gave for the table, in one transaction, past a guard that would refuse them. */
  void migrate(TrackedTable table, List<String> statements);

  /** Drops the table outside Strata, with what versions it, past a guard that would refuse it. */
  void dropTable(TrackedTable table);

  /**
   * Makes the table (its default branch) refuse rows whose {@code v} is {@code value}, naming what
   * refuses them {@code refusal}: for PostgreSQL, a CHECK constraint of that name.
   */
  void refuse(TrackedTable table, String value, String refusal);

  /** The rows a client reads on the branch. */
  Map<Integer, String> read(TrackedTable table, String branch);

  /** The names of whatever the backend still keeps for {@code branch} of {@code table}. */
  List<String> objectsOf(TrackedTable table, String branch);

  /** The names of whatever the backend still keeps for {@code table}, for any branch. */
  List<String> objectsOf(TrackedTable table);
}
