package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import java.util.List;

/**
 * The statements that give the table's own columns on a branch the definitions it gives them (NOT NULL set or
 * dropped, a default set or dropped, a wider type), copying no row of the table: {@link
 * PgBranchObjects#redefineColumns} and the checks before it. The columns the branch added are {@link
 * BranchColumnsSql}'s.
 */
final class OwnColumnRedefinitionSql {
  private OwnColumnRedefinitionSql() {}

  /**
   * Gives the table's own columns the definitions {@code after} has for them ({@link OverlaySql#redefined}:
   * NOT NULL set or dropped, a default set or dropped; {@code before}: the branch as it defines them now),
   * copying no row. A column made NOT NULL is checked first over every row the branch reads — the rows it
   * wrote and those it reads from the table — and the before-images its working log keeps (a discard or a
   * reset brings them back): a null raises 23502 naming a key, and nothing changes. The overlay's check of
   * the table's NOT NULL columns is made again over {@code after}'s, and the view's defaults of the columns
   * follow (the view is not made again unless a column's type changes: {@link #retype}).
   */
  static String redefineColumns(OverlaySql before, OverlaySql after, String viewSchema, String viewName) {
    StringBuilder sql = new StringBuilder();
    List<String> retyped = retyped(before, after);
    String nullChecks = nullChecks(before, after);
    if (!retyped.isEmpty() || !nullChecks.isEmpty()) {
      // the rows looked at stay as they were until the change is made: no write through the view slips in between
      sql.append("lock table ").append(before.overlay()).append(", ").append(before.workingLog())
          .append(" in share row exclusive mode;");
    }
    sql.append(nullChecks);
    List<String> required = BranchColumnsSql.tableRequired(after);
    {
      // the check of the table's NOT NULL columns made again (the overlay's may be older than the table's rules:
      // it was made with the branch): named, or (an overlay made before it was) the one valid check that is not
      // one of Strata's own — the table's copied checks are NOT VALID — or the name earlier builds gave it
      // (unless it is a column's own: one named "table"). NOT VALID, so no scan: the columns newly required
      // were checked above, and the rows the others hold keep to them
      sql.append(fill("""
          do $strata_r$ declare k record; begin
            for k in select conname from pg_constraint where conrelid = {overlay_literal}::regclass and contype = 'c'
                       and (convalidated and conname not like 'strata\\_%'
                            or conname = 'strata_required_table'
                               and pg_get_constraintdef(oid) <> 'CHECK ((__deleted OR ("table" IS NOT NULL)))') loop
              execute format('alter table %s drop constraint %I', {overlay_literal}, k.conname);
            end loop;
          end $strata_r$;
          alter table {overlay} drop constraint if exists {required}{add};
          """, "overlay_literal", OverlaySql.literal(before.overlay()), "overlay", before.overlay(),
          "required", Sql.quote(BranchObjectsSql.TABLE_REQUIRED), "add", required.isEmpty() ? ""
              : ", add constraint " + Sql.quote(BranchObjectsSql.TABLE_REQUIRED) + " check (__deleted or ("
                  + required.stream().map(c -> Sql.quote(c) + " is not null")
                      .collect(java.util.stream.Collectors.joining(" and ")) + ")) not valid"));
    }
    String view = Sql.quote(viewSchema) + "." + Sql.quote(viewName);
    // the checks and rules above run on the branch's objects as they are; a new type makes them, and the view,
    // again before the view's defaults follow
    String rules = sql.toString();
    sql.setLength(0);
    if (!retyped.isEmpty()) {
      sql.append(retypeChecks(before, after, retyped)).append(rules)
          .append(BranchColumnsSql.remakeView(before, after, viewSchema, viewName, retype(before, after, retyped)));
    } else {
      sql.append(rules);
    }
    // a column no longer redefined takes the table's default again
    java.util.Set<String> still = new java.util.HashSet<>(after.shape().redefined().stream().map(TableShape.Column::name)
        .toList());
    List<String> restored = before.shape().redefined().stream().map(TableShape.Column::name).filter(c -> !still.contains(c))
        .toList();
    if (!restored.isEmpty()) {
      sql.append(fill("""
          do $strata_d$ declare r record; begin
            for r in select a.attname, pg_get_expr(d.adbin, d.adrelid) as expr
                     from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                     where a.attrelid = {table_literal}::regclass and a.attname = any({names}) and not a.attisdropped
                       and a.attidentity = '' and a.attgenerated = '' loop
              execute format('alter view %s alter column %I ', {view_literal}, {renamed}::jsonb ->> r.attname::text)
                || case when r.expr is null then 'drop default' else 'set default ' || r.expr end;
            end loop;
          end $strata_d$;
          """, "table_literal", OverlaySql.literal(before.table()), "names", restored.stream()
              .map(OverlaySql::literal).collect(java.util.stream.Collectors.joining(", ", "array[", "]::name[]")),
          "view_literal", OverlaySql.literal(view), "renamed", OverlaySql.literal(BranchColumnsSql.shownJson(before, restored))));
    }
    sql.append(new BranchObjectsSql(after).redefinedDefaults(view));
    return sql.toString();
  }

  /**
   * What {@link #redefineColumns} looks at before it changes anything — a column made NOT NULL, a new type — and
   * nothing else: it raises as that does, and changes nothing. For {@code validate_only}.
   */
  static String redefinitionChecks(OverlaySql before, OverlaySql after) {
    List<String> retyped = retyped(before, after);
    return nullChecks(before, after) + (retyped.isEmpty() ? "" : retypeChecks(before, after, retyped));
  }

