package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;

import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A branch's objects of a table in PostgreSQL: an overlay (the rows the branch made differ from the
 * table, with tombstones), a working log, and an updatable view in schema {@code strata_<branch>} whose
 * INSTEAD OF trigger writes both, over the table's shared pre-image log (see {@link OverlaySql}). Each
 * branch creation starts a new fork epoch of the table, and the capture on the table is regenerated to
 * file pre-images under it (or to stop filing them when the last branch goes).
 */
public final class PgBranchObjects implements BranchObjects<UnitOfWork> {

  /**
   * A branch's objects are Strata's own DDL, none of it on the table itself: the DDL guard has nothing
   * to look at (it would cost a quarter of a branch's creation: benchmarks/run-ddl.sh).
   */
  static final String STRATA_OWN_DDL = DdlGuardSql.UNCHECKED + ";\n";

  @Override
  public Uni<Void> create(UnitOfWork unit, TrackedTable table, String branch, StatePath start) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql main = OverlaySql.of(table);
    OverlaySql onBranch = main.onBranch(table.branchId(branch));
    return remove(unit, table, branch).chain(() -> add(tx, main, onBranch, table.name(), branch, start));
  }

  @Override
  public Uni<Void> create(UnitOfWork unit, TrackedTable table, String branch, StatePath start,
      List<TableShape.Column> inherited) {
    if (inherited.isEmpty()) {
      return create(unit, table, branch, start);
    }
    List<TableColumn> columnsAfter = new ArrayList<>(table.columns());
    inherited.forEach(c -> columnsAfter.add(c.asTableColumn()));
    TrackedTable after = new TrackedTable(table.repository(), table.name(), table.schema(), table.table(), table.key(),
        table.columns(), columnsAfter, inherited);
    OverlaySql main = OverlaySql.of(table);
    OverlaySql onBranch = OverlaySql.of(after).onBranch(after.branchId(branch));
    // the start state's rows were filled in the table's columns: their values of the new ones come from
    // their images, which have them (the source's change sets were made in its columns)
    return create(unit, table, branch, start)
        .chain(() -> addColumns(unit, table, branch, inherited))
        .chain(() -> start.isWorking() ? Uni.createFrom().voidItem() : PgUnit.of(unit)
            .preparedQuery(new BranchObjectsSql(onBranch).refillColumns(ChangeImagesSql.changed(main, "$1", "$2",
                start.undoWorkingChanges()), inherited.stream().map(TableShape.Column::name).toList()))
            .execute(Tuple.of(start.undo().toArray(String[]::new), start.redo().toArray(String[]::new)))
            .replaceWithVoid());
  }

  @Override
  public Uni<Void> remove(UnitOfWork unit, TrackedTable table, String branch) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql onBranch = OverlaySql.of(table).onBranch(table.branchId(branch));
    OverlaySql.rowTypesChanging(); // its row type goes: one of its name made again is another
    return tx.query(STRATA_OWN_DDL + onBranch.lockAgainstWriters()).execute()
        .chain(() -> tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(table.id())))
        .chain(rows -> {
          for (Row r : rows) {
            if (r.getString(0).equals(onBranch.bid())) {
              return tx.query(new BranchObjectsSql(onBranch).drop(r.getString(2), r.getString(3))
                      + BranchObjectsSql.dropSchemaIfEmpty(r.getString(2))).execute()
                  .chain(() -> tx.preparedQuery(BranchObjectsSql.UNREGISTER_OVERLAY)
                      .execute(Tuple.of(table.id(), onBranch.bid())))
                  .chain(() -> tx.query(new TrackingSql(onBranch).collectPreimages()).execute())
                  .chain(() -> PgTracking.regenerateCapture(tx, onBranch));
            }
          }
          return Uni.createFrom().voidItem();
        });
  }

  /** A column name in the probe below: one a client cannot have asked for (identifiers are checked before). */
  private static final String PROBE = "strata_probe_columns";

  /**
   * Whether type $1 (a name, resolved as PostgreSQL resolves it) may be a column's on a branch: a built-in
   * base, range or multirange type, or an array of one, but no object identifier alias ({@code regclass}
   * and its kind print, and make the column depend on, whatever object their values name), no type of
   * the server's own internals (catalog trees and statistics, whose input always fails; {@code aclitem},
   * whose input looks roles up; index support types; the old vector types). No row: no such type.
   */
  private static final String TYPE_KIND = """
      select coalesce(e.typtype, t.typtype) in ('b', 'r', 'm')
             and coalesce(e.typnamespace, t.typnamespace) = 'pg_catalog'::regnamespace
             and coalesce(e.typname, t.typname) not like 'reg%'
             and coalesce(e.typcategory, t.typcategory) not in ('P', 'X', 'Z')
             and not (array[t.typname, coalesce(e.typname, t.typname)] && array['aclitem', 'gtsvector',
                 'int2vector', 'oidvector', 'pg_node_tree', 'pg_ndistinct', 'pg_dependencies', 'pg_mcv_list',
                 'pg_brin_bloom_summary', 'pg_brin_minmax_multi_summary', 'txid_snapshot', 'pg_snapshot',
                 'refcursor']::name[])
      from pg_type t left join pg_type e on t.typcategory = 'A' and e.oid = t.typelem
      where t.oid = to_regtype($1)""";

  @Override
  public Uni<List<TableShape.Column>> define(UnitOfWork unit, List<NewColumn> columns) {
    SqlConnection tx = PgUnit.of(unit);
    List<TableShape.Column> defined = new ArrayList<>();
    // type names resolve among PostgreSQL's own types only: not a table's row type, a domain or an enum of
    // some schema on the server's search path (another tenant's objects, Strata's own)
    Uni<Void> chain = tx.query("set local search_path = pg_catalog, pg_temp").execute().replaceWithVoid();
    for (NewColumn c : columns) {
      // a temporary table the caller's transaction drops: PostgreSQL parses the type and coerces the
      // default into it as ALTER TABLE … ADD COLUMN would
      String create = "drop table if exists pg_temp." + PROBE + "; create temporary table " + PROBE + " ("
          + Sql.quote(c.name()) + " " + c.type()
          + (c.defaultText() == null ? "" : " default " + OverlaySql.literal(c.defaultText())) + ") on commit drop";
      chain = chain.chain(() -> probe(tx, c.name(), requireBuiltIn(tx, c.name(), c.type())
          .chain(() -> tx.query(create).execute())
          // the default as a row gets it (assignment: a value too long for varchar(2) is refused, not cut)
          .chain(() -> tx.query("insert into pg_temp." + PROBE + " default values").execute())
          .replaceWithVoid(), c.nullable(), defined));
    }
    return chain.map(x -> List.copyOf(defined));
  }

  @Override
  public Uni<List<TableShape.Column>> redefine(UnitOfWork unit, List<Redefinition> changes) {
    SqlConnection tx = PgUnit.of(unit);
    List<TableShape.Column> defined = new ArrayList<>();
    Uni<Void> chain = tx.query("set local search_path = pg_catalog, pg_temp").execute().replaceWithVoid();
    for (Redefinition r : changes) {
      TableShape.Column c = r.current();
      String column = Sql.quote(c.name());
      // the column as the branch has it (its default an expression the database wrote, kept by Strata), one
      // row reading its default, then changed as ALTER TABLE changes a column: row and default converted
      String create = "drop table if exists pg_temp." + PROBE + "; create temporary table " + PROBE + " ("
          + column + " " + c.type() + (c.defaultValue() == null ? "" : " default " + c.defaultValue())
          + ") on commit drop; insert into pg_temp." + PROBE + " default values";
      // the default's value as the rows read it unchanged by the new type (its JSON image), and a cast back
      // (a hard reset to a commit before the change converts the branch's values back)
      String alter = r.type() == null ? null : r.type();
      if (r.using() != null) {
        chain = chain.chain(() -> converting(tx, create, r, defined));
        continue;
      }
      chain = chain.chain(() -> probe(tx, c.name(), (alter == null ? Uni.createFrom().voidItem()
              : requireBuiltIn(tx, c.name(), r.type()))
          .chain(() -> tx.query(create).execute())
          .chain(() -> alter == null ? Uni.createFrom().voidItem() : tx.query(
                  "select to_jsonb(" + column + ")::text from pg_temp." + PROBE).execute()
              .chain(was -> tx.query("alter table pg_temp." + PROBE + " alter column " + column + " type " + alter
                  + " using " + column + "::" + alter).execute()
                  .chain(() -> tx.query("select to_jsonb(" + column + ")::text from pg_temp." + PROBE).execute())
                  .invoke(now -> {
                    String before = was.iterator().next().getString(0);
                    String after = now.iterator().next().getString(0);
                    if (!java.util.Objects.equals(before, after)) {
                      throw new Undefinable(c.name(), "its default reads " + before + " as " + c.type() + " and "
                          + after + " as " + alter + ": a change of type keeps every value the branch reads as it is"
                          + " (the rows it has not written read the default)");
                    }
                  }))
              .chain(() -> tx.query("select (null::" + alter + ")::" + c.type()).execute()
                  .onFailure(e -> PgErrors.sqlState(e) != null).transform(e -> new Undefinable(c.name(),
                      "there is no cast back from " + alter + " to " + c.type() + " (" + PgErrors.message(e) + "): a hard"
                          + " reset to a commit before the change could not convert the branch's values back")))
              .replaceWithVoid())
          .replaceWithVoid(), r.nullable(), defined)
          .invoke(() -> {
            TableShape.Column to = defined.get(defined.size() - 1);
            if (!to.nullable() && to.defaultValue() == null) {
              throw new Undefinable(c.name(), "a NOT NULL column needs a default: the rows the branch has not"
                  + " written read it");
            }
          }));
    }
    return chain.map(x -> List.copyOf(defined));
  }

  private final PgBranchRules rules = new PgBranchRules();

  /**
   * {@link #redefine} of a change that converts the column's values with an expression ({@code r.using()}): the
   * expression vetted first — one expression of the column alone that stays inside its parentheses, of
   * PostgreSQL's own immutable functions and operators (vetted as a CHECK is, over a table of the column alone) —
   * then the probe's one row, holding the column's default, converted by it: the converted value is the new constant
   * default (none when it converts to null).
   */
  private Uni<Void> converting(SqlConnection tx, String create, Redefinition r, List<TableShape.Column> defined) {
    TableShape.Column c = r.current();
    String column = Sql.quote(c.name());
    String refused = BranchChecksSql.refusal(r.using());
    if (refused != null) {
      return Uni.createFrom().failure(new Undefinable(c.name(), "using: " + refused.replace("a check", "an expression")
          .replace("the check", "the expression")));
    }
    String converted = "((" + r.using() + "))::" + r.type();
    // all inside the probe's savepoint: any refusal of the database is the client's (422)
    return probe(tx, c.name(), requireBuiltIn(tx, c.name(), r.type())
            // the expression once, in a CHECK of any type (IS NULL needs no operator of the new type)
            .chain(() -> rules.defineCheck(new PgUnit(tx), List.of(c.asTableColumn()), c.name(),
                "(" + converted + ") is null"))
            .onFailure(Undefinable.class).transform(e -> new Undefinable(c.name(), "using: " + e.getMessage()
                .replace("a check must", "a conversion must").replace("a check reads", "a conversion reads")))
            .replaceWithVoid()
            // the default converted under a time limit of its own (the vetting's went with its savepoint)
            .chain(() -> tx.query("set local statement_timeout = '5s'").execute())
            .chain(() -> tx.query(create).execute())
            .chain(() -> tx.query("alter table pg_temp." + PROBE + " alter column " + column + " drop default, alter"
                + " column " + column + " type " + r.type() + " using " + converted).execute())
            .chain(() -> tx.query("select " + column + "::text from pg_temp." + PROBE).execute())
            .chain(rows -> {
              String value = rows.iterator().next().getString(0);
              return value == null ? Uni.createFrom().voidItem() : tx.query("alter table pg_temp." + PROBE
                  + " alter column " + column + " set default " + OverlaySql.literal(value) + "::" + r.type())
                  .execute().replaceWithVoid();
            }), r.nullable(), defined)
        .invoke(() -> {
          TableShape.Column to = defined.get(defined.size() - 1);
          if (!to.nullable() && to.defaultValue() == null) {
            throw new Undefinable(c.name(), "its default converts to null, and the column is NOT NULL: the rows the"
                + " branch has not written read the default");
          }
        });
  }

  @Override
  public Uni<DefinedRule> defineCheck(UnitOfWork unit, List<TableColumn> columns, String name, String check) {
    return rules.defineCheck(unit, columns, name, check);
  }

  @Override
  public Uni<DefinedRule> defineIndex(UnitOfWork unit, TrackedTable table, List<TableColumn> columns, String name,
      String method, List<String> indexed) {
    return rules.defineIndex(unit, table, columns, name, method, indexed);
  }

  @Override
  public Uni<Void> requireRules(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Constraint> checks) {
    return rules.requireRules(unit, table, branch, checks);
  }

  @Override
  public Uni<Void> addRules(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Constraint> checks) {
    return rules.addRules(unit, table, branch, checks);
  }

  @Override
  public Uni<Void> addPendingRules(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Constraint> checks) {
    return rules.addPendingRules(unit, table, branch, checks);
  }

  @Override
  public Uni<Void> validatePendingRules(UnitOfWork unit, TrackedTable table, String branch) {
    return rules.validatePendingRules(unit, table, branch);
  }

  @Override
  public Uni<Void> unholdPendingRules(UnitOfWork unit, TrackedTable table, String branch) {
    return rules.unholdPendingRules(unit, table, branch);
  }

  @Override
  public Uni<List<String>> pendingRules(UnitOfWork unit, TrackedTable table, String branch, List<String> names) {
    return rules.pendingRules(unit, table, branch, names);
  }

  @Override
  public Uni<Void> dropRules(UnitOfWork unit, TrackedTable table, String branch, List<String> names) {
    return rules.dropRules(unit, table, branch, names);
  }

  /** Refuses a type that is not one of PostgreSQL's own base, range or array types (a name the caller checked). */
  private static Uni<Void> requireBuiltIn(SqlConnection tx, String column, String type) {
    return tx.preparedQuery(TYPE_KIND).execute(Tuple.of(type))
        .invoke(rows -> {
          if (rows.rowCount() == 0) {
            throw new Undefinable(column, "type \"" + type + "\" does not exist");
          }
          if (!rows.iterator().next().getBoolean(0)) {
            throw new Undefinable(column, "type \"" + type + "\" is not one a branch's column may have: a"
                + " built-in base, range or array type, not an object identifier type (regclass, regrole, ...)"
                + " nor a row type");
          }
        })
        .replaceWithVoid();
  }

  /**
   * Runs {@code make} (which leaves the probe table with column {@code column} as the database defines it)
   * under a savepoint, then adds that definition to {@code defined}; the database's refusal becomes
   * {@link Undefinable}, the savepoint rolled back.
   */
  private static Uni<Void> probe(SqlConnection tx, String column, Uni<Void> make, boolean nullable,
      List<TableShape.Column> defined) {
    return tx.query("savepoint strata_define").execute()
        .chain(() -> make)
        .chain(() -> tx.query("""
            select format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid)
            from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
            where a.attrelid = 'pg_temp.""" + PROBE + "'::regclass and a.attnum > 0 and not a.attisdropped").execute())
        .invoke(rows -> {
          Row r = rows.iterator().next();
          defined.add(new TableShape.Column(column, r.getString(0), nullable, null, r.getString(1), null, null));
        })
        .chain(() -> tx.query("release savepoint strata_define").execute())
        .onFailure(e -> e instanceof Undefinable || PgErrors.sqlState(e) != null).recoverWithUni(e -> tx
            .query("rollback to savepoint strata_define").execute().onItemOrFailure().transformToUni((x, f) ->
                Uni.createFrom().failure(e instanceof Undefinable ? e : new Undefinable(column, PgErrors.message(e)))))
        .replaceWithVoid();
  }

  @Override
  public Uni<Void> addColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Column> columns) {
    List<TableColumn> columnsAfter = new ArrayList<>(table.columnsOnRef());
    columns.forEach(c -> columnsAfter.add(c.asTableColumn()));
    List<TableShape.Column> addedAfter = new ArrayList<>(table.refAdded());
    addedAfter.addAll(columns);
    return changeShape(unit, table, branch, columnsAfter, addedAfter, (before, after, view) ->
        BranchColumnsSql.addColumns(before, after, columns) + new BranchObjectsSql(after).replaceView(view[0], view[1]));
  }

  @Override
  public Uni<Void> dropColumns(UnitOfWork unit, TrackedTable table, String branch, List<String> names) {
    return changeShape(unit, table, branch,
        table.columnsOnRef().stream().filter(c -> !names.contains(c.name())).toList(),
        table.refAdded().stream().filter(c -> !names.contains(c.name())).toList(),
        (before, after, view) -> BranchColumnsSql.dropColumns(before, after, view[0], view[1], names));
  }

  @Override
  public Uni<Void> renameColumns(UnitOfWork unit, TrackedTable table, String branch,
      java.util.Map<String, String> renamed) {
    return changeShape(unit, table, branch, table.columnsOnRef(), table.refAdded(), renamed,
        (before, after, view) -> BranchColumnsSql.renameColumns(before, after, view[0], view[1]));
  }

  @Override
  public Uni<Void> restoreColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns) {
    return changeShape(unit, table, branch, table.columnsRestoring(columns), table.refAdded(),
        (before, after, view) -> BranchColumnsSql.restoreColumns(before, after, view[0], view[1], columns));
  }

  @Override
  public Uni<Void> fillRestoredColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns,
      StatePath target) {
    BranchObjectsSql sql = new BranchObjectsSql(OverlaySql.of(table).onBranch(table.branchId(branch)));
    List<String> names = columns.stream().map(TableColumn::name).toList();
    TrackedTable main = new TrackedTable(table.repository(), table.name(), table.schema(), table.table(), table.key(),
        table.columns());
    SqlConnection tx = PgUnit.of(unit);
    return tx.query(sql.fillFromTable(names)).execute()
        .chain(() -> tx.preparedQuery(sql.refillColumns(ChangeImagesSql.changed(OverlaySql.of(main), "$1", "$2",
                target.undoWorkingChanges()), names))
            .execute(Tuple.of(target.undo().toArray(String[]::new), target.redo().toArray(String[]::new))))
        .chain(() -> tx.query(BranchColumnsSql.requireRestored(OverlaySql.of(table).onBranch(table.branchId(branch)),
            names)).execute())
        .replaceWithVoid();
  }

  @Override
  public Uni<Void> alterColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Column> columns,
      java.util.Map<String, String> using) {
    java.util.Map<String, TableShape.Column> by = new java.util.HashMap<>();
    columns.forEach(c -> by.put(c.name(), c));
    List<TableColumn> columnsAfter = table.columnsOnRef().stream()
        .map(c -> by.containsKey(c.name()) ? by.get(c.name()).asTableColumn() : c).toList();
    List<TableShape.Column> addedAfter = table.refAdded().stream().map(c -> by.getOrDefault(c.name(), c)).toList();
    Uni<Void> change = changeShape(unit, table, branch, columnsAfter, addedAfter,
        (before, after, view) -> BranchColumnsSql.alterColumns(before, after, view[0], view[1], table.refAdded(),
            columns, using));
    if (using.isEmpty()) {
      return change;
    }
    // a client's expression runs over every row the branch holds, the repository's commands waiting: under the time
    // limit a check's scan has (each statement), and resolved as it was vetted, among PostgreSQL's own functions and
    // operators only (a closer match of another schema would win otherwise); then the caller's settings given back
    // (a failure ends the caller's transaction)
    SqlConnection tx = PgUnit.of(unit);
    return tx.query("select current_setting('statement_timeout')").execute()
        .map(rows -> rows.iterator().next().getString(0))
        .chain(before -> tx.query("set local statement_timeout = '" + PgBranchRules.CHECK_SCAN_TIMEOUT + "'").execute()
            .chain(() -> CatalogPath.pinned(tx, () -> change))
            .chain(() -> tx.preparedQuery("select set_config('statement_timeout', $1, true)").execute(Tuple.of(before))))
        .replaceWithVoid();
  }

  @Override
  public Uni<Void> redefineColumns(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    return changeShape(unit, table, branch, typedColumns(table, redefined), table.refAdded(), null, redefined,
        (before, after, view) -> BranchColumnsSql.redefineColumns(before, after, view[0], view[1]));
  }

  @Override
  public Uni<Void> requireRedefinable(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    OverlaySql before = OverlaySql.of(table).onBranch(table.branchId(branch));
    OverlaySql after = before.withBranchShape(typedColumns(table, redefined), table.refAdded()).withRedefined(redefined);
    String checks = BranchColumnsSql.redefinitionChecks(before, after);
    return checks.isBlank() ? Uni.createFrom().voidItem() : PgUnit.of(unit).query(checks).execute().replaceWithVoid();
  }

  @Override
  public Uni<Boolean> redefineColumnsIfTheyConvert(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql before = OverlaySql.of(table).onBranch(table.branchId(branch));
    OverlaySql after = before.withBranchShape(typedColumns(table, redefined), table.refAdded()).withRedefined(redefined);
    List<String> retyped = BranchColumnsSql.retyped(before, after);
    if (retyped.isEmpty()) {
      return redefineColumns(unit, table, branch, redefined).map(x -> true);
    }
    return ifTheyConvert(tx, BranchColumnsSql.retypeCheckStatements(before, after, retyped),
        () -> redefineColumns(unit, table, branch, redefined));
  }

  /**
   * {@code change} when PL/pgSQL statements {@code checks} (a block declaring {@code k text} runs them) raise
   * nothing (true); else nothing changes (false). The checks run in a block of their own: a failed statement
   * would end the caller's transaction.
   */
  private static Uni<Boolean> ifTheyConvert(SqlConnection tx, String checks,
      java.util.function.Supplier<Uni<Void>> change) {
    String check = "do $strata_c$ declare k text; begin perform set_config('strata.converts', 'false', true); begin "
        + checks + " perform set_config('strata.converts', 'true', true); exception when others then null; end;"
        + " end $strata_c$";
    return tx.query(check).execute()
        .chain(() -> tx.query("select current_setting('strata.converts')").execute())
        .chain(rows -> !"true".equals(rows.iterator().next().getString(0)) ? Uni.createFrom().item(false)
            : change.get().map(x -> true));
  }

  /**
   * The branch's columns in the types it gives them once it defines the table's own as {@code redefined} does: a
   * column of the table's own redefined, its redefinition's (the table's, for a redefinition a hard reset gives
   * back); else the type it has (a branch that kept a column's type when a merge widened the table's keeps it); a
   * column the branch added, its own.
   */
  private static List<TableColumn> typedColumns(TrackedTable table, List<TableShape.Column> redefined) {
    java.util.Set<String> own = new java.util.HashSet<>(table.columns().stream().map(TableColumn::name).toList());
    java.util.Set<String> added = new java.util.HashSet<>(table.refAdded().stream().map(TableShape.Column::name)
        .toList());
    return table.columnsOnRef().stream().map(c -> added.contains(c.name()) || !own.contains(c.name()) ? c
        : new TableColumn(c.name(), redefined.stream().filter(r -> r.name().equals(c.name()))
            .map(TableShape.Column::type).filter(t -> !io.strata.events.ColumnTypes.same(t, c.type()))
            .findFirst().orElse(c.type()), c.nullable())).toList();
  }

  @Override
  public Uni<Boolean> alterColumnsIfTheyConvert(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> columns) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    // each value the branch holds checked first: one that does not convert, or reads otherwise, answers false
    StringBuilder checks = new StringBuilder();
    columns.forEach(c -> checks.append(BranchColumnsSql.unchanged(b, c.name(), c.type())).append('\n'));
    return ifTheyConvert(tx, checks.toString(), () -> alterColumns(unit, table, branch, columns));
  }

  /** The statements that change a branch's objects from {@code before} to {@code after}; its view's schema and name. */
  private interface ShapeChange {
    String sql(OverlaySql before, OverlaySql after, String[] view);
  }

  /**
   * Gives {@code branch}'s objects of {@code table} the columns {@code columnsAfter}, of which it added
   * {@code addedAfter}: the change's statements, its query views made again, its registration's added columns.
   */
  private static Uni<Void> changeShape(UnitOfWork unit, TrackedTable table, String branch,
      List<TableColumn> columnsAfter, List<TableShape.Column> addedAfter, ShapeChange change) {
    return changeShape(unit, table, branch, columnsAfter, addedAfter, null, change);
  }

  /**
   * As above, the branch then showing its columns under the names {@code renamedAfter} gives them (null: those
   * its registration files, but for columns it no longer has). The registration, not the caller, says how the
   * branch's views show its columns now: every change of its shape makes them again so.
   */
  private static Uni<Void> changeShape(UnitOfWork unit, TrackedTable table, String branch,
      List<TableColumn> columnsAfter, List<TableShape.Column> addedAfter, java.util.Map<String, String> renamedAfter,
      ShapeChange change) {
    return changeShape(unit, table, branch, columnsAfter, addedAfter, renamedAfter, null, change);
  }

  /**
   * As above, the branch then defining the table's own columns as {@code redefinedAfter} does (null: as its
   * registration files, but for columns it no longer has): the registration, not the caller, says how.
   */
  private static Uni<Void> changeShape(UnitOfWork unit, TrackedTable table, String branch,
      List<TableColumn> columnsAfter, List<TableShape.Column> addedAfter, java.util.Map<String, String> renamedAfter,
      List<TableShape.Column> redefinedAfter, ShapeChange change) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql unnamed = OverlaySql.of(table).onBranch(table.branchId(branch));
    return tx.query(STRATA_OWN_DDL + PgQueryAccess.LOCK).execute()
        .chain(() -> tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(table.id())))
        .chain(rows -> {
          for (Row r : rows) {
            if (r.getString(0).equals(unnamed.bid())) {
              java.util.Map<String, String> registered = BranchObjectsSql.renamed(r.getString(7));
              OverlaySql before = unnamed.withRenamed(registered)
                  .withRedefined(BranchObjectsSql.redefined(r.getString(8)));
              java.util.Map<String, String> shown = new java.util.TreeMap<>(renamedAfter != null ? renamedAfter
                  : registered);
              shown.keySet().retainAll(columnsAfter.stream().map(TableColumn::name).toList());
              OverlaySql shaped = before.withBranchShape(columnsAfter, addedAfter);
              OverlaySql after = (redefinedAfter == null ? shaped : shaped.withRedefined(redefinedAfter))
                  .withRenamed(shown).forkedAt(r.getLong(4));
              OverlaySql.rowTypesChanging();
              return tx.query(change.sql(before, after, new String[] {r.getString(2), r.getString(3)})).execute()
                  .invoke(OverlaySql::rowTypesChanging)
                  .chain(() -> PgQueryAccess.addViews(tx, after))
                  .chain(() -> PgQueryAccess.remakeStateFunctions(tx, after))
                  .chain(() -> tx.preparedQuery(BranchColumnsSql.REGISTER_ADDED).execute(Tuple.of(table.id(),
                      before.bid(), EventCodec.mapper().valueToTree(addedAfter).toString())))
                  .chain(() -> tx.preparedQuery(BranchColumnsSql.REGISTER_RENAMED).execute(Tuple.of(table.id(),
                      before.bid(), EventCodec.mapper().valueToTree(after.renamed()).toString())))
                  .chain(() -> tx.preparedQuery(BranchColumnsSql.REGISTER_REDEFINED).execute(Tuple.of(table.id(),
                      before.bid(), EventCodec.mapper().valueToTree(after.redefined()).toString())))
                  .replaceWithVoid();
            }
          }
          return Uni.createFrom().failure(new IllegalStateException("branch '" + branch + "' has no objects of table '"
              + table.name() + "'"));
        });
  }

  @Override
  public Uni<Optional<String>> location(UnitOfWork unit, TrackedTable table, BranchRef branch) {
    SqlConnection tx = PgUnit.of(unit);
    if (branch.isDefault()) {
      return Uni.createFrom().item(Optional.of(Sql.qualified(table.schema(), table.table())));
    }
    String bid = table.branchId(branch.name());
    return tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(table.id())).map(rows -> {
      for (Row r : rows) {
        if (r.getString(0).equals(bid)) {
          return Optional.of(Sql.qualified(r.getString(2), r.getString(3)));
        }
      }
      return Optional.empty();
    });
  }

  /**
   * Creates the branch's overlay, working log and view, fills the overlay from {@code start}, starts a
   * new fork epoch at which the branch forks and regenerates the capture on T to file pre-images under
   * it. Holds off T's writers meanwhile: no write can fall between the fork point and the capture.
   */
  private static Uni<Void> add(SqlConnection tx, OverlaySql main, OverlaySql onBranch, String tableName,
      String branch, StatePath start) {
    BranchObjectsSql sql = new BranchObjectsSql(onBranch);
    String viewSchema = viewSchema(branch, onBranch.bid());
    Uni<Void> fill = start.isWorking()
        ? Uni.createFrom().voidItem()
        : tx.preparedQuery(sql.fillOverlay(ChangeImagesSql.changed(main, "$1", "$2", start.undoWorkingChanges())))
            .execute(Tuple.of(start.undo().toArray(String[]::new), start.redo().toArray(String[]::new)))
            .replaceWithVoid();
    return tx.query(STRATA_OWN_DDL + onBranch.lockAgainstWriters()).execute()
        .chain(() -> tx.query(sql.create()).execute())
        .chain(() -> fill)
        .chain(() -> tx.query(sql.copyChecks()).execute())
        .chain(() -> tx.preparedQuery(OverlaySql.EXISTS).execute(Tuple.of(Sql.qualified(viewSchema, tableName))))
        .chain(rows -> {
          // a view of that name is there already (a table of that name in another schema): a longer one
          String viewName = rows.iterator().next().getBoolean(0)
              ? tableName.substring(0, Math.min(tableName.length(), 40)) + "_" + onBranch.tableId() : tableName;
          return tx.preparedQuery(BranchObjectsSql.NEXT_EPOCH).execute(Tuple.of(onBranch.tableId()))
              .map(epoch -> epoch.iterator().next().getLong(0))
              .call(epoch -> tx.query(new BranchObjectsSql(onBranch.forkedAt(epoch)).createView(viewSchema, viewName))
                  .execute())
              .call(epoch -> PgQueryAccess.addViews(tx, onBranch.forkedAt(epoch)))
              .chain(epoch -> tx.preparedQuery(BranchObjectsSql.REGISTER_OVERLAY).execute(Tuple.of(onBranch.tableId(),
                  onBranch.bid(), branch, viewSchema, viewName, epoch)))
              // the rules its overlay was made with (a source's redefinitions: its start's rows keep to them)
              .chain(() -> tx.preparedQuery(BranchColumnsSql.REGISTER_REDEFINED).execute(Tuple.of(
                  onBranch.tableId(), onBranch.bid(), EventCodec.mapper().valueToTree(onBranch.redefined()).toString())));
        })
        .chain(() -> PgTracking.regenerateCapture(tx, onBranch));
  }

  /**
   * The schema of a branch's views: {@code strata_<branch>} when the name is a plain identifier that
   * fits, else a sanitised name with part of the branch id (identifier length and safety).
   */
  static String viewSchema(String branch, String bid) {
    if (branch.matches("[A-Za-z0-9_]{1,55}")) {
      return "strata_" + branch;
    }
    String plain = branch.replaceAll("[^A-Za-z0-9_]", "_");
    return "strata_" + plain.substring(0, Math.min(plain.length(), 40)) + "_" + bid.substring(0, 6);
  }
}
