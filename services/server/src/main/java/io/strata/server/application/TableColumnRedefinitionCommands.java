package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.BranchSchemaDecider;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.TableColumnRedefinitions;
import io.strata.server.runtime.StorageBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code alter_column} of the table's own columns on a branch ({@link BranchSchemaCommands#alterColumns} hands
 * them here): NOT NULL set or dropped, a default set or dropped. A new default is defined by the table's
 * database first (its text as the column's type reads it, in a transaction it rolls back); then, in the
 * repository's queue, the branch's overlay and view take the definitions in the command's transaction — a
 * column made NOT NULL checked over every row the branch reads (a null: 422 naming its key, nothing changed) —
 * and {@code table.branch_schema_changed} records them. No row is copied; the table is not touched.
 */
final class TableColumnRedefinitionCommands {
  private TableColumnRedefinitionCommands() {}

  /** What a request changes of a column of the table's own: its stored name and definitions before and after. */
  record Worked(List<TableShape.Column> from, List<BranchObjects.NewColumn> defaults, List<Boolean> dropDefault) {}

  /**
   * The redefinitions {@code changes} make of table {@code t}'s columns on {@code branch} ({@code stored}: each
   * change's stored name): the definitions are worked out (a default by the table's database) before the
   * command runs in the queue.
   */
  static Uni<CommandResponse> redefine(BranchSchemaCommands commands, String repository, TableRow t, String branch,
      List<BranchSchemaCommands.ColumnChange> changes, List<String> stored, boolean validateOnly, CommandContext ctx,
      Function<List<TableShape.Column>, Answer> answer, StorageBackends backends) {
    String table = t.name();
    Map<String, TableShape.Column> own = BranchSchemaDecider.tableColumns(t.facts());
    List<TableShape.Column> from = new ArrayList<>();
    List<BranchObjects.NewColumn> probes = new ArrayList<>();
    for (int i = 0; i < changes.size(); i++) {
      BranchSchemaCommands.ColumnChange c = changes.get(i);
      String name = stored.get(i);
      TableShape.Column now = t.redefinedOn(branch).stream().filter(r -> r.name().equals(name)).findFirst()
          .orElse(own.get(name));
      if (now == null) {
        throw new StrataException(ErrorCode.ValidationError, "branch '" + branch + "' has no column '" + c.name()
            + "' in table '" + table + "'", Map.of("table", table, "branch", branch, "column", c.name()));
      }
      if (c.type() != null && !c.type().equals(now.type())) {
        throw new StrataException(ErrorCode.ValidationError, "column '" + c.name() + "' of table '" + table + "' is "
            + now.type() + ": changing the type of a column of the table's own on a branch is not built yet (alter a"
            + " column the branch added, or change the table with DDL on the default branch)",
            Map.of("table", table, "branch", branch, "column", c.name()));
      }
      from.add(now);
      if (c.defaultText() != null) {
        probes.add(new BranchObjects.NewColumn(name, now.type(), true, c.defaultText()));
      }
    }
    Uni<List<TableShape.Column>> defined = probes.isEmpty() ? Uni.createFrom().item(List.of())
        : backends.begin(repository, t.storage()).chain(open -> open.unit().roles().branchObjects()
                .define(open.unit(), probes).onTermination().call(open::rollback))
            .onFailure(BranchObjects.Undefinable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
                "column '" + ((BranchObjects.Undefinable) e).column() + "': " + e.getMessage(),
                Map.of("table", table, "column", ((BranchObjects.Undefinable) e).column())));
    return defined.invoke(BranchSchemaCommands::requireStoredDefaultsFit).chain(defaults -> {
      List<TableShape.Column> to = new ArrayList<>();
      int probe = 0;
      for (int i = 0; i < changes.size(); i++) {
        BranchSchemaCommands.ColumnChange c = changes.get(i);
        TableShape.Column now = from.get(i);
        String defaultValue = c.defaultText() != null ? defaults.get(probe++).defaultValue()
            : c.dropDefault() ? null : now.defaultValue();
        to.add(new TableShape.Column(now.name(), now.type(), c.nullable() == null ? now.nullable() : c.nullable(),
            now.collation(), defaultValue, now.generated(), now.identity()));
      }
      Commands.RedefineBranchColumns command = new Commands.RedefineBranchColumns(table, branch, from, to, validateOnly);
      List<TableShape.Column> shown = new ArrayList<>();
      for (int i = 0; i < to.size(); i++) {
        shown.add(to.get(i).named(changes.get(i).name()));
      }
      Map<String, String> storedOf = new java.util.HashMap<>();
      for (int i = 0; i < changes.size(); i++) {
        storedOf.put(changes.get(i).name(), stored.get(i));
      }
      return commands.onBranchObjects(repository, command, state -> {
        BranchSchemaCommands.requireStillShown(state, table, branch, storedOf);
        TableColumnRedefinitions.requireRedefinable(state, command);
      }, (unit, onBranch) -> redefine(unit, onBranch, branch, TableColumnRedefinitions.after(
          onBranch.refRedefined(), to)), ctx, answer.apply(shown));
    });
  }

  /**
   * Gives {@code branch}'s objects of a table the redefinitions {@code redefined} (all of them); a null in a
   * column made NOT NULL: 422, nothing changed.
   */
  static Uni<Void> redefine(UnitOfWork unit, TrackedTable onBranch, String branch, List<TableShape.Column> redefined) {
    return unit.roles().branchObjects().redefineColumns(unit, onBranch, branch, redefined)
        .onFailure(f -> "23502".equals(PgErrors.sqlState(f)))
        .transform(f -> new StrataException(ErrorCode.ValidationError, "table '" + onBranch.name() + "' on branch '"
            + branch + "': " + PgErrors.message(f) + "; nothing changed",
            Map.of("table", onBranch.name(), "branch", branch)));
  }
}
