package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import java.util.List;

/**
 * The statements that change the columns of a branch's objects (row type, overlay, working log, view) for
 * the columns it added through Strata, copying no row of the table: {@link PgBranchObjects#addColumns},
 * {@link PgBranchObjects#alterColumns} and {@link PgBranchObjects#dropColumns} (the table's own columns redefined:
 * {@link OwnColumnRedefinitionSql}).
 */
final class BranchColumnsSql {
  private BranchColumnsSql() {}

  /**
   * Adds {@code columns} (this branch's columns after them are {@code b}'s; {@code before}: the branch
   * before) to the branch's row type, overlay and working log, copying no row: each is added with its
   * constant default, which the rows there take as PostgreSQL's "fast default" gives it (the overlay's
   * rows, its tombstones and the logged before-images had the column's default as far as the branch is
   * concerned). The working log's default is dropped again (its writers name every column).
   */
  static String addColumns(OverlaySql before, OverlaySql after, List<TableShape.Column> columns) {
    // idempotent: an attempt whose event was not appended (another storage's transaction committed) is
    // done again over what it left
    StringBuilder sql = new StringBuilder(fill("""
        do $strata_t$ begin
          if to_regtype({row_type_literal}) is null then execute {create}; end if;
        end $strata_t$;
        """, "row_type_literal", OverlaySql.literal(after.ownRowType()),
        "create", OverlaySql.literal("create type " + after.ownRowType() + " as (" + after.shape().rowTypeDefinition() + ")")));
    for (TableShape.Column c : columns) {
      String column = Sql.quote(c.name());
      sql.append(fill("""
          do $strata_t$ begin
            if not exists (select from pg_attribute a join pg_type t on t.typrelid = a.attrelid
                           where t.oid = to_regtype({row_type_literal}) and a.attname = {name} and not a.attisdropped) then
              execute {add_attribute};
            end if;
          end $strata_t$;
          """, "row_type_literal", OverlaySql.literal(after.ownRowType()), "name", OverlaySql.literal(c.name()),
          "add_attribute", OverlaySql.literal("alter type " + after.ownRowType() + " add attribute " + column + " "
              + c.type())));
      String withDefault = " " + c.type() + (c.defaultValue() == null ? "" : " default " + BranchShape.addedValue(c));
      sql.append("alter table ").append(before.overlay()).append(" add column if not exists ").append(column)
          .append(withDefault).append(";");
      if (!c.nullable()) {
        sql.append("alter table ").append(before.overlay()).append(" drop constraint if exists ")
            .append(Sql.quote(requiredConstraint(c.name()))).append(", add constraint ")
            .append(Sql.quote(requiredConstraint(c.name()))).append(" check (__deleted or ").append(column)
            .append(" is not null);");
      }
      sql.append("alter table ").append(before.workingLog()).append(" add column if not exists ").append(column)
          .append(withDefault).append(";");
      if (c.defaultValue() != null) {
        sql.append("alter table ").append(before.workingLog()).append(" alter column ").append(column)
            .append(" drop default;");
      }
    }
    return sql.toString();
  }

