package io.strata.projections.overlay;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A wider type of the table's own columns, promoted from a branch into the table itself ({@code ALTER TABLE …
 * ALTER COLUMN … TYPE}), in the caller's transaction. Every value of the table, and every before-image its working
 * log keeps, is checked first to read as it is in the new type (a widening {@link io.strata.events.ColumnTypes#widens} names
 * looks at no row). The views that read the column — every branch's view and query views, the default branch's
 * query views — are dropped with their grants kept, Strata's logs of the table's rows (the default branch's
 * working log, the pre-image log) take the type, then the table (which the DDL guard follows: its columns are
 * the working log's again), then each branch's views are made again: a branch that read the column in the old
 * type keeps it (a row type of its own, its view reading the table's rows through a cast back, which every value
 * it reads takes: they are the values of the old type), and the capture is made again. Nothing is half-done: one
 * transaction, and a lock the caller times.
 */
final class TableRetype {
  private TableRetype() {}

  /** Table $1's columns as the catalog has them now, in order (JSON {name, type, nullable}). */
  private static final String COLUMNS = """
      select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                        'nullable', not a.attnotnull) order by a.attnum)::text
      from pg_attribute a where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped""";

  /**
   * Gives the columns of {@code table} named in {@code retyped} their types there; see the class. The table's
   * columns are read from the catalog under its lock: the same merge may have given it columns already.
   */
  static Uni<Void> retype(SqlConnection tx, TrackedTable table, List<TableShape.Column> retyped) {
    String qualified = OverlaySql.of(table).table();
    // the query views' lock first, as every change of a branch's views takes it, then the table
    return tx.query(PgQueryAccess.LOCK).execute()
        .chain(() -> tx.query("lock table " + qualified + " in access exclusive mode").execute())
        .chain(() -> tx.preparedQuery(COLUMNS).execute(Tuple.of(qualified)))
        .chain(rows -> retypeLocked(tx, new TrackedTable(table.repository(), table.name(), table.schema(), table.table(),
            table.key(), Branch.read(rows.iterator().next().getString(0), TableColumn[].class)), retyped));
  }

  /** {@link #retype} of {@code table} (its columns as the catalog has them), the locks taken. */
  private static Uni<Void> retypeLocked(SqlConnection tx, TrackedTable table, List<TableShape.Column> retyped) {
    OverlaySql before = OverlaySql.of(table);
    TrackedTable after = new TrackedTable(table.repository(), table.name(), table.schema(), table.table(), table.key(),
        io.strata.events.ColumnTypes.typed(table.columns(), retyped));
    OverlaySql main = OverlaySql.of(after);
    List<String> names = retyped.stream().map(TableShape.Column::name).toList();
    OverlaySql.rowTypesChanging();
    return tx.query("do $strata_t$ declare k text; begin "
            + OwnColumnRedefinitionSql.retypeCheckStatements(before, main.withTableColumns(after.columns()), names)
            + " end $strata_t$").execute()
        .chain(() -> tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(table.id())))
        .chain(overlays -> {
          List<Branch> branches = new ArrayList<>();
          for (Row r : overlays) {
            branches.add(new Branch(r, table, after));
          }
          return retypeViews(tx, main, before, branches, retyped);
        })
        .replaceWithVoid();
  }

  /** The views around the retyped columns dropped, the logs and the table retyped, the views made again. */
  private static Uni<Void> retypeViews(SqlConnection tx, OverlaySql main, OverlaySql before, List<Branch> branches,
      List<TableShape.Column> retyped) {
    StringBuilder change = new StringBuilder();
    // the logs of the table's rows, then the table (the guard compares its columns with the working log's)
    for (TableShape.Column c : retyped) {
      String column = Sql.quote(c.name());
      for (String log : List.of(before.workingLog(), before.preimages())) {
        // (the pre-image log is made with the table's first branch)
        change.append("do $strata_l$ begin if to_regclass(").append(OverlaySql.literal(log))
            .append(") is not null then execute ").append(OverlaySql.literal("alter table " + log
                + " alter column " + column + " type " + c.type() + " using " + column + "::" + c.type()))
            .append("; end if; end $strata_l$;");
      }
    }
    change.append("alter table ").append(before.table()).append(' ').append(retyped.stream()
        .map(c -> "alter column " + Sql.quote(c.name()) + " type " + c.type() + " using " + Sql.quote(c.name())
            + "::" + c.type()).collect(Collectors.joining(", "))).append(';');
    // a branch that keeps the old type reads its rows through a row type of its own, made in its order; one
    // whose types are the table's now (the merge's source) reads the table's
    for (Branch b : branches) {
      if (b.before().shape().hasOwnShape() && !b.after().shape().hasOwnShape()) {
        change.append("drop type if exists ").append(b.before().ownRowType()).append(';');
      }
      if (b.after().shape().hasOwnShape()) {
        change.append("do $strata_r$ begin if to_regtype(").append(OverlaySql.literal(b.after().ownRowType()))
            .append(") is null then execute ").append(OverlaySql.literal("create type "
                + b.after().ownRowType() + " as (" + b.after().shape().rowTypeDefinition() + ")"))
            .append("; end if; end $strata_r$;");
      }
    }
    return remakeViewsAround(tx, main, before, branches, change.toString());
  }

  /**
   * Every view that reads the table — each branch's view and query views, the default branch's query views, the
   * conflicts views — dropped with their grants kept, {@code change} run, the capture and the views made again (as
   * {@code main} and each branch's {@code after} describe them), the grants given back. One statement batch: the
   * caller's transaction has all of it or none.
   */
  static Uni<Void> remakeViewsAround(SqlConnection tx, OverlaySql main, OverlaySql before, List<Branch> branches,
      String change) {
    // (the branches' views are Strata's to make again; the table's change is the guard's to look at)
    StringBuilder sql = new StringBuilder(DdlGuardSql.BRANCH_VIEWS_REMADE + "; drop table if exists"
        + " pg_temp.strata_view_grants; create temporary table strata_view_grants (statement text) on commit drop;");
    // the conflicts views merges made (in progress, or ended: they stay once made) read the row types
    sql.append(ConflictsViewsSql.setAside(before));
    for (Branch b : branches) {
      sql.append(ConflictsViewsSql.setAside(b.before()));
    }
    // the views that read the table, their grants kept
    sql.append(new QueryAccessSql(before).dropViews());
    for (Branch b : branches) {
      sql.append(keepGrants(b.view())).append(new QueryAccessSql(b.before()).dropViews())
          .append("drop view if exists ").append(b.view()).append(';');
    }
    sql.append(change);
    sql.append(FollowColumnsSql.follow(main, true)).append(';');
    for (Branch b : branches) {
      BranchObjectsSql made = new BranchObjectsSql(b.after());
      sql.append(made.createView(b.schema(), b.name())).append(made.addedDefaults(b.view()))
          .append(made.redefinedDefaults(b.view()));
    }
    sql.append(ConflictsViewsSql.makeAgain(main));
    for (Branch b : branches) {
      sql.append(ConflictsViewsSql.makeAgain(b.after()));
    }
    sql.append("do $strata_g$ declare r record; begin for r in select statement from pg_temp.strata_view_grants"
        + " loop execute r.statement; end loop; end $strata_g$; drop table pg_temp.strata_view_grants;")
        .append(DdlGuardSql.BRANCH_VIEWS_DONE).append(';');
    return tx.query(sql.toString()).execute()
        .invoke(OverlaySql::rowTypesChanging)
        .chain(() -> PgQueryAccess.addViews(tx, main))
        .chain(() -> Multi.createFrom().iterable(branches)
            .onItem().transformToUniAndConcatenate(b -> PgQueryAccess.addViews(tx, b.after()))
            .collect().last())
        .chain(() -> PgQueryAccess.remakeStateFunctions(tx, main));
  }

  /** Statements that grant again what {@code view} grants now (but to its owner), kept for after it is made again. */
  private static String keepGrants(String view) {
    return SqlTemplate.fill("""
        insert into pg_temp.strata_view_grants
          select format('grant %s on %s to %s%s', a.privilege_type, {view_literal},
                        case when a.grantee = 0 then 'public' else quote_ident(g.rolname) end,
                        case when a.is_grantable then ' with grant option' else '' end)
            from pg_class c cross join lateral aclexplode(c.relacl) a left join pg_roles g on g.oid = a.grantee
           where c.oid = {view_literal}::regclass and a.grantee <> c.relowner;
        """, "view_literal", OverlaySql.literal(view));
  }

  /**
   * A live branch of the table, described from its registration: its columns are its own row type's, else the
   * table's before the change (it read the table's row type); it keeps their types after it.
   */
  record Branch(OverlaySql before, OverlaySql after, String schema, String name) {
    Branch(Row r, TrackedTable table, TrackedTable retyped) {
      this(describe(r, table, table), describe(r, table, retyped), r.getString(2), r.getString(3));
    }

    String view() {
      return Sql.quote(schema) + "." + Sql.quote(name);
    }

    private static OverlaySql describe(Row r, TrackedTable before, TrackedTable table) {
      List<TableColumn> own = ownColumns(r.getString(5));
      List<TableShape.Column> added = read(r.getString(6), TableShape.Column[].class);
      Map<String, String> renamed = BranchObjectsSql.renamed(r.getString(7));
      List<TableShape.Column> redefined = BranchObjectsSql.redefined(r.getString(8));
      return OverlaySql.of(table).onBranch(r.getString(0)).forkedAt(r.getLong(4))
          .withBranchShape(own != null ? own : before.columns(), added).withRenamed(renamed).withRedefined(redefined);
    }

    private static List<TableColumn> ownColumns(String json) {
      return json == null ? null : read(json, TableColumn[].class);
    }

    static <T> List<T> read(String json, Class<T[]> type) {
      try {
        return json == null ? List.of() : List.of(EventCodec.mapper().readValue(json, type));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("unreadable registration of a branch", e);
      }
    }
  }
}
