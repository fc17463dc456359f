package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.function.Supplier;

/**
 * A client's expression (a branch's CHECK, a conversion's {@code using}) is vetted with the search path pinned to
 * PostgreSQL's own schema, and kept as text: parsed again under the session's search path, a function or operator of
 * another schema that matches its arguments more closely ({@code public.btrim(character varying)} over {@code
 * pg_catalog.btrim(text)}) would take the place of the one vetted, and run as Strata's role. So every statement
 * that parses one runs with the path pinned the same way, the caller's given back after.
 */
final class CatalogPath {
  static final String PINNED = "pg_catalog, pg_temp";

  private CatalogPath() {}

  /**
   * {@code work} in {@code tx} with the search path pinned to {@link #PINNED}, then the caller's given back (a
   * failure leaves the transaction to roll back: the setting is local to it, or to the savepoint it fails to).
   */
  static <T> Uni<T> pinned(SqlConnection tx, Supplier<Uni<T>> work) {
    return tx.query("select current_setting('search_path')").execute()
        .map(rows -> rows.iterator().next().getString(0))
        .chain(before -> tx.query("set local search_path = " + PINNED).execute()
            .chain(() -> work.get())
            .call(() -> tx.preparedQuery("select set_config('search_path', $1, true)").execute(Tuple.of(before))));
  }
}