  /**
   * Drops {@code columns} — columns the branch added, or the table's own it read — ({@code before}: the
   * branch with them; {@code after}: without), from its row type (made, for a branch that read the table's
   * columns), overlay and working log, and makes its view and query views again in the
   * columns left: catalog changes, no row copied (PostgreSQL marks a dropped column dropped). The view is
   * dropped and created (a view cannot lose a column in place) with the privileges it had been granted.
   * When the branch's columns are the table's again, its row type goes: it reads the table's.
   */
  static String dropColumns(OverlaySql before, OverlaySql after, String viewSchema, String viewName,
      List<String> columns) {
    StringBuilder sql = new StringBuilder();
    if (after.shape().hasOwnShape()) {
      // a branch that read the table's columns and drops one of them: its rows become rows of its own type
      sql.append(fill("""
          do $strata_t$ begin
            if to_regtype({row_type_literal}) is null then execute {create}; end if;
          end $strata_t$;
          """, "row_type_literal", OverlaySql.literal(after.ownRowType()),
          "create", OverlaySql.literal("create type " + after.ownRowType() + " as (" + after.shape().rowTypeDefinition() + ")")));
    }
    for (String c : columns) {
      String column = Sql.quote(c);
      sql.append("alter table ").append(before.overlay()).append(" drop column if exists ").append(column).append(";")
          .append("alter table ").append(before.workingLog()).append(" drop column if exists ").append(column)
          .append(";");
      if (after.shape().hasOwnShape()) {
        sql.append("alter type ").append(before.ownRowType()).append(" drop attribute if exists ").append(column)
            .append(";");
      }
    }
    if (!after.shape().hasOwnShape()) {
      sql.append("drop type if exists ").append(before.ownRowType()).append(";");
    }
    List<String> tableRequired = tableRequired(after);
    if (columns.stream().anyMatch(tableRequired(before)::contains) && !tableRequired.isEmpty()) {
      // the overlay's check of the table's NOT NULL columns names them all, and goes with any of them dropped:
      // made again over the others (NOT VALID: the rows it holds kept them set; a column the branch added has a
      // check of its own)
      String required = Sql.quote(BranchObjectsSql.TABLE_REQUIRED);
      sql.append("alter table ").append(before.overlay()).append(" drop constraint if exists ").append(required)
          .append(", add constraint ").append(required).append(" check (__deleted or (")
          .append(tableRequired.stream().map(c -> Sql.quote(c) + " is not null")
              .collect(java.util.stream.Collectors.joining(" and "))).append(")) not valid;");
    }
    return remakeView(before, after, viewSchema, viewName, sql.toString());
  }

  /**
   * Gives the branch back {@code columns}, the table's own it had dropped ({@code before}: the branch
   * without them; {@code after}: with them, in the table's order): its row type made again in that order
   * (or dropped when its columns are the table's again), its overlay and working log take each, null in
   * their rows until filled ({@link #requireRestored} then), and its view is made again, reading them from
   * the table for the rows it has not written.
   */
  static String restoreColumns(OverlaySql before, OverlaySql after, String viewSchema, String viewName,
      List<TableColumn> columns) {
    StringBuilder sql = new StringBuilder("drop type if exists ").append(before.ownRowType()).append(";");
    if (after.shape().hasOwnShape()) {
      // a composite type's attributes cannot move: made again in the branch's order (the view and the
      // branch's state function, which name it, are dropped first)
      sql.append("create type ").append(after.ownRowType()).append(" as (").append(after.shape().rowTypeDefinition())
          .append(");");
    }
    for (TableColumn c : columns) {
      String column = Sql.quote(c.name());
      sql.append("alter table ").append(before.overlay()).append(" add column if not exists ").append(column)
          .append(" ").append(c.type()).append(";")
          .append("alter table ").append(before.workingLog()).append(" add column if not exists ").append(column)
          .append(" ").append(c.type()).append(";");
    }
    return remakeView(before, after, viewSchema, viewName, sql.toString());
  }

  /**
   * Once the rows of a branch that got {@code names} back are filled: the table's NOT NULL rules held on
   * them again, when one of them is NOT NULL (NOT VALID: the rows were filled from the table and the images).
   */
  static String requireRestored(OverlaySql b, List<String> names) {
    List<String> tableRequired = tableRequired(b);
    if (names.stream().noneMatch(tableRequired::contains)) {
      return "select 1";
    }
    String required = Sql.quote(BranchObjectsSql.TABLE_REQUIRED);
    return "alter table " + b.overlay() + " drop constraint if exists " + required + ", add constraint " + required
        + " check (__deleted or (" + tableRequired.stream().map(c -> Sql.quote(c) + " is not null")
            .collect(java.util.stream.Collectors.joining(" and ")) + ")) not valid";
  }

