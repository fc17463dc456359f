package io.strata.projections.overlay;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.StateReads;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;

import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a tracked table as a branch sees it, at its working state or at any commit; the statements
 * are {@link StateReadsSql}'s.
 */
public final class PgStateReads implements StateReads<UnitOfWork> {

  @Override
  public Uni<Page> page(UnitOfWork unit, TrackedTable table, BranchRef branch, StatePath path,
      Map<String, String> filters, String after, int limit) {
    SqlConnection tx = PgUnit.of(unit);
    return new Reader(table, branch).page(tx, path, filters, after, limit);
  }

  @Override
  public Multi<String> stream(UnitOfWork unit, TrackedTable table, BranchRef branch, StatePath path,
      Map<String, String> filters, String after, int fetch) {
    SqlConnection tx = PgUnit.of(unit);
    return new Reader(table, branch).stream(tx, path, filters, after, fetch);
  }

  /** The reads of one table as one branch sees it. */
  private static final class Reader {
    private final StateReadsSql sql;

    Reader(TrackedTable tracked, BranchRef branch) {
      this.sql = new StateReadsSql(OverlaySql.of(tracked, branch));
    }

    /** @param filters column = value (the value in the column's type), columns already validated */
    Uni<Page> page(SqlConnection client, StatePath path, Map<String, String> filters, String after, int limit) {
      StateReadsSql.Query q = sql.rows(path, filters, after, limit);
      return client.preparedQuery(q.sql()).execute(Tuple.from(q.params())).map(rows -> {
        List<String> out = new ArrayList<>(rows.rowCount());
        String last = null;
        for (Row r : rows) {
          out.add(r.getString(0));
          last = r.getString(1);
        }
        return new Page(out, last);
      });
    }

    /**
     * Every row after {@code after} (null: all), in key order: one query, so one snapshot however long
     * the read, through a cursor of {@code tx} (which must be in a transaction) that fetches {@code
     * fetch} rows at a time as the subscriber asks for them. The ref's state is derived once, where a
     * read by pages derives it again for every page.
     */
    Multi<String> stream(SqlConnection tx, StatePath path, Map<String, String> filters, String after, int fetch) {
      StateReadsSql.Query q = sql.rows(path, filters, after, null);
      return tx.prepare(q.sql()).onItem().transformToMulti(statement -> statement.createStream(fetch,
              Tuple.from(q.params())).toMulti().onTermination().call(statement::close))
          .map(row -> row.getString(0));
    }
  }
}
