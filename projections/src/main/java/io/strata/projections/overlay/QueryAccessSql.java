package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableColumn;
import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The statements of the query endpoint's access to one table as one branch sees it (see {@link
 * PgQueryAccess}): views of the branch's working state and head, and the SECURITY DEFINER state
 * functions that give the rows at any other state.
 */
final class QueryAccessSql {
  private final OverlaySql s;

  /** @param table the table as the branch sees it */
  QueryAccessSql(OverlaySql table) {
    this.s = table;
  }

  /**
   * Views of the branch's working state and committed head (the working state with its working
   * changes undone: each logged key's row replaced by its first before-image), through which the query
   * endpoint's role reads them without any privilege on the table or Strata's objects. A view lets the
   * planner take the query's conditions to the indexes of the table and the overlay: a query costs
   * O(changes + rows it reads), not O(table). Security barriers: a condition the view did not write is
   * applied only after the view's own. A branch's views name its fork epoch (see {@link OverlaySql#forkedAt}).
   */
  String createViews() {
    return fill("""
        create or replace view {work_view} with (security_barrier) as select {shown_x} from {working} x;
        create or replace view {head_view} with (security_barrier) as
          select {shown_x} from {working} x where not exists (select 1 from {working_log} w where {match})
          union all select {columns_w} from {working_log} w where w.__present;
        """,
        "work_view", workView(s), "head_view", headView(s), "working", s.isDefaultBranch() ? s.table() : s.state(),
        "working_log", s.workingLog(), "match", s.keyMatch("w", "x"), "columns_w", OverlaySql.list(s.columns(), "w"),
        "shown_x", s.shape().renamesColumns() ? s.shape().shownColumns("x") : "x.*")
        + createBranchStateFunction();
  }

  String dropViews() {
    return fill("drop view if exists {head_view}, {work_view};", "head_view", headView(s), "work_view", workView(s))
        + (s.isDefaultBranch() ? "" : "drop function if exists " + ownStateFunction(s) + STATE_ARGUMENTS + ";");
  }

  /**
   * The state function of a branch with columns of its own ({@link OverlaySql#stateFunction}): the rows
   * that differ at a state, of the branch's row type, so a column the branch added comes out with them (an
   * image recorded before the column was added reads its constant default). Same arguments as the
   * table's (the branch id is not read: the function is the branch's). Empty for other branches.
   */
  String createBranchStateFunction() {
    if (!s.shape().hasOwnShape()) {
      return "";
    }
    String defaults = s.shape().added().isEmpty() ? "" : s.shape().added().stream()
        .map(c -> OverlaySql.literal(c.name()) + ", to_jsonb(" + BranchShape.addedValue(c) + ")")
        .collect(Collectors.joining(", ", "jsonb_build_object(", ") || "));
    String body = changedAt(s, fill("""
        select r.* from changed c, lateral jsonb_populate_record(null::{row_type}, {defaults}c.img) r
        where c.img is not null""", "row_type", s.rowType(), "defaults", defaults));
    if (body.contains("$q$")) {
      throw new IllegalStateException("unexpected quote marker in generated SQL");
    }
    return fill("""
        create or replace function {name}(bid text, undo text[], redo text[], undo_wl boolean)
        returns setof {row_type} language plpgsql stable security definer set search_path = pg_catalog, pg_temp
        as $f$ begin
          return query execute $q${body}$q$ using undo, redo, undo_wl;
        end $f$;
        revoke all on function {name}{arguments} from public;
        """, "name", ownStateFunction(s), "row_type", s.rowType(), "body", body,
        "arguments", STATE_ARGUMENTS);
  }

  /**
   * The table's rows at a ref, as the query endpoint's role reads them: the branch's working-state view
   * without the keys the ref's state has otherwise, and those keys' rows there. The planner takes the
   * query's conditions to the view's indexes: O(changes + rows read), not O(table).
   *
   * @param arguments the state functions' arguments as SQL literals, in parentheses
   */
  String stateAtRef(String arguments) {
    return fill("""
        select x.* from {work_view} x where {key_array} not in (select k from {changed_keys}{arguments} k)
        union all select {columns_r} from {state_function}{arguments} r""",
        "work_view", workView(s), "key_array", s.keyArray("x"), "changed_keys", changedKeysFunction(s),
        "columns_r", OverlaySql.list(s.columns(), "r"),
        "state_function", stateFunction(s), "arguments", arguments);
  }

