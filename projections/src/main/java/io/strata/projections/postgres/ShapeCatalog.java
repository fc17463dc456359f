package io.strata.projections.postgres;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads a table's {@link TableShape} from PostgreSQL's catalog. Names and expressions are printed with
 * {@code search_path} set to {@code pg_catalog, pg_temp} for the reading (and put back after it), so every
 * name outside {@code pg_catalog} comes schema-qualified whatever the session's path: the same table
 * reads the same from any connection. Index definitions are kept from their method on
 * ({@code btree (v) WHERE …}), without their own and their table's names.
 */
public final class ShapeCatalog {
  private static final String PIN_PATH =
      "select current_setting('search_path'), set_config('search_path', 'pg_catalog, pg_temp', true)";
  private static final String RESTORE_PATH = "select set_config('search_path', $1, true)";
  private static final String RELATION =
      "select c.oid::bigint from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
          + " where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')";
  private static final String COLUMNS =
      "select a.attname, format_type(a.atttypid, a.atttypmod), not a.attnotnull,"
          + " (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname) from pg_collation co"
          + "   join pg_namespace cn on cn.oid = co.collnamespace join pg_type t on t.oid = a.atttypid"
          + "   where co.oid = a.attcollation and a.attcollation <> t.typcollation),"
          + " case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end,"
          + " case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end,"
          + " case a.attidentity when 'a' then 'always' when 'd' then 'by default' end"
          + " from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum"
          + " where a.attrelid = $1::bigint::oid and a.attnum > 0 and not a.attisdropped order by a.attnum";
  /**
   * The table's own constraints: not NOT NULL ones (PostgreSQL 18 lists those too: nullability is the
   * column's), nor those a partition inherits from its parent (they are the parent's DDL).
   */
  private static final String CONSTRAINTS =
      "select con.conname, con.contype::text, pg_get_constraintdef(con.oid, true),"
          + " array(select a.attname from unnest(con.conkey) with ordinality k(attnum, ord)"
          + "   join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord)"
          + " from pg_constraint con where con.conrelid = $1::bigint::oid and con.contype in ('p', 'u', 'c', 'f', 'x')"
          + " and con.conislocal and con.conparentid = 0";
  /** Indexes that back no constraint of the table (those are its constraints'), nor a parent's index. */
  private static final String INDEXES =
      "select ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid),"
          + " quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
          + " from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class c on c.oid = i.indrelid"
          // an index left invalid (a concurrent build or drop that failed half-way) enforces nothing
          + " join pg_namespace n on n.oid = c.relnamespace where i.indrelid = $1::bigint::oid"
          + " and i.indisvalid and i.indislive and not exists ("
          + "   select 1 from pg_constraint con where con.conrelid = i.indrelid and con.conindid = i.indexrelid"
          + "   and con.contype in ('p', 'u', 'x'))"
          + " and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)";

  private ShapeCatalog() {}

  /** The table's shape now, or empty when it does not exist. Changes {@code search_path} for the reading only. */
  public static Uni<Optional<TableShape>> shape(SqlConnection tx, String schema, String table) {
    return tx.query(PIN_PATH).execute().map(rows -> rows.iterator().next().getString(0))
        .chain(path -> read(tx, schema, table)
            .call(() -> tx.preparedQuery(RESTORE_PATH).execute(Tuple.of(path)))
            .onFailure().call(() -> tx.preparedQuery(RESTORE_PATH).execute(Tuple.of(path))
                .onFailure().recoverWithNull()));
  }

  private static Uni<Optional<TableShape>> read(SqlConnection tx, String schema, String table) {
    return tx.preparedQuery(RELATION).execute(Tuple.of(schema, table)).chain(rel -> {
      if (rel.rowCount() == 0) {
        return Uni.createFrom().item(Optional.<TableShape>empty());
      }
      long oid = rel.iterator().next().getLong(0);
      Tuple byOid = Tuple.of(oid);
      return tx.preparedQuery(COLUMNS).execute(byOid)
          .chain(columns -> tx.preparedQuery(CONSTRAINTS).execute(byOid)
              .chain(constraints -> tx.preparedQuery(INDEXES).execute(byOid)
                  .map(indexes -> Optional.of(shape(columns, constraints, indexes)))));
    });
  }

  private static TableShape shape(Iterable<Row> columnRows, Iterable<Row> constraintRows, Iterable<Row> indexRows) {
    List<TableShape.Column> columns = new ArrayList<>();
    for (Row r : columnRows) {
      columns.add(new TableShape.Column(r.getString(0), r.getString(1), r.getBoolean(2), r.getString(3),
          r.getString(4), r.getString(5), r.getString(6)));
    }
    List<String> primaryKey = List.of();
    List<TableShape.Constraint> constraints = new ArrayList<>();
    for (Row r : constraintRows) {
      String kind = kind(r.getString(1));
      if (kind.equals(TableShape.PRIMARY_KEY)) {
        primaryKey = Arrays.asList(r.getArrayOfStrings(3));
      }
      constraints.add(new TableShape.Constraint(r.getString(0), kind, r.getString(2)));
    }
    List<TableShape.Index> indexes = new ArrayList<>();
    for (Row r : indexRows) {
      indexes.add(new TableShape.Index(r.getString(0), r.getBoolean(1), methodOn(r.getString(2), r.getString(3))));
    }
    return new TableShape(columns, primaryKey, constraints, indexes);
  }

  private static String kind(String contype) {
    return switch (contype) {
      case "p" -> TableShape.PRIMARY_KEY;
      case "u" -> "unique";
      case "c" -> "check";
      case "f" -> "foreign_key";
      default -> "exclusion";
    };
  }

  /** {@code CREATE INDEX i ON s.t USING btree (v)} → {@code btree (v)}: what follows the table's name. */
  private static String methodOn(String indexDef, String qualifiedTable) {
    String marker = " " + qualifiedTable + " USING ";
    int at = indexDef.indexOf(marker);
    return at < 0 ? indexDef : indexDef.substring(at + marker.length());
  }
}
