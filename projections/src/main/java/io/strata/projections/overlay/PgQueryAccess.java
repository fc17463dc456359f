package io.strata.projections.overlay;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.CommitIds;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.QueryAccess;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;

import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The restricted login role a repository's read-only SQL runs as: it may call the state functions of
 * the repository's own tables (SECURITY DEFINER, see {@link QueryAccessSql#createStateFunctions}) and
 * read the views of their branches' heads and working states ({@link QueryAccessSql#createViews()}),
 * and nothing else — no privilege on any table or other Strata object, and, being the session user,
 * no way to switch to another role.
 */
public final class PgQueryAccess implements QueryAccess<UnitOfWork> {

  /**
   * Taken by whatever creates or drops query views, in its transaction: granting reads the live
   * branches and makes their views, which must not race a branch's removal. A lock on a table of
   * Strata's that the query roles may not lock, not an advisory lock: a query could take that one and
   * stall every branch creation and tracking of the database.
   */
  public static final String LOCK = "create table if not exists " + OverlaySql.SCHEMA + ".query_access_lock ();"
      + "lock table " + OverlaySql.SCHEMA + ".query_access_lock in exclusive mode";

  @Override
  public String role(String repository) {
    return roleOf(repository);
  }

  static String roleOf(String repository) {
    return "strata_query_" + CommitIds.sha256Hex("query\u0000" + repository).substring(0, 16);
  }

  /**
   * Grants the role the state functions of {@code tables} and the query views of their default and
   * live branches, made afresh; {@code limits} are set on the role (ALTER ROLE ... SET), so every
   * session of it starts with them. PostgreSQL lets only a superuser (or a role granted SET on it) set
   * temp_file_limit: false when it could not be.
   */
  @Override
  public Uni<Boolean> grant(UnitOfWork unit, String repository, List<TrackedTable> tracked, String password,
      Limits limits) {
    SqlConnection tx = PgUnit.of(unit);
    List<OverlaySql> tables = tracked.stream().map(OverlaySql::of).toList();
    if (!password.matches("[0-9a-f]{32,128}")) {
      throw new IllegalArgumentException("password must be generated hex");
    }
    String role = Sql.quote(roleOf(repository));
    String name = roleOf(repository);
    String setUp = LOCK + ";"
        + "do $d$ begin if not exists (select 1 from pg_roles where rolname = '" + name + "') then create role "
        + role + " login; end if; end $d$;"
        + "alter role " + role + " with login nosuperuser nocreatedb nocreaterole noinherit password '" + password + "';"
        + "grant usage on schema " + OverlaySql.SCHEMA + " to " + role + ";";
    return tx.query(setUp).execute()
            .chain(() -> Multi.createFrom().iterable(tables)
                .onItem().transformToUniAndConcatenate(table -> tx.preparedQuery(BranchObjectsSql.OVERLAYS)
                    .execute(Tuple.of(table.tableId()))
                    .chain(overlays -> {
                      StringBuilder sql = new StringBuilder(stateFunctions(table, overlays, role));
                      sql.append(views(table, role));
                      for (Row overlay : overlays) {
                        // a branch that kept columns of its own is read in them
                        sql.append(views(table.onBranch(overlay.getString(0)).forkedAt(overlay.getLong(4))
                            .withBranchShape(ownColumns(overlay.getString(5)), added(overlay.getString(6)))
                            .withRenamed(BranchObjectsSql.renamed(overlay.getString(7))), role));
                      }
                      return tx.query(sql.toString()).execute();
                    }))
                .collect().last())
            .chain(() -> limits == null ? Uni.createFrom().item(true) : limit(tx, role, limits));
  }

  /**
   * The table's state functions made afresh — with a body of its own for each branch whose row type is its
   * own ({@code overlays}: {@link BranchObjectsSql#OVERLAYS}) — and granted to {@code role} alone.
   */
  private static String stateFunctions(OverlaySql table, io.vertx.mutiny.sqlclient.RowSet<Row> overlays, String role) {
    Map<String, List<TableColumn>> own = new TreeMap<>();
    overlays.forEach(o -> {
      if (o.getString(5) != null) {
        own.put(o.getString(0), ownColumns(o.getString(5)));
      }
    });
    StringBuilder sql = new StringBuilder(new QueryAccessSql(table).createStateFunctions(own)).append(";");
    for (String function : List.of(QueryAccessSql.stateFunction(table), QueryAccessSql.changedKeysFunction(table))) {
      String signature = function + QueryAccessSql.STATE_ARGUMENTS;
      sql.append("revoke all on function ").append(signature).append(" from public;")
          .append("grant execute on function ").append(signature).append(" to ").append(role).append(';');
    }
    return sql.toString();
  }

  private static List<TableShape.Column> added(String json) {
    try {
      return List.of(EventCodec.mapper().readValue(json, TableShape.Column[].class));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("unreadable columns a branch added", e);
    }
  }

  private static List<TableColumn> ownColumns(String json) {
    if (json == null) {
      return null;
    }
    try {
      return List.of(EventCodec.mapper().readValue(json, TableColumn[].class));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("unreadable columns of a branch's row type", e);
    }
  }