  /**
   * The two SECURITY DEFINER state functions {@code (bid, undo, redo, undo_working_log)}: the rows that
   * differ (setof T) and their keys (setof jsonb). The query endpoint's restricted role may call them,
   * and so reads the table at a ref, without any privilege on the table or Strata's objects themselves.
   * The branch id is checked before it names an object.
   */
  String createStateFunctions(Map<String, List<TableColumn>> ownColumns) {
    return definer(stateFunction(s), "setof " + s.table(), ownColumns, t -> changedAt(t, fill("""
            select r.* from changed c, lateral jsonb_populate_record(null::{table}, c.img) r
            where c.img is not null""", "table", s.table())))
        + ";" + definer(changedKeysFunction(s), "setof jsonb", ownColumns,
            t -> changedAt(t, "select c.k from changed c"));
  }

  /**
   * The changes between the branch's working state and its state with the change sets $1 undone and
   * $2 redone, the working log undone when $3 (see {@link ChangeImagesSql#changed}), followed by {@code select}.
   */
  private static String changedAt(OverlaySql table, String select) {
    return "with " + ChangeImagesSql.changed(table, "$1", "$2", true).replace(" from " + table.workingLog() + " w",
        " from " + table.workingLog() + " w where $3") + " " + select;
  }

  private String definer(String name, String returns, Map<String, List<TableColumn>> ownColumns,
      Function<OverlaySql, String> body) {
    String placeholder = "ffffffffff";
    String branchTemplate = body.apply(s.onBranch(placeholder)).replace("%", "%%").replace(placeholder, "%1$s");
    String defaultTemplate = body.apply(s.onBranch(null));
    // a branch that kept columns of its own reads its logs in them (its rows still come out as T's, their
    // columns the branch lacks null: the callers select the branch's)
    StringBuilder own = new StringBuilder();
    ownColumns.forEach((bid, columns) -> {
      if (!bid.matches("[0-9a-f]{10}")) {
        throw new IllegalArgumentException("not a branch id: " + bid);
      }
      String ownBody = body.apply(s.onBranch(bid).withBranchShape(columns, List.of()));
      if (ownBody.contains("$q$")) {
        throw new IllegalStateException("unexpected quote marker in generated SQL");
      }
      own.append("elsif bid = '").append(bid).append("' then return query execute $q$").append(ownBody)
          .append("$q$ using undo, redo, undo_wl; ");
    });
    if (branchTemplate.contains("$q$") || defaultTemplate.contains("$q$")) {
      throw new IllegalStateException("unexpected quote marker in generated SQL");
    }
    return fill("""
        create or replace function {name}(bid text, undo text[], redo text[], undo_wl boolean)
        returns {returns} language plpgsql stable security definer set search_path = pg_catalog, pg_temp
        as $f$ begin
          if bid is null then
            return query execute $q${default_body}$q$ using undo, redo, undo_wl;
          {own}elsif bid ~ '^[0-9a-f]{10}$' then
            return query execute format($q${branch_body}$q$, bid) using undo, redo, undo_wl;
          else
            raise exception 'not a branch id' using errcode = '22023';
          end if;
        end $f$""",
        "name", name, "returns", returns, "default_body", defaultTemplate, "branch_body", branchTemplate,
        "own", own.toString());
  }

  /** This branch's committed head, as the query endpoint's role reads it (see {@link #createViews}). */
  static String headView(OverlaySql s) {
    return OverlaySql.SCHEMA + "." + Sql.quote(s.tableId() + "__q_head" + (s.bid() == null ? "" : "_" + s.bid()));
  }

  /** This branch's working state, as the query endpoint's role reads it. */
  static String workView(OverlaySql s) {
    return OverlaySql.SCHEMA + "." + Sql.quote(s.tableId() + "__q_work" + (s.bid() == null ? "" : "_" + s.bid()));
  }

  /**
   * The function that returns the rows a state at a ref has in place of the branch's working state
   * (see {@link #stateAtRef}): the table's, of T's row type, shared by the branches that
   * read T's columns; a branch with columns of its own has its own, of its row type ({@link
   * #createBranchStateFunction}).
   */
  static String stateFunction(OverlaySql s) {
    return OverlaySql.SCHEMA + "." + Sql.quote(s.tableId() + "__at" + (s.shape().hasOwnShape() ? "_" + s.bid() : ""));
  }

  /** The state function of this branch when it has columns of its own, named so whether or not it has. */
  static String ownStateFunction(OverlaySql s) {
    return OverlaySql.SCHEMA + "." + Sql.quote(s.tableId() + "__at_" + s.bid());
  }

  /** The function that returns the keys whose rows a state at a ref has otherwise than the branch's working state. */
  static String changedKeysFunction(OverlaySql s) {
    return OverlaySql.SCHEMA + "." + Sql.quote(s.tableId() + "__at_keys");
  }

  /** The argument types of both state functions: (bid, undo, redo, undo_working_log). */
  static final String STATE_ARGUMENTS = "(text, text[], text[], boolean)";
}
