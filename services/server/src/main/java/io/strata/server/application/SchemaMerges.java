package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.tables.BranchShapeRecords;
import io.strata.projections.tables.TableQueries;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaChoices;
import io.strata.server.domain.SchemaMerge;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The schema half of a merge, before its rows (docs/schema-versioning.md, "Three-way schema merge"): each
 * table's columns at the merge base, on the target and on the source, merged three ways
 * ({@link SchemaMerge}). Conflicts refuse the merge before anything changes (409 {@code SchemaConflict},
 * listing each with the three definitions) unless the request's {@code schema_strategy} settles them.
 * {@code ours} keeps the target's definitions: the source's values of such a column are read into the
 * target's type (a value it cannot take refuses the merge, 422, nothing changed) and a column the target
 * dropped stays dropped. {@code theirs} adds the source's column to the target, and on a branch other than
 * the default one redefines (values converted) or drops the column the target added; the default branch's
 * table is not redefined nor loses a column by a merge (422, nothing changed). Changes without a conflict go
 * the same ways, before the rows ({@link SchemaPromotions}): columns the source added reach the target, a
 * column the source redefined is redefined on another branch that added it, a column only the source
 * dropped is dropped from another branch that added it (the default branch's table keeps it).
 */
@ApplicationScoped
class SchemaMerges {
  /** How many schema conflicts a refusal lists (all are counted). */
  static final int LISTED = 100;

  private final TableQueries tables;
  private final CommitGraph graph;
  private final RepositoryStateLoader loader;
  private final StorageBackends backends;
  private final SchemaMergeSides sides;

  @Inject
  SchemaMerges(TableQueries tables, CommitGraph graph, RepositoryStateLoader loader, StorageBackends backends) {
    this.tables = tables;
    this.graph = graph;
    this.loader = loader;
    this.backends = backends;
    this.sides = new SchemaMergeSides(tables, graph);
  }

  /**
   * A schema merge's outcome, per table: the columns both sides have that it keeps as the target defines
   * them (the target changed them since the base and the source did not, or {@code ours} settled them), the columns the target gains (added on the source since the base, or settled as theirs),
   * the columns the source added through Strata that the merged shape has (whether or not the target
   * has them already: a merge into the default branch that brings any makes a merge commit), the columns
   * another branch added that the merge redefines as the source has them ({@code alters}: each change with
   * the target's definition and the merged one), and the columns the target dropped since the base that
   * the source still has: the source's changes to their values are conflicts ({@code schema_data}, decided with the
   * rows: {@link SchemaMergeChecks#requireUnchanged}) unless
   * {@code ours} settles them; and per table the names a target other than the default one shows its columns
   * under after the merge ({@code renames}: stored name to shown name) where the merge changes them; and per
   * table the table's own columns whose NOT NULL or default the target takes from the source
   * ({@code redefines}: the target's definitions after, {@link RedefinitionSettlement}).
   */
  record Settled(Map<String, Set<String>> keptOurs, Map<String, List<TableShape.Column>> adds,
      Map<String, List<String>> drops, Map<String, List<SchemaMerge.Change>> alters,
      Map<String, List<TableShape.Column>> brought,
      Map<String, List<SchemaMerge.Conflict>> droppedByOurs, Map<String, List<SchemaMerge.Conflict>> droppedByTheirs,
      Map<String, Set<String>> ownDroppedByOurs, Map<String, Map<String, String>> renames,
      Map<String, List<TableShape.Column>> redefines, ConstraintSettlement.Settled checks, String source,
      String target, boolean columnsMerged, SourceRecord recorded, Set<String> sourceShaped,
      Map<String, List<String>> takes) {
    /** No schema merge ran (nothing added through Strata on either side, or an operation without one). */
    static final Settled NONE = new Settled(Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(),
        Map.of(), Map.of(), Map.of(), ConstraintSettlement.Settled.NONE, null, null, false, null, Set.of(), Map.of());

    /**
     * The columns the source's branch had added, per table, as the record the schema merge read shows them (a
     * branch's head commit's): its rows arrive in them. Null: the source was read live (the default branch), or no
     * schema merge ran.
     */
    record SourceRecord(Map<String, List<TableShape.Column>> added) {}

    /** The same outcome, the source's columns read from {@code recorded}. */
    Settled withRecorded(SourceRecord recorded) {
      return new Settled(keptOurs, adds, drops, alters, brought, droppedByOurs, droppedByTheirs, ownDroppedByOurs,
          renames, redefines, checks, source, target, columnsMerged, recorded, sourceShaped, takes);
    }

    /** The same outcome, taking no column (a revert: it undoes a change, it takes nothing the target kept out). */
    Settled withoutTakes() {
      return new Settled(keptOurs, adds, drops, alters, brought, droppedByOurs, droppedByTheirs, ownDroppedByOurs,
          renames, redefines, checks, source, target, columnsMerged, recorded, sourceShaped, Map.of());
    }

    /**
     * The same outcome, knowing the tables whose shape the source's branch changed since the base ({@code shaped}:
     * its columns added, read, renamed or redefined, or its rules, other than the base's).
     */
    Settled withSourceShaped(Set<String> shaped) {
      return new Settled(keptOurs, adds, drops, alters, brought, droppedByOurs, droppedByTheirs, ownDroppedByOurs,
          renames, redefines, checks, source, target, columnsMerged, recorded, Set.copyOf(shaped), takes);
    }

    /**
     * The table's own columns the target dropped since the base (on its branch) that the source still has: the
     * source's rows arrive without them (its changes to their values are {@link #droppedByOurs} conflicts).
     */
    Set<String> ownDroppedByOurs(String table) {
      return ownDroppedByOurs.getOrDefault(table, Set.of());
    }

    /** Whether the target's columns change before its rows: columns given, redefined, dropped or renamed. */
    boolean changesColumns() {
      return !adds.isEmpty() || !drops.isEmpty() || !alters.isEmpty() || !renames.isEmpty() || !redefines.isEmpty()
          || !checks.isEmpty() || !takes.isEmpty();
    }

    /**
     * The tables whose shape on the target this merge changes (columns given, dropped, redefined or renamed,
     * checks and indexes) on a branch other than the default one, and those whose shape the source changed since
     * the base (an earlier attempt of the merge, refused or aborted after it changed the target's columns, left
     * them as the source has them): its commit records their shapes.
     */
    List<String> shapedTables() {
      java.util.TreeSet<String> shaped = new java.util.TreeSet<>(sourceShaped);
      List.of(adds, drops, alters, renames, redefines, checks.adds(), checks.drops(), takes)
          .forEach(m -> shaped.addAll(m.keySet()));
      return List.copyOf(shaped);
    }


    /** The same outcome, the target also taking (or losing) the CHECK constraints {@code checks} settles. */
    Settled withChecks(ConstraintSettlement.Settled checks) {
      return new Settled(keptOurs, adds, drops, alters, brought, droppedByOurs, droppedByTheirs, ownDroppedByOurs,
          renames, redefines, checks, source, target, columnsMerged, recorded, sourceShaped, takes);
    }

    /**
     * The table's own columns a target other than the default branch takes before the rows, per table ({@link
     * #takes}): columns the table gained while the target kept the columns it had (neither it nor the base read them)
     * and the source reads.
     */
    List<String> takes(String table) {
      return takes.getOrDefault(table, List.of());
    }

    Set<String> keptOurs(String table) {
      return keptOurs.getOrDefault(table, Set.of());
    }

    /** {@code tracked} with the target's columns as this merge redefines them ({@link #alters}). */
    List<io.strata.projections.tables.TableRow> altered(List<io.strata.projections.tables.TableRow> tracked) {
      return alters.isEmpty() ? tracked : tracked.stream().map(t -> !alters.containsKey(t.name()) ? t
          : redefined(t, target, alters.get(t.name()).stream().map(SchemaMerge.Change::merged).toList())).toList();
    }
  }

  /** Whether {@code branch} does not read some of table {@code t}'s own columns (it dropped them, or kept its own). */
  private static boolean lacksOwn(io.strata.projections.tables.TableRow t, String branch) {
    List<TableColumn> reads = t.columnsOn(branch);
    return t.facts().columns().stream().anyMatch(c -> reads.stream().noneMatch(r -> r.name().equals(c.name())));
  }

  /** Table {@code t} with the columns {@code branch} added that {@code columns} names defined as they are there. */
  static io.strata.projections.tables.TableRow redefined(io.strata.projections.tables.TableRow t, String branch,
      List<TableShape.Column> columns) {
    Map<String, TableShape.Column> by = new java.util.HashMap<>();
    columns.forEach(c -> by.put(c.name(), c));
    return t.withBranchShape(branch, t.columnsOn(branch).stream()
            .map(c -> by.containsKey(c.name()) ? by.get(c.name()).asTableColumn() : c).toList(),
        t.addedOn(branch).stream().map(c -> by.getOrDefault(c.name(), c)).toList());
  }

  /**
   * Merges the columns of every table the target and the source of a merge both read (the source resolved
   * as {@code source}, the base their merge base); refuses as the class comment says, else answers the
   * settled columns. A merge whose sides share no history is left to the merge.
   */
  Uni<Settled> merge(String repo, String target, RefResolver.Resolved source, SchemaChoices choices) {
    // the projection first: a merge into a branch with no shape of its own, from a commit that records none,
    // loads no state
    return tables.tables(repo)
        .map(rows -> rows.stream().anyMatch(t -> !t.addedOn(target).isEmpty() || lacksOwn(t, target)
            || !t.renamedOn(target).isEmpty() || !t.redefinedOn(target).isEmpty() || !t.constraintsOn(target).isEmpty()))
        .chain(ours -> ours || source.branch() == null || !source.isPlainBranch() ? Uni.createFrom().item(true)
            : tables.recordsBranchShapeAt(repo, source.commit()))
        .chain(any -> !any ? Uni.createFrom().item(Settled.NONE) : loader.load(repo).chain(state -> {
          RepositoryState.Branch into = state.branch(target);
          if (into == null) {
            return Uni.createFrom().item(Settled.NONE);
          }
          // a branch merges as its head commit records it, its shape as its rows: its uncommitted shape changes
          // stay its own. The default branch's shape is its table's (DDL is no working change), read as it is.
          String live = source.isPlainBranch() && source.branch().equals(state.defaultBranch()) ? source.branch()
              : null;
          return SchemaDefinitionsGiven.defined(backends, repo, state, choices).chain(defined ->
              graph.compare(repo, into.head(), source.commit()).chain(c -> c.mergeBase() == null
                  ? Uni.createFrom().item(Settled.NONE)
                  : between(repo, state, target, c.mergeBase(), source.commit(), live, source.ref(), defined)
                      // (a merge up to date meets no conflict: a retry of one that went through is not refused)
                      .invoke(() -> {
                        if (!c.mergeBase().equals(source.commit())) {
                          defined.requireAllUsed(source.ref(), target);
                        }
                      })));
        }))
        .invoke(settled -> {
          if (settled == Settled.NONE) {
            choices.requireAllUsed(source.ref(), target); // (no schema merge ran: every resolution named nothing)
          }
        });
  }

  /**
   * The schema merge of a revert or cherry-pick into {@code target}: the change from {@code base} to
   * {@code theirs} (a commit and its parent, either way) applied to the target's columns.
   */
  Uni<Settled> apply(String repo, String target, String base, String theirs, String name, SchemaChoices choices) {
    return loader.load(repo).chain(state -> state.branch(target) == null ? Uni.createFrom().item(Settled.NONE)
        : SchemaDefinitionsGiven.defined(backends, repo, state, choices).chain(defined ->
            between(repo, state, target, base, theirs, null, name, defined)
                .invoke(() -> defined.requireAllUsed(name, target))));
  }

  /** The columns of the base and the source read (a live source's from the state), then settled. */
  private Uni<Settled> between(String repo, RepositoryState state, String target, String base, String theirs,
      String liveSource, String sourceName, SchemaChoices choices) {
    if (state.tables().isEmpty()) {
      return Uni.createFrom().item(Settled.NONE);
    }
    boolean live = liveSource != null;
    // the tables as the target's head has them (another branch than the default one): a column of the table it does
    // not read and its head's table lacked is one it kept out, not one it dropped
    // (as the branch reads them now: the shape of each it reads its columns from), less the columns its own records
    // ever listed as added (one it added, main took, and it dropped since is a drop)
    RepositoryState.Branch into = state.branch(target);
    Uni<Map<String, TableShape>> targetTables = into == null || into.head() == null
        || target.equals(state.defaultBranch()) ? Uni.createFrom().item((Map<String, TableShape>) null)
        : tables.shapesOnBranch(repo, target, into.head()).chain(shapes -> sides.withOwnAdded(repo, state, target, shapes));
    return targetTables.chain(oursTables -> tables.shapesAt(repo, base).chain(baseShapes -> tables.addedAt(repo, base)
        .chain(baseAdded -> tables.columnNamesAt(repo, base).chain(baseNames -> (live
            ? Uni.createFrom().item(Map.<String, TableShape>of()) : tables.shapesAt(repo, theirs))
            .chain(sourceShapes -> (live ? Uni.createFrom().item(Map.<String, List<TableShape.Column>>of())
                    : tables.addedAt(repo, theirs))
                .chain(sourceAdded -> (live ? Uni.createFrom().item(Map.<String, List<String>>of())
                    : tables.columnNamesAt(repo, theirs)).chain(sourceNames -> tables.renamedAt(repo, base)
                    .chain(baseRenamed -> sides.sourceNames(repo, state, theirs, liveSource, baseRenamed)
                    .chain(sourceRenamed -> tables.redefinedAt(repo, base)
                    .chain(baseRedefined -> (live ? Uni.createFrom().item(Map.<String, List<TableShape.Column>>of())
                        : tables.redefinedAt(repo, theirs))
                    .chain(sourceRedefined -> tables.constraintsAt(repo, base)
                    .chain(baseChecks -> sides.sourceChecks(repo, state, theirs, liveSource, baseChecks)
                        .map(sourceChecks -> {
                  Map<String, Set<String>> added = new TreeMap<>();
                  Map<String, List<TableShape.Column>> theirsAdded = new TreeMap<>();
                  for (TableTracked t : state.tables().values()) {
                    List<TableShape.Column> source = live ? state.addedOn(t.name(), liveSource)
                        : sourceAdded.getOrDefault(t.name(), List.of());
                    theirsAdded.put(t.name(), source);
                    Set<String> names = new java.util.HashSet<>();
                    List.of(state.addedOn(t.name(), target), source, baseAdded.getOrDefault(t.name(), List.of()))
                        .forEach(l -> l.forEach(col -> names.add(col.name())));
                    added.put(t.name(), names);
                  }
                  Map<String, List<TableShape.Column>> theirsColumns = new TreeMap<>();
                  if (live) {
                    state.tables().values().forEach(t -> theirsColumns.put(t.name(), SchemaSettlement.columnsOn(state, t, liveSource)));
                  } else {
                    BranchShapeRecords.withBranchColumns(sourceShapes, sourceAdded, sourceNames).forEach((t, shape) ->
                        theirsColumns.put(t, shape.columns()));
                  }
                  // how each side's branch redefined the table's own columns (NOT NULL, default): the base's and a
                  // commit's then, a live branch's now (the table's own definitions are no side's)
                  Map<String, Map<String, TableShape.Column>> baseDefined = RedefinitionSettlement.byName(baseRedefined);
                  Map<String, Map<String, TableShape.Column>> theirsDefined = live
                      ? RedefinitionSettlement.onBranch(state, liveSource)
                      : RedefinitionSettlement.byName(sourceRedefined);
                  SchemaMerges.Settled settled = SchemaSettlement.settle(state, target, sourceName,
                      BranchShapeRecords.withBranchColumns(baseShapes, baseAdded, baseNames), baseShapes,
                      live ? null : sourceShapes, oursTables, theirsColumns,
                      added, theirsAdded, choices, baseRenamed, sourceRenamed, baseDefined, theirsDefined);
                  ConstraintSettlement.Settled checks = ConstraintSettlement.settle(state, target, sourceName,
                      baseChecks, sourceChecks, choices);
                  // a resolution an earlier attempt of this operation took already (a retry's) names no conflict now
                  choices.takenAlready(r -> ShapesSinceBase.settledAlready(state, target, r,
                      BranchShapeRecords.withBranchColumns(baseShapes, baseAdded, baseNames), theirsColumns,
                      baseChecks, sourceChecks));
                  Settled withChecks = (checks.isEmpty() ? settled : settled.withChecks(checks))
                      .withSourceShaped(ShapesSinceBase.shapedBySource(state, baseAdded, theirsAdded, live ? null : baseNames,
                          sourceNames, baseRenamed, sourceRenamed, baseDefined, theirsDefined, baseChecks,
                          sourceChecks));
                  // a commit's added columns, not its branch's now: the rows that arrive are the commit's
                  return live ? withChecks : withChecks.withRecorded(new Settled.SourceRecord(theirsAdded));
                })))))))))))))
        .call(settled -> SchemaMergeChecks.requireAlterations(backends, repo, state, settled));
  }
}