  /**
   * PL/pgSQL blocks that raise (23502, naming a key) when a column of the table's own {@code after} makes NOT NULL
   * is null in a row the branch reads, or in a before-image its working log keeps.
   */
  private static String nullChecks(OverlaySql before, OverlaySql after) {
    StringBuilder sql = new StringBuilder();
    List<String> wasRequired = before.shape().required();
    for (String c : BranchColumnsSql.tableRequired(after)) {
      if (wasRequired.contains(c)) {
        continue;
      }
      sql.append(fill("""
          do $strata_n$ declare k text; begin
            select {key_text} into k from {state} s where s.{column} is null limit 1;
            if found then
              raise exception using errcode = '23502', message = format('column %I is null in the row of key %s the'
                || ' branch reads: give it a value first', {name}, k);
            end if;
            {logged}
          end $strata_n$;
          """, "key_text", before.keyText("s"), "state", before.state(),
          "column", Sql.quote(c), "name", OverlaySql.literal(before.shape().shown(c)), "logged", BranchColumnsSql.noLoggedNull(before, c)));
    }
    return sql.toString();
  }

  /**
   * Gives columns {@code retyped} of the table's own the types {@code after} gives them ({@code before}: the
   * types they have): every value the branch reads — its rows and the table's it reads, through its state — and
   * every before-image its working log keeps is checked first to read as it is in the new type (its JSON image
   * unchanged; a value that does not convert raises the database's own error): one that would read otherwise
   * raises 22000 naming its key, and nothing changes. Then its row type (made, changed or dropped: a branch whose
   * types are the table's again reads the table's), overlay and working log take the types, converting the rows
   * the branch wrote (a tombstone's values, and a logged row's where the row was absent, are not read). The rows
   * of the table are not touched: the view, made again, reads them through a cast ({@link #retype}).
   */
  private static String retypeChecks(OverlaySql before, OverlaySql after, List<String> retyped) {
    return "do $strata_t$ declare k text; begin " + retypeCheckStatements(before, after, retyped) + " end $strata_t$;";
  }

  /**
   * {@link #retypeChecks} as PL/pgSQL statements (a block declaring {@code k text} runs them): for a caller that
   * catches what they raise.
   */
  static String retypeCheckStatements(OverlaySql before, OverlaySql after, List<String> retyped) {
    StringBuilder sql = new StringBuilder();
    for (String c : retyped) {
      String column = Sql.quote(c);
      String type = after.shape().typeOf(c);
      if (io.strata.events.ColumnTypes.widens(before.shape().typeOf(c), type)) {
        continue; // every value of the type reads as it is in the new one: nothing to look at
      }
      sql.append(fill("""
          begin
            select {key_text} into k from {state} s
            where to_jsonb(s.{column}::{type})::text is distinct from to_jsonb(s.{column})::text limit 1;
            if k is not null then
              raise exception using errcode = '22000', message = format('column %I of the row of key %s the branch'
                || ' reads would read otherwise as %s (a change of type keeps every value as it is): change it first',
                {name}, k, {type_literal});
            end if;
            if exists (select from {log} where __present
                       and to_jsonb({column}::{type})::text is distinct from to_jsonb({column})::text) then
              raise exception using errcode = '22000', message = format('column %I of a row the branch changed since'
                || ' its last commit would read otherwise as %s (its working changes would bring it back): commit or'
                || ' discard them first', {name}, {type_literal});
            end if;
          exception when data_exception then
            -- a value that does not convert at all (the database's reason); 22000 raised above passes as it is
            if sqlstate = '22000' then raise; end if;
            raise exception using errcode = '22000', message = format('column %I of a row the branch holds does not'
              || ' convert to %s (%s): change it first', {name}, {type_literal}, sqlerrm);
          end;
          """, "key_text", before.keyText("s"), "state", before.state(),
          "column", column, "type", type, "name", OverlaySql.literal(before.shape().shown(c)),
          "type_literal", OverlaySql.literal(type), "log", before.workingLog()));
    }
    return sql.toString();
  }

  /** The columns of the table's own whose type {@code after} gives otherwise than {@code before}. */
  static List<String> retyped(OverlaySql before, OverlaySql after) {
    return after.columns().stream().filter(c -> before.shape().typeOf(c) != null
        && !io.strata.events.ColumnTypes.same(before.shape().typeOf(c), after.shape().typeOf(c))).toList();
  }

  /** The changes of {@link #retypeChecks}' columns, once checked: row type, overlay and working log. */
  private static String retype(OverlaySql before, OverlaySql after, List<String> retyped) {
    StringBuilder sql = new StringBuilder();
    if (before.shape().hasOwnShape() && !after.shape().hasOwnShape()) {
      sql.append("drop type if exists ").append(before.ownRowType()).append(";");
    } else if (!before.shape().hasOwnShape() && after.shape().hasOwnShape()) {
      // (one left from before — a type promoted into the table since — is made again in this branch's columns)
      sql.append("drop type if exists ").append(after.ownRowType()).append("; create type ").append(after.ownRowType())
          .append(" as (").append(after.shape().rowTypeDefinition()).append(");");
    }
    for (String c : retyped) {
      String column = Sql.quote(c);
      String type = after.shape().typeOf(c);
      sql.append("alter table ").append(before.overlay()).append(" alter column ").append(column).append(" type ")
          .append(type).append(" using case when not __deleted then ").append(column).append("::").append(type)
          .append(" end;")
          .append("alter table ").append(before.workingLog()).append(" alter column ").append(column).append(" type ")
          .append(type).append(" using case when __present then ").append(column).append("::").append(type)
          .append(" end;");
      if (before.shape().hasOwnShape() && after.shape().hasOwnShape()) {
        sql.append("alter type ").append(before.ownRowType()).append(" alter attribute ").append(column)
            .append(" type ").append(type).append(";");
      }
    }
    return sql.toString();
  }
}
