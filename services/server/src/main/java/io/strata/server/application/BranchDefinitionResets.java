package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.BranchSchemaDecider;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The part of a branch's shape reset ({@link BranchSchemaResets}) that concerns the table's own columns' definitions
 * and the branch's checks: the definitions (nullability, defaults, types) and the CHECK constraints a commit's (or a
 * stash's) branch had, given to the branch around its rows' move, zero-copy.
 */
@ApplicationScoped
public class BranchDefinitionResets {
  private final StorageBackends backends;

  @Inject
  public BranchDefinitionResets(StorageBackends backends) {
    this.backends = backends;
  }

  /**
   * {@code moved} then holding its rows to the CHECK constraints the commit's branch had added ({@code wanted};
   * none for a commit of a branch that added none): those it holds now and the commit's branch did not are
   * dropped before the rows move, the commit's are added once they moved (its rows kept to them). Recorded with
   * the reset's schema changes.
   */
  Uni<BranchSchemaResets.Moved> checking(UnitOfWork tx, RepositoryState state, String repository, String branch, BranchSchemaResets.Moved moved,
      Map<String, List<TableShape.Constraint>> wanted) {
    List<TableBranchSchemaChanged> events = new ArrayList<>(moved.events());
    Uni<Void> dropping = Uni.createFrom().voidItem();
    List<java.util.function.Supplier<Uni<Void>>> adding = new ArrayList<>();
    for (TableRow row : moved.tracked()) {
      String table = row.name();
      TableTracked own = state.tables().get(table);
      if (own == null) {
        continue;
      }
      TableBranchSchemaChanged changed = events.stream().filter(e -> e.name().equals(table)).findFirst().orElse(null);
      List<TableShape.Constraint> current = state.constraintsOn(table, branch);
      List<TableColumn> columns = changed != null ? changed.columns() : state.columnsOn(table, branch);
      // a check of the commit's naming a column the branch no longer reads stays behind
      List<TableShape.Constraint> target = wanted.getOrDefault(table, List.of()).stream()
          .filter(c -> own.columns().stream().filter(x -> io.strata.server.domain.BranchConstraints.names(c, x.name()))
              .allMatch(x -> columns.stream().anyMatch(y -> y.name().equals(x.name())))).toList();
      if (current.equals(target)) {
        continue;
      }
      List<TableShape.Constraint> drops = current.stream().filter(c -> !target.contains(c)).toList();
      List<TableShape.Constraint> adds = target.stream().filter(c -> !current.contains(c)).toList();
      List<TableBranchSchemaChanged.Operation> operations = new ArrayList<>(changed != null ? changed.operations()
          : List.of());
      drops.forEach(c -> operations.add(TableBranchSchemaChanged.Operation.onConstraint(
          TableBranchSchemaChanged.DROP_CONSTRAINT, c)));
      adds.forEach(c -> operations.add(TableBranchSchemaChanged.Operation.onConstraint(
          TableBranchSchemaChanged.ADD_CONSTRAINT, c)));
      TableBranchSchemaChanged event = changed != null
          ? new TableBranchSchemaChanged(table, branch, operations, changed.columns(), changed.added(),
              changed.renamed(), changed.redefined(), target)
          : new TableBranchSchemaChanged(table, branch, operations, columns, state.addedOn(table, branch),
              state.renamedOn(table, branch), state.redefinedOn(table, branch), target);
      if (changed != null) {
        events.set(events.indexOf(changed), event);
      } else {
        events.add(event);
      }
      TrackedTable on = TrackedTable.on(repository, row, branch);
      List<String> dropNames = drops.stream().map(TableShape.Constraint::name).toList();
      dropping = dropping.chain(() -> dropNames.isEmpty() ? Uni.createFrom().voidItem()
          : backends.inCommand(tx, repository, own.storage(), c -> c.roles().branchObjects().dropRules(c, on, branch,
              dropNames)));
      if (!adds.isEmpty()) {
        adding.add(() -> backends.inCommand(tx, repository, own.storage(), c -> c.roles().branchObjects()
            .addRules(c, on, branch, adds))
            .onFailure(io.strata.projections.rowdata.BranchObjects.CheckFailed.class).transform(e -> new StrataException(
                ErrorCode.ValidationError, "the row of key " + ((io.strata.projections.rowdata.BranchObjects.CheckFailed) e)
                    .key() + " of table '" + table + "' fails check '" + ((io.strata.projections.rowdata.BranchObjects
                    .CheckFailed) e).constraint() + "' the commit's branch held; nothing changed",
                Map.of("table", table, "branch", branch))));
      }
    }
    if (events.equals(moved.events())) {
      return Uni.createFrom().item(moved);
    }
    return dropping.replaceWith(new BranchSchemaResets.Moved(events, moved.tracked(), () -> {
      Uni<Void> all = moved.afterRows().get();
      for (java.util.function.Supplier<Uni<Void>> a : adding) {
        all = all.chain(a::get);
      }
      return all;
    }));
  }

  /**
   * {@code moved} then defining the table's own columns as the commit's branch did ({@code wanted}; none for a
   * commit of a branch that redefined none: the table's definitions): NOT NULL relaxed before the rows move
   * where either side has the column nullable (the commit's rows may bring nulls back), the commit's rules and
   * defaults once they moved. Zero-copy; recorded with the reset's schema changes.
   */
  Uni<BranchSchemaResets.Moved> redefining(UnitOfWork tx, RepositoryState state, String repository, String branch, BranchSchemaResets.Moved moved,
      Map<String, List<TableShape.Column>> wanted) {
    List<TableBranchSchemaChanged> events = new ArrayList<>(moved.events());
    List<TableRow> after = new ArrayList<>(moved.tracked());
    List<java.util.function.Supplier<Uni<Void>>> before = new ArrayList<>();
    List<java.util.function.Supplier<Uni<Void>>> afterRows = new ArrayList<>();
    for (int i = 0; i < after.size(); i++) {
      TableRow row = after.get(i);
      String table = row.name();
      TableTracked own = state.tables().get(table);
      if (own == null) {
        continue;
      }
      TableBranchSchemaChanged changed = events.stream().filter(e -> e.name().equals(table)).findFirst().orElse(null);
      List<TableColumn> columns = changed != null ? changed.columns() : state.columnsOn(table, branch);
      List<TableShape.Column> current = BranchSchemaDecider.redefinedAmong(state.redefinedOn(table, branch), columns);
      List<TableShape.Column> target = BranchSchemaDecider.redefinedAmong(wanted.getOrDefault(table, List.of()),
          columns).stream().filter(w -> own.columns().stream().anyMatch(c -> c.name().equals(w.name()))).toList();
      if (current.equals(target)) {
        continue;
      }
      Map<String, TableShape.Column> table0 = BranchSchemaDecider.tableColumns(own);
      Map<String, TableShape.Column> then = new java.util.LinkedHashMap<>();
      target.forEach(w -> then.put(w.name(), w));
      // relaxed before the rows move: NOT NULL of either, the commit's types where the branch's values read as they
      // are in them (a widening), else the types the branch has (the commit's rows read as they are in those)
      List<TableShape.Column> loose = new ArrayList<>();
      List<TableShape.Column> looseNow = new ArrayList<>();
      java.util.Set<String> names = new java.util.LinkedHashSet<>();
      current.forEach(c -> names.add(c.name()));
      target.forEach(c -> names.add(c.name()));
      for (String name : names) {
        TableShape.Column now = current.stream().filter(c -> c.name().equals(name)).findFirst()
            .orElse(table0.get(name));
        TableShape.Column w = then.getOrDefault(name, table0.get(name));
        if (now == null || w == null) {
          continue;
        }
        loose.add(new TableShape.Column(name, w.type(), now.nullable() || w.nullable(), w.collation(), w.defaultValue(),
            w.generated(), w.identity()));
        looseNow.add(new TableShape.Column(name, now.type(), now.nullable() || w.nullable(), w.collation(),
            w.defaultValue(), w.generated(), w.identity()));
      }
      // a column the commit's branch did not redefine takes the table's definition (pinned as the branch's own)
      List<TableShape.Column> wantedAll = names.stream().map(n -> then.getOrDefault(n, table0.get(n)))
          .filter(java.util.Objects::nonNull).toList();
      List<TableColumn> columnsAfter = columns.stream().map(c -> wantedAll.stream().filter(w -> w.name().equals(c.name()))
          .findFirst().map(w -> new TableColumn(c.name(), io.strata.events.ColumnTypes.same(w.type(), c.type())
              ? c.type() : w.type(), w.nullable())).orElse(c)).toList();
      List<TableBranchSchemaChanged.Operation> operations = new ArrayList<>(changed != null ? changed.operations()
          : List.of());
      Map<String, String> shown = changed != null ? changed.renamed() : state.renamedOn(table, branch);
      wantedAll.forEach(w -> operations.add(new TableBranchSchemaChanged.Operation(
          TableBranchSchemaChanged.ALTER_COLUMN, w.named(shown.getOrDefault(w.name(), w.name())))));
      List<TableShape.Column> added = changed != null ? changed.added() : state.addedOn(table, branch);
      TableBranchSchemaChanged event = new TableBranchSchemaChanged(table, branch, operations, columnsAfter, added,
          shown, wantedAll, changed != null ? changed.rules() : state.constraintsOn(table, branch));
      if (changed != null) {
        events.set(events.indexOf(changed), event);
      } else {
        events.add(event);
      }
      int at = i;
      // the rows move in the shape the other changes left them (a deferred alter's type included)
      before.add(() -> backends.inCommand(tx, repository, own.storage(), c -> c.roles().branchObjects()
          .redefineColumnsIfTheyConvert(c, TrackedTable.on(repository, row, branch), branch, loose)
          .chain(converted -> converted ? Uni.createFrom().item(loose) : TableColumnRedefinitionCommands.refused(
              TrackedTable.on(repository, row, branch), branch, c.roles().branchObjects().redefineColumns(c,
                  TrackedTable.on(repository, row, branch), branch, looseNow)).replaceWith(looseNow))
          .invoke(relaxed -> after.set(at, row.withBranchShape(branch, io.strata.events.ColumnTypes.typed(row.columnsOn(branch), relaxed),
              row.addedOn(branch), row.renamedOn(branch), relaxed)))
          .replaceWithVoid()));
      afterRows.add(() -> backends.inCommand(tx, repository, own.storage(), c -> TableColumnRedefinitionCommands
          .refused(TrackedTable.on(repository, after.get(at), branch), branch, c.roles().branchObjects()
              .redefineColumns(c, TrackedTable.on(repository, after.get(at), branch), branch, wantedAll))));
    }
    if (before.isEmpty()) {
      return Uni.createFrom().item(moved);
    }
    Uni<Void> relaxed = Uni.createFrom().voidItem();
    for (java.util.function.Supplier<Uni<Void>> b : before) {
      relaxed = relaxed.chain(b::get);
    }
    return relaxed.replaceWith(new BranchSchemaResets.Moved(events, after, () -> {
      Uni<Void> all = moved.afterRows().get();
      for (java.util.function.Supplier<Uni<Void>> a : afterRows) {
        all = all.chain(a::get);
      }
      return all;
    }));
  }
}
