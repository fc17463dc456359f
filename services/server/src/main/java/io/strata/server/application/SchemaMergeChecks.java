package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaMerge;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks that refuse a settled schema merge ({@link SchemaMerges.Settled}) for what its data would not survive:
 * a redefinition no conversion of the target's column makes (422), and values a side changed since the base in
 * columns the other dropped ({@code schema_data} conflicts, decided with the rows).
 */
final class SchemaMergeChecks {
  private SchemaMergeChecks() {}

  /**
   * Refuses (422, nothing changed) carrying a redefinition that no conversion of the target's column makes:
   * the source's column must be what {@code alter_column} makes of the target's (its type, nullability and
   * the default converted), as the table's database works it out. A column the source dropped and added
   * again with another default read that default in every row it had not written since, a change no row of
   * its history records: carried as an alteration it would leave the target's rows as they were. A
   * conflict settled as theirs takes the source's definition as it is.
   */
  static Uni<Void> requireAlterations(StorageBackends backends, String repo, RepositoryState state,
      SchemaMerges.Settled settled) {
    Uni<Void> checks = Uni.createFrom().voidItem();
    for (Map.Entry<String, List<SchemaMerge.Change>> e : settled.alters().entrySet()) {
      List<SchemaMerge.Change> carried = e.getValue().stream().filter(c -> c.settled() == null).toList();
      TableTracked t = state.tables().get(e.getKey());
      if (carried.isEmpty() || t == null) {
        continue;
      }
      List<BranchObjects.Redefinition> asked = carried.stream().map(c -> new BranchObjects.Redefinition(c.ours(),
          c.ours().type().equals(c.merged().type()) ? null : c.merged().type(), c.merged().nullable())).toList();
      checks = checks.chain(() -> backends.begin(repo, t.storage())
          .chain(open -> open.unit().roles().branchObjects().redefine(open.unit(), asked)
              .onTermination().call(open::rollback))
          .onFailure(BranchObjects.Undefinable.class).recoverWithItem(f -> List.of())
          .invoke(made -> {
            for (int i = 0; i < carried.size(); i++) {
              SchemaMerge.Change c = carried.get(i);
              if (i >= made.size() || !SchemaMerge.same(made.get(i), c.merged())) {
                throw new StrataException(ErrorCode.ValidationError, "'" + settled.source() + "' redefined column '"
                    + c.column() + "' of table '" + c.table() + "' since the merge base (" + SchemaConflictRefusals.definition(c.merged())
                    + ", '" + settled.target() + "' has " + SchemaConflictRefusals.definition(c.ours()) + ") otherwise than alter_column"
                    + " converts a column (dropped and added again another way), which a merge does not carry:"
                    + " change it on '" + settled.target() + "' the same way first, or settle it with schema_strategy",
                    Map.of("table", c.table(), "column", c.column(), "branch", settled.target()));
              }
            }
          })
          .replaceWithVoid());
    }
    return checks;
  }

  /**
   * Refuses the merge when the source changed values, since the base, in columns the target dropped
   * ({@link SchemaMerges.Settled#droppedByOurs}): {@code changed} reads which of a table's such columns the source's
   * net changes touch. A conflict {@code schema_data} per column, as the schema conflicts are listed.
   */
  static Uni<Void> requireUnchanged(SchemaMerges.Settled settled, String table,
      java.util.function.Function<List<String>, Uni<Set<String>>> changed) {
    return requireUnchanged(settled, settled.droppedByOurs().getOrDefault(table, List.of()), changed);
  }

  /**
   * Refuses the merge when the target changed values, since the base, in columns the merge drops from it
   * ({@link SchemaMerges.Settled#drops}, the source dropped them): {@code changed} reads which of a table's such
   * columns the target's net changes touch; {@code schema_data} per column, unless ours keeps them.
   */
  static Uni<Void> requireUnchangedByOurs(SchemaMerges.Settled settled, String table,
      java.util.function.Function<List<String>, Uni<Set<String>>> changed) {
    return requireUnchanged(settled, settled.droppedByTheirs().getOrDefault(table, List.of()), changed);
  }

  private static Uni<Void> requireUnchanged(SchemaMerges.Settled settled, List<SchemaMerge.Conflict> dropped,
      java.util.function.Function<List<String>, Uni<Set<String>>> changed) {
    if (dropped.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return changed.apply(dropped.stream().map(SchemaMerge.Conflict::column).toList()).invoke(touched -> {
      List<SchemaMerge.Conflict> open = dropped.stream().filter(c -> touched.contains(c.column())).toList();
      if (!open.isEmpty()) {
        throw SchemaConflictRefusals.refusal(open, settled.source(), settled.target());
      }
    }).replaceWithVoid();
  }
}
