package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.tables.TableQueries;
import io.strata.server.domain.BranchConstraints;
import io.strata.server.domain.BranchSchemaCommand;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks and unique constraints a merge carries to a branch other than the default one ({@link
 * SchemaPromotions}): held pending before the rows move, their violations the merge's {@code constraint_violation}
 * conflicts ({@link MergeWork}), dropped again when the merge is aborted or the source dropped them; and the refusal
 * naming the rows that break one.
 */
@ApplicationScoped
public class CarriedConstraints {
  private final BranchSchemaCommands schemas;
  private final StorageBackends backends;
  private final TableQueries tables;

  @Inject
  public CarriedConstraints(BranchSchemaCommands schemas, StorageBackends backends, TableQueries tables) {
    this.schemas = schemas;
    this.backends = backends;
    this.tables = tables;
  }

  /**
   * Holds the rows {@code branch} writes to {@code checks}, a merge's source's ({@link SchemaPromotions}): pending
   * (a check NOT VALID on its overlay, a unique constraint registered pending) until the merge concludes; the rows it
   * holds already that fail one (or share a unique constraint's values) are the merge's {@code constraint_violation}
   * conflicts ({@link MergeWork}), resolved by writes the overlay holds to them.
   */
  Uni<CommandResponse> addCarried(String repository, String branch, String table, List<TableShape.Constraint> checks,
      CommandContext ctx) {
    return schemas.onBranchObjects(repository, new BranchSchemaCommand.AddBranchConstraints(table, branch, checks, Map.of(), false),
        state -> {
          // the columns each names, read off its definition: one the target shows renamed is refused
          Map<String, List<String>> named = new HashMap<>();
          checks.forEach(c -> named.put(c.name(), state.tables().containsKey(table)
              ? state.tables().get(table).columns().stream().map(TableColumn::name)
                  .filter(n -> BranchConstraints.names(c, n)).toList() : List.of()));
          BranchConstraints.requireAddable(state, new BranchSchemaCommand.AddBranchConstraints(table, branch, checks, named,
              false));
        },
        (unit, onBranch) -> unit.roles().branchObjects().addPendingRules(unit, onBranch, branch, checks)
            .onFailure(e -> "42703".equals(PgErrors.sqlState(e))).transform(e -> lacksColumn(table, branch, e)),
        ctx, Answer.NONE);
  }

  /**
   * After a merge into {@code branch} is aborted: the checks and unique constraints it carried that are still pending
   * (its rows may fail them: their violations were its conflicts) go with it, each table's in one command recorded for
   * the branch.
   */
  Uni<Void> dropPending(String repository, String branch, CommandContext ctx) {
    return tables.tables(repository).chain(all -> io.smallrye.mutiny.Multi.createFrom().iterable(all)
        .filter(t -> t.constraintsOn(branch).stream().anyMatch(CarriedConstraints::mayBePending))
        .onItem().transformToUniAndConcatenate(t -> backends.beginRead(repository, t.storage())
            .chain(open -> open.unit().roles().branchObjects().pendingRules(open.unit(),
                    io.strata.projections.rowdata.TrackedTable.on(repository, t, branch), branch,
                    t.constraintsOn(branch).stream().filter(CarriedConstraints::mayBePending)
                        .map(TableShape.Constraint::name).toList())
                .onTermination().call(open::rollback))
            .chain(pending -> pending.isEmpty() ? Uni.createFrom().voidItem()
                : dropCarried(repository, branch, t.name(), pending, ctx).replaceWithVoid()))
        .collect().last()
        .replaceWithVoid());
  }

  /** Whether a merge may have carried {@code rule} to a branch pending: a check, or a unique constraint. */
  private static boolean mayBePending(TableShape.Constraint rule) {
    return BranchConstraints.isCheck(rule) || BranchConstraints.isUnique(rule);
  }

  /** The refusal of a check naming a column the branch does not have (a merge's source's). */
  private static StrataException lacksColumn(String table, String branch, Throwable e) {
    return new StrataException(ErrorCode.ValidationError, "a check the merge brings to table '" + table + "' names a"
        + " column branch '" + branch + "' does not have (" + PgErrors.message(e) + "); nothing changed",
        Map.of("table", table, "branch", branch));
  }

  /** Drops the checks {@code names} a merge's source dropped since the base from {@code branch}. */
  Uni<CommandResponse> dropCarried(String repository, String branch, String table, List<String> names,
      CommandContext ctx) {
    BranchSchemaCommand.DropBranchConstraints command = new BranchSchemaCommand.DropBranchConstraints(table, branch, names, null, false);
    return schemas.onBranchObjects(repository, command, state -> BranchConstraints.requireDroppable(state, command),
        (unit, onBranch) -> unit.roles().branchObjects().dropRules(unit, onBranch, branch, names), ctx, Answer.NONE);
  }

  /**
   * The refusal of a merge that would hold {@code branch}'s rows to a check they fail: a {@code constraint_violation}
   * per row listed (the first 100, in key order), and how many fail it.
   */
  static StrataException violation(String table, String branch, BranchObjects.CheckFailed e) {
    return violation(table, branch, e, List.of());
  }

  /** {@link #violation}, the rule named among {@code held} (a unique constraint is named so, not a check). */
  static StrataException violation(String table, String branch, BranchObjects.CheckFailed e,
      List<io.strata.projections.rowdata.Merges.HeldCheck> held) {
    String what = held.stream().filter(h -> h.check().name().equals(e.constraint())).findFirst()
        .map(h -> BranchConstraints.kindOf(h.check())).orElse("check");
    List<Map<String, Object>> conflicts = e.keys().stream().map(key -> {
      Map<String, Object> conflict = new java.util.LinkedHashMap<>();
      conflict.put("table", table);
      conflict.put("constraint", e.constraint());
      conflict.put("type", "constraint_violation");
      conflict.put("key", key);
      return conflict;
    }).toList();
    String rows = e.count() > 1 ? "the rows of keys " + String.join("; ", e.keys()) + (e.count() > e.keys().size()
        ? " (and " + (e.count() - e.keys().size()) + " more)" : "") : "the row of key " + e.key();
    return new StrataException(ErrorCode.SchemaConflict, rows + " of table '" + table + "' on '" + branch
        + "' " + (e.count() > 1 ? "fail" : "fails") + " " + what + " '" + e.constraint() + "', which the merge brings:"
        + " change them first (or settle the " + what + " with schema_strategy ours); nothing changed",
        Map.of("schema_conflicts", conflicts, "schema_conflict_count", e.count()));
  }
}
