package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.BranchSchemaDecider;
import io.strata.server.domain.BranchSchemaCommand;
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
 * them here): NOT NULL set or dropped, a default set or dropped, a new type. A new type and a new default are
 * defined by the table's database first (the type as it formats it, with a cast back; the default's text as the
 * column's type reads it; in a transaction it rolls back); then, in the repository's queue, the branch's overlay
 * and view take the definitions in the command's transaction — a column made NOT NULL checked over every row the
 * branch reads (a null: 422 naming its key, nothing changed), a new type too (a value it would read otherwise, or
 * not at all: 422 naming its key) — and {@code table.branch_schema_changed} records them. No row of the table is
 * copied (its rows read through a cast in the branch's view); the table is not touched.
 */
final class TableColumnRedefinitionCommands {
  private TableColumnRedefinitionCommands() {}

  /**
   * The redefinitions {@code changes} make of table {@code t}'s columns on {@code branch} ({@code stored}: each
   * change's stored name): the definitions are worked out (a default by the table's database) before the
   * command runs in the queue.
   */
  static Uni<CommandResponse> redefine(BranchSchemaCommands commands, String repository, TableRow t, String branch,
      List<ColumnOperationInput.ColumnChange> changes, List<String> stored, boolean validateOnly, CommandContext ctx,
      Function<List<TableShape.Column>, Answer> answer, StorageBackends backends) {
    String table = t.name();
    Map<String, TableShape.Column> own = BranchSchemaDecider.tableColumns(t.facts());
    List<TableShape.Column> from = new ArrayList<>();
    List<BranchObjects.Redefinition> retypes = new ArrayList<>();
    for (int i = 0; i < changes.size(); i++) {
      ColumnOperationInput.ColumnChange c = changes.get(i);
      String name = stored.get(i);
      TableShape.Column now = t.redefinedOn(branch).stream().filter(r -> r.name().equals(name)).findFirst()
          .orElse(TableColumnRedefinitions.inKeptType(own.get(name), t.columnsOn(branch)));
      if (now == null) {
        throw new StrataException(ErrorCode.ValidationError, "branch '" + branch + "' has no column '" + c.name()
            + "' in table '" + table + "'", Map.of("table", table, "branch", branch, "column", c.name()));
      }
      if (c.type() != null && !c.type().equals(now.type())) {
        // the type probed without the column's default: the table's may call a sequence, which a probe would move
        retypes.add(new BranchObjects.Redefinition(new TableShape.Column(name, now.type(), true, now.collation(), null,
            null, null), c.type(), true));
      }
      from.add(now);
    }
    Uni<List<TableShape.Column>> typed = retypes.isEmpty() ? Uni.createFrom().item(List.of())
        : probed(backends, repository, t, open -> open.unit().roles().branchObjects().redefine(open.unit(), retypes));
    return typed.chain(types -> {
      // each column's type after: the one the database gave a new type, else the one it has
      List<String> typeAfter = new ArrayList<>();
      int retyped = 0;
      List<BranchObjects.NewColumn> probes = new ArrayList<>();
      for (int i = 0; i < changes.size(); i++) {
        ColumnOperationInput.ColumnChange c = changes.get(i);
        TableShape.Column now = from.get(i);
        typeAfter.add(c.type() != null && !c.type().equals(now.type()) ? types.get(retyped++).type() : now.type());
        if (c.defaultText() != null) {
          probes.add(new BranchObjects.NewColumn(now.name(), typeAfter.get(i), true, c.defaultText()));
        }
      }
      return (probes.isEmpty() ? Uni.createFrom().item(List.<TableShape.Column>of())
          : probed(backends, repository, t, open -> open.unit().roles().branchObjects().define(open.unit(), probes)))
          .invoke(ColumnOperationInput::requireStoredDefaultsFit)
          .map(defaults -> new Probed(typeAfter, defaults));
    }).chain(probed -> {
      List<String> typeAfter = probed.types();
      List<TableShape.Column> defaults = probed.defaults();
      List<TableShape.Column> to = new ArrayList<>();
      int probe = 0;
      for (int i = 0; i < changes.size(); i++) {
        ColumnOperationInput.ColumnChange c = changes.get(i);
        TableShape.Column now = from.get(i);
        String defaultValue = c.defaultText() != null ? defaults.get(probe++).defaultValue()
            : c.dropDefault() ? null : now.defaultValue();
        to.add(new TableShape.Column(now.name(), typeAfter.get(i), c.nullable() == null ? now.nullable()
            : c.nullable(), now.collation(), defaultValue, now.generated(), now.identity()));
      }
      BranchSchemaCommand.RedefineBranchColumns command = new BranchSchemaCommand.RedefineBranchColumns(table, branch, from, to, validateOnly);
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
          onBranch.refRedefined(), to)),
          // validate_only looks at the rows too (reads only)
          (unit, onBranch) -> refused(onBranch, branch, unit.roles().branchObjects().requireRedefinable(unit, onBranch,
              branch, TableColumnRedefinitions.after(onBranch.refRedefined(), to))), ctx, answer.apply(shown));
    });
  }

  /** Each change's type after it, and the new defaults as the database defined them in those types. */
  private record Probed(List<String> types, List<TableShape.Column> defaults) {}

  /**
   * What the table's database answers {@code probe} in a transaction it rolls back; a definition it refuses: 422
   * naming the column.
   */
  private static Uni<List<TableShape.Column>> probed(StorageBackends backends, String repository, TableRow t,
      Function<StorageBackends.OpenUnit, Uni<List<TableShape.Column>>> probe) {
    return backends.begin(repository, t.storage()).chain(open -> probe.apply(open).onTermination().call(open::rollback))
        .onFailure(BranchObjects.Undefinable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
            "column '" + ((BranchObjects.Undefinable) e).column() + "': " + e.getMessage(),
            Map.of("table", t.name(), "column", ((BranchObjects.Undefinable) e).column())));
  }

  /**
   * Gives {@code branch}'s objects of a table the redefinitions {@code redefined} (all of them); a null in a
   * column made NOT NULL: 422, nothing changed.
   */
  static Uni<Void> redefine(UnitOfWork unit, TrackedTable onBranch, String branch, List<TableShape.Column> redefined) {
    return refused(onBranch, branch, unit.roles().branchObjects().redefineColumns(unit, onBranch, branch, redefined));
  }

  /** {@code work} on a branch's objects, its refusals as 422s. */
  static Uni<Void> refused(TrackedTable onBranch, String branch, Uni<Void> work) {
    return work
        .onFailure(f -> "2BP01".equals(PgErrors.sqlState(f)))
        .transform(f -> BranchSchemaCommands.dependents(onBranch, branch, f))
        // a null in a column made NOT NULL (23502), a value a new type would read otherwise or not at all (22…)
        // (42…: a check of the table's the overlay copied that does not apply to the new type)
        .onFailure(f -> "23502".equals(PgErrors.sqlState(f)) || PgErrors.hasStateClass(f, "22")
            || PgErrors.hasStateClass(f, "42"))
        .transform(f -> new StrataException(ErrorCode.ValidationError, "table '" + onBranch.name() + "' on branch '"
            + branch + "': " + PgErrors.message(f) + "; nothing changed",
            Map.of("table", onBranch.name(), "branch", branch)));
  }
}