  /** Sets {@code limits} on {@code role}; a temp_file_limit PostgreSQL refuses to this user is left unset (false). */
  private static Uni<Boolean> limit(SqlConnection tx, String role, Limits limits) {
    return tx.query("alter role " + role + " set work_mem = '" + limits.workMem() + "';"
            + "do $d$ begin alter role " + role + " set temp_file_limit = '" + limits.tempFileLimit() + "';"
            + " perform set_config('strata.temp_file_limit_set', 'on', true);"
            + " exception when insufficient_privilege then"
            + " perform set_config('strata.temp_file_limit_set', 'off', true); end $d$").execute()
        .chain(() -> tx.query("select current_setting('strata.temp_file_limit_set')").execute())
        .map(rows -> "on".equals(rows.iterator().next().getString(0)));
  }

  /**
   * Makes a new branch's query views of one table, in the caller's transaction, and grants them to the
   * query role of the table's repository if it exists already ({@link #grant} grants them otherwise).
   */
  static Uni<Void> addViews(SqlConnection tx, OverlaySql branch) {
    return tx.query(LOCK).execute()
        .chain(() -> tx.preparedQuery("select repository from " + OverlaySql.SCHEMA + ".tracked_tables where tid = $1")
            .execute(Tuple.of(branch.tableId())))
        .map(rows -> roleOf(rows.iterator().next().getString(0)))
        .chain(name -> tx.preparedQuery("select 1 from pg_roles where rolname = $1").execute(Tuple.of(name))
            .chain(role -> tx.query(role.rowCount() > 0 ? views(branch, Sql.quote(name))
                : new QueryAccessSql(branch).createViews() + unreadable(branch)).execute()))
        .replaceWithVoid();
  }

  /**
   * Makes the state functions of {@code branch}'s table again, granted to the query role of its repository
   * if it exists ({@link #grant} makes them otherwise), in the caller's transaction: their body for a branch
   * follows its columns (a branch that dropped or added columns reads its logs in them), so a change of a
   * branch's columns makes them again.
   */
  static Uni<Void> remakeStateFunctions(SqlConnection tx, OverlaySql branch) {
    // the table as the default branch reads it: none of the branch's columns, nor its types (the state functions'
    // generic body is the table's)
    OverlaySql table = branch.withBranchShape(null, List.of()).withRedefined(List.of()).onBranch(null);
    return tx.query(LOCK).execute()
        .chain(() -> tx.preparedQuery("select repository from " + OverlaySql.SCHEMA + ".tracked_tables where tid = $1")
            .execute(Tuple.of(table.tableId())))
        .map(rows -> roleOf(rows.iterator().next().getString(0)))
        .chain(name -> tx.preparedQuery("select 1 from pg_roles where rolname = $1").execute(Tuple.of(name))
            .chain(role -> role.rowCount() == 0 ? Uni.createFrom().voidItem()
                : tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(table.tableId()))
                    .chain(overlays -> tx.query(stateFunctions(table, overlays, Sql.quote(name))).execute())
                    .replaceWithVoid()));
  }

  /**
   * Removes the repository's query role from one database it was granted in (its repository is gone,
   * and with it every view and function it could read): its remaining privilege, then the role itself
   * unless another database of the same cluster still grants it something (that one drops it, in turn).
   */
  @Override
  public Uni<Void> revoke(UnitOfWork unit, String repository) {
    SqlConnection tx = PgUnit.of(unit);
    String name = roleOf(repository);
    return tx.query(LOCK + ";do $d$ begin"
            + " if exists (select 1 from pg_roles where rolname = '" + name + "') then"
            + "  if exists (select 1 from pg_namespace where nspname = '" + OverlaySql.SCHEMA + "') then"
            + "   revoke all on schema " + OverlaySql.SCHEMA + " from " + Sql.quote(name) + "; end if;"
            + "  begin drop role " + Sql.quote(name) + "; exception when dependent_objects_still_exist then null; end;"
            + " end if; end $d$").execute()
        .replaceWithVoid();
  }

  /**
   * A branch's working state or head: the views the planner sees into; another state: the state
   * function's rows over the working-state view.
   */
  @Override
  public String relationAt(TrackedTable tracked, BranchRef branch, StatePath path) {
    OverlaySql table = OverlaySql.of(tracked, branch);
    String bid = table.bid();
    if (path.isWorking()) {
      return QueryAccessSql.workView(table);
    }
    if (path.undo().isEmpty() && path.redo().isEmpty()) {
      return QueryAccessSql.headView(table);
    }
    return "(" + new QueryAccessSql(table).stateAtRef("(" + (bid == null ? "null" : "'" + bid + "'") + ", " + array(path.undo()) + ", "
        + array(path.redo()) + ", " + path.undoWorkingChanges() + ")") + ")";
  }

  private static String array(List<String> changeSets) {
    for (String c : changeSets) {
      if (!c.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("not a change set id: " + c);
      }
    }
    return changeSets.stream().map(c -> "'" + c + "'").collect(Collectors.joining(",", "array[", "]::text[]"));
  }

  private static String views(OverlaySql table, String role) {
    return new QueryAccessSql(table).createViews() + unreadable(table)
        + "grant select on " + QueryAccessSql.headView(table) + ", " + QueryAccessSql.workView(table) + " to " + role + ";"
        + (table.shape().hasOwnShape() ? "grant execute on function " + QueryAccessSql.stateFunction(table) + QueryAccessSql.STATE_ARGUMENTS
            + " to " + role + ";" : "");
  }

  private static String unreadable(OverlaySql table) {
    return "revoke all on " + QueryAccessSql.headView(table) + ", " + QueryAccessSql.workView(table) + " from public;";
  }
}