  /**
   * Gives columns the branch added ({@code addedBefore}: their definitions before) the definitions
   * {@code columns}: a new type converts the values of the rows the branch wrote and of the before-images
   * it logged ({@code column::type}, as ALTER TABLE converts a table's rows; a tombstone's are not read, and
   * not kept), and the overlay's default (the
   * value of rows it had before it added the column) follows; NOT NULL is the overlay's check, added or
   * dropped. Rows of the table are not touched: its rows read the converted default in the view, made again.
   * A column {@code using} names (by name) is converted by its expression instead of the cast, and need not keep
   * its values as they read.
   */
  static String alterColumns(OverlaySql before, OverlaySql after, String viewSchema, String viewName,
      List<TableShape.Column> addedBefore, List<TableShape.Column> columns, java.util.Map<String, String> using) {
    StringBuilder sql = new StringBuilder();
    for (TableShape.Column c : columns) {
      TableShape.Column was = addedBefore.stream().filter(a -> a.name().equals(c.name())).findFirst().orElseThrow();
      if (!was.type().equals(c.type()) && !using.containsKey(c.name())) {
        sql.append("do $strata_k$ begin ").append(unchanged(before, c.name(), c.type())).append(" end $strata_k$;");
      }
      if (!c.nullable() && !using.containsKey(c.name())) {
        // a before-image the working log keeps comes back on a discard or a reset: it must take NOT NULL too
        sql.append("do $strata_n$ begin ").append(noLoggedNull(before, c.name())).append(" end $strata_n$;");
      }
    }
    for (TableShape.Column c : columns) {
      TableShape.Column was = addedBefore.stream().filter(a -> a.name().equals(c.name())).findFirst().orElseThrow();
      String column = Sql.quote(c.name());
      String required = Sql.quote(requiredConstraint(c.name()));
      boolean retype = !was.type().equals(c.type()) || using.containsKey(c.name());
      // a cast, or the conversion the client gave (vetted: one expression of the column alone)
      String converted = using.containsKey(c.name()) ? "((" + using.get(c.name()) + "))::" + c.type()
          : column + "::" + c.type();
      sql.append("alter table ").append(before.overlay()).append(" drop constraint if exists ").append(required)
          .append(";");
      if (!retype && !java.util.Objects.equals(was.defaultValue(), c.defaultValue())) {
        sql.append("alter table ").append(before.overlay()).append(" alter column ").append(column)
            .append(c.defaultValue() == null ? " drop default;" : " set default " + BranchShape.addedValue(c) + ";");
      }
      if (retype) {
        // a tombstone's values, and a logged row's where the row was absent, are not read: not converted
        String convert = " alter column " + column + " type " + c.type() + " using case when not __deleted then "
            + converted + " end";
        sql.append("alter table ").append(before.overlay()).append(" alter column ").append(column)
            .append(" drop default,").append(convert).append(c.defaultValue() == null ? ""
                : ", alter column " + column + " set default " + BranchShape.addedValue(c)).append(";")
            .append("alter table ").append(before.workingLog()).append(" alter column ").append(column).append(" type ")
            .append(c.type()).append(" using case when __present then ").append(converted)
            .append(" end;")
            .append("alter type ").append(before.ownRowType()).append(" alter attribute ").append(column)
            .append(" type ").append(c.type()).append(";");
      }
      if (!c.nullable() && using.containsKey(c.name())) {
        // the converted before-images the working log keeps: a discard or a reset gives them back
        sql.append("do $strata_n$ begin ").append(noLoggedNull(before, c.name())).append(" end $strata_n$;");
      }
      if (!c.nullable()) {
        sql.append("alter table ").append(before.overlay()).append(" add constraint ").append(required)
            .append(" check (__deleted or ").append(column).append(" is not null);");
      }
    }
    return remakeView(before, after, viewSchema, viewName, sql.toString());
  }

  /**
   * PL/pgSQL statements that raise (SQLSTATE 22000, naming the column) when a value of column {@code name}
   * the branch holds — a live row of its overlay, a before-image its working log keeps — would read
   * otherwise as {@code type} (its JSON image changes: digits cut or rounded, another text), or does not
   * convert at all: a change of type keeps the rows as their history has them.
   */
  static String unchanged(OverlaySql b, String name, String type) {
    String column = Sql.quote(name);
    String changes = "to_jsonb(" + column + "::" + type + ")::text is distinct from to_jsonb(" + column + ")::text";
    return fill("""
        if exists (select from {overlay} where not __deleted and {changes})
           or exists (select from {log} where __present and {changes}) then
          raise exception using errcode = '22000', message = format('a value of column %I the branch holds would read'
            || ' otherwise as %s (a change of type keeps every value as it is): change those rows first', {name},
            {type});
        end if;""", "overlay", b.overlay(), "log", b.workingLog(), "changes", changes, "name", OverlaySql.literal(name),
        "type", OverlaySql.literal(type));
  }

