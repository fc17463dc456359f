package io.strata.projections.delta;

import io.smallrye.mutiny.Uni;
import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.delta.DeltaRefs.State;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * A branch of a Delta table is a shallow clone (docs/delta.md, §1): a table of its own under the table's
 * {@code _strata/branches/}, whose version 0 adds the start state's files by absolute URI. Creating one writes one
 * log entry and no data file, whatever the table's size; any Delta engine reads and writes it at its location.
 */
final class DeltaBranchObjects {

  public Uni<Void> create(UnitOfWork x, TrackedTable table, String branch, StatePath start) {
    DeltaUnit unit = DeltaUnit.of(x);
    return remove(x, table, branch)
        .chain(() -> DeltaTracking.defaultState(unit, table, start))
        .chain(at -> clone(unit, table, branch, at));
  }

  /** {@link #create}, the branch starting with columns its source added through Strata: not on Delta tables yet. */
  public Uni<Void> create(UnitOfWork x, TrackedTable table, String branch, StatePath start,
      java.util.List<io.strata.events.TableShape.Column> inherited) {
    return inherited.isEmpty() ? create(x, table, branch, start)
        : Uni.createFrom().failure(new DeltaUnsupported("a branch starting with columns added on another branch"));
  }

  /**
   * Forgets the branch's ref. Its table stays where it is: commits of the branch that other branches or tags reach
   * read their states there (time travel), so it goes only with the table's untracking (a sweep of roots no commit
   * reaches is not built yet).
   */
  public Uni<Void> remove(UnitOfWork x, TrackedTable table, String branch) {
    DeltaUnit unit = DeltaUnit.of(x);
    return branch.equals(DeltaRefs.DEFAULT) ? Uni.createFrom().voidItem()
        : DeltaRefs.delete(unit.metadata(), table.repository(), table.name(), branch);
  }

  /** How a Delta table defines {@code columns} (see {@link DeltaTableMaking#define}). */
  public Uni<java.util.List<io.strata.events.TableShape.Column>> define(UnitOfWork x,
      java.util.List<BranchObjects.NewColumn> columns) {
    return Uni.createFrom().item(() -> DeltaTableMaking.define(columns));
  }

  // ---- what PostgreSQL overlays hold and a Delta table has not: unique constraints, SQL views, lock waits ----

  /** A Delta table has no unique constraints: there is nothing for a branch to hold. */
  public Uni<BranchObjects.Hold> holdTableUniques(UnitOfWork x, TrackedTable table, String branch,
      java.time.Duration lockTimeout) {
    return Uni.createFrom().item(BranchObjects.Hold.HELD);
  }

  public Uni<BranchObjects.Hold> holdOwedTableUniques(UnitOfWork x, TrackedTable table, String branch,
      java.time.Duration lockTimeout) {
    return Uni.createFrom().item(BranchObjects.Hold.HELD);
  }

  public Uni<java.util.List<BranchObjects.OwedHold>> owedTableUniques(UnitOfWork x) {
    return Uni.createFrom().item(java.util.List.of());
  }

  public Uni<Void> oweTableUniques(UnitOfWork x, TrackedTable table, String branch) {
    return Uni.createFrom().voidItem();
  }

  public Uni<Void> releaseDroppedTableUniques(UnitOfWork x, TrackedTable table) {
    return Uni.createFrom().voidItem();
  }

  /** A sweep putting back what an attempt wrote: a Delta table has no unique rules to let it past. */
  public Uni<Void> recovering(UnitOfWork x) {
    return Uni.createFrom().voidItem();
  }

  /** Strata's own waits on a Delta table are its advisory locks in its own database, held briefly; none to bound. */
  public Uni<Void> waitForLocksAtMost(UnitOfWork x, java.time.Duration limit) {
    return Uni.createFrom().voidItem();
  }

  /**
   * A promotion gate refuses Strata's writes to a gated branch (checked by the commands); a Delta table has no views
   * to close, and other engines writing a branch's table are not Strata's to stop: nothing is recorded here.
   */
  public Uni<Void> gate(UnitOfWork x, String repository, java.util.Map<String, String> gated) {
    return Uni.createFrom().voidItem();
  }

  public Uni<java.util.Map<String, String>> gated(UnitOfWork x, String repository) {
    return Uni.createFrom().item(java.util.Map.of());
  }

  public Uni<Optional<String>> location(UnitOfWork x, TrackedTable table, BranchRef branch) {
    DeltaUnit unit = DeltaUnit.of(x);
    String name = DeltaRefs.nameOf(branch);
    return DeltaRefs.exists(unit.metadata(), table.repository(), table.name(), name)
        .chain(exists -> !exists ? Uni.createFrom().item(Optional.<String>empty())
            : DeltaRefs.ref(unit.metadata(), table.repository(), table.name(), name)
                .map(ref -> Optional.of(ref.root())));
  }

  /**
   * Gives {@code branch} a shallow clone of the table at {@code at}, at a root of its own (a new one each time: what
   * an earlier attempt left is not reused), and its ref: the clone's version 0 is its last commit.
   */
  static Uni<Void> clone(DeltaUnit unit, TrackedTable table, String branch, State at) {
    String slug = branch.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "_");
    String root = unit.table(table).root() + "_strata/branches/"
        + (slug.length() > 40 ? slug.substring(0, 40) : slug) + "-" + UUID.randomUUID().toString().substring(0, 8);
    return unit.blocking(() -> {
          ShallowClone.create(unit.at(at.root()), at.version(), unit.at(root), UUID.randomUUID().toString(),
              System.currentTimeMillis());
          return null;
        })
        .chain(() -> DeltaRefs.put(unit.metadata(), table.repository(), table.name(), branch,
            new Ref(root, new State(root, 0), null)));
  }
}
