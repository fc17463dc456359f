package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchObjects.NewColumn;
import io.strata.projections.rowdata.BranchObjects.Redefinition;
import io.strata.projections.rowdata.BranchObjects.Undefinable;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * How the database defines a column a branch adds or changes, worked out on a temporary probe table in a transaction
 * the caller rolls back ({@link PgBranchObjects#define}, {@link PgBranchObjects#redefine}): its type as PostgreSQL
 * formats it, among its own types only, and its default as the constant it keeps — converted by a new type's cast,
 * or by a conversion's expression once that is vetted as a CHECK is. Changes nothing.
 */
final class PgColumnDefinitions {
  private final PgBranchRules rules;

  PgColumnDefinitions(PgBranchRules rules) {
    this.rules = rules;
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

  Uni<List<TableShape.Column>> define(UnitOfWork unit, List<NewColumn> columns) {
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

  Uni<List<TableShape.Column>> redefine(UnitOfWork unit, List<Redefinition> changes) {
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
      return Uni.createFrom().failure(new Undefinable(c.name(), "using: " + refused.replace("a check", "a conversion")
          .replace("the check", "the conversion")));
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
}