  /**
   * Drops the branch's view and query views (a view cannot lose a column, nor change one's type, in place),
   * runs {@code changes}, and makes the view again in {@code after}'s columns with the privileges it had
   * been granted.
   */
  static String remakeView(OverlaySql before, OverlaySql after, String viewSchema, String viewName,
      String changes) {
    String view = Sql.quote(viewSchema) + "." + Sql.quote(viewName);
    BranchObjectsSql made = new BranchObjectsSql(after);
    return fill("""
        {query_access_lock};
        {drop_query_views}
        drop table if exists pg_temp.strata_view_grants;
        create temporary table strata_view_grants on commit drop as
          select format('grant %s on %s to %s%s', a.privilege_type, {view_literal},
                        case when a.grantee = 0 then 'public' else quote_ident(g.rolname) end,
                        case when a.is_grantable then ' with grant option' else '' end) as statement
            from pg_class c cross join lateral aclexplode(c.relacl) a left join pg_roles g on g.oid = a.grantee
           where c.oid = {view_literal}::regclass and a.grantee <> c.relowner;
        drop view {view};
        """, "query_access_lock", PgQueryAccess.LOCK, "drop_query_views", new QueryAccessSql(before).dropViews(),
        "view_literal", OverlaySql.literal(view), "view", view)
        + ConflictsViewsSql.setAside(before)
        + changes + made.createView(viewSchema, viewName) + made.addedDefaults(view) + ConflictsViewsSql.makeAgain(after)
        + """
        do $strata_g$ declare r record; begin
          for r in select statement from pg_temp.strata_view_grants loop execute r.statement; end loop;
        end $strata_g$;
        drop table pg_temp.strata_view_grants;
        """;
  }

  /**
   * A PL/pgSQL statement that raises (SQLSTATE 23502) when a before-image the branch's working log keeps has
   * column {@code column} null: a discard or a reset would bring it back into a column made NOT NULL.
   */
  static String noLoggedNull(OverlaySql b, String column) {
    return fill("""
        if exists (select from {log} where __present and {column} is null) then
          raise exception using errcode = '23502', message = format('column %I is null in a row the branch'
            || ' changed since its last commit (its working changes would bring the null back): commit or'
            || ' discard them first', {name});
        end if;""", "log", b.workingLog(), "column", Sql.quote(column), "name", OverlaySql.literal(b.shape().shown(column)));
  }

  /** {@code names} to the names {@code b} shows them under, as a JSON object. */
  static String shownJson(OverlaySql b, List<String> names) {
    java.util.Map<String, String> shown = new java.util.TreeMap<>();
    names.forEach(n -> shown.put(n, b.shape().shown(n)));
    return io.strata.events.EventCodec.mapper().valueToTree(shown).toString();
  }

  /** The NOT NULL columns of {@code b} that are the table's own (not added on the branch), but for the key. */
  static List<String> tableRequired(OverlaySql b) {
    List<String> added = b.shape().added().stream().map(TableShape.Column::name).toList();
    return b.shape().required().stream().filter(c -> !added.contains(c)).toList();
  }

  /** Files the columns the branch added ($3, JSON) with its registration ($1 = tid, $2 = bid). */
  static final String REGISTER_ADDED = "update strata.branch_overlays set added = $3::text::jsonb where tid = $1 and bid = $2";

  /** Files the table's own columns the branch defines otherwise ($3, JSON definitions) with its registration. */
  static final String REGISTER_REDEFINED =
      "update strata.branch_overlays set redefined = $3::text::jsonb where tid = $1 and bid = $2";

  /** Files the columns the branch shows under other names ($3, JSON: stored name to shown name) with its registration. */
  static final String REGISTER_RENAMED =
      "update strata.branch_overlays set renamed = $3::text::jsonb where tid = $1 and bid = $2";

  /**
   * Shows the branch's columns under the names {@code after} gives them ({@code before}: under those it
   * showed): its view and query views made again; nothing else changes (every other object, and every image,
   * keeps the stored names), so no row is read or written.
   */
  static String renameColumns(OverlaySql before, OverlaySql after, String viewSchema, String viewName) {
    return remakeView(before, after, viewSchema, viewName, "");
  }

  /**
   * The overlay's constraint that keeps NOT NULL column {@code column} set on rows the branch has: named
   * after it, or after its hash where the name would pass PostgreSQL's 63 bytes (a column name may have 63).
   */
  static String requiredConstraint(String column) {
    String named = "strata_required_" + column;
    return named.length() <= 63 ? named
        : "strata_required_" + io.strata.events.CommitIds.sha256Hex(column).substring(0, 40);
  }
}
