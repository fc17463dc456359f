package io.strata.cli;

import io.strata.client.api.QueryApi;
import io.strata.client.model.Query;
import io.strata.client.model.QueryResult;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata query "<sql>" [--ref R]}: a read-only SQL statement over the tracked tables at a ref. */
@Command(name = "query", description = "Run a read-only SQL statement over the tracked tables at a ref")
final class QueryCommand extends Verb {
  @Parameters(paramLabel = "<sql>", description = "One read-only statement (select, with, values, table)") String sql;

  @Option(names = "--ref", paramLabel = "<ref>", description = "Where: a branch, tag, commit, main~1 (default: the default branch)")
  String ref;

  @Option(names = {"-n", "--limit"}, paramLabel = "<rows>", description = "At most this many rows") Integer limit;

  @Option(names = "--working", description = "On a branch: its working state, not its head commit") boolean working;

  @Override
  public Integer call() throws Exception {
    QueryResult result = new QueryApi(client()).queryRepository(repository(), new Query().sql(sql).ref(ref).limit(limit)
        .working(working ? true : null), null);
    if (out().printedAsJson(result)) {
      return ExitCodes.OK;
    }
    List<List<String>> rows = new ArrayList<>();
    for (Object row : result.getRows()) {
      List<String> cells = new ArrayList<>();
      if (row instanceof List<?> values) {
        values.forEach(v -> cells.add(String.valueOf(v)));
      } else if (row instanceof java.util.Map<?, ?> byName) {
        result.getColumns().forEach(c -> cells.add(String.valueOf(byName.get(c))));
      } else {
        cells.add(String.valueOf(row));
      }
      rows.add(cells);
    }
    out().table(result.getColumns(), rows);
    out().line("(" + rows.size() + " row" + (rows.size() == 1 ? "" : "s")
        + (Boolean.TRUE.equals(result.getTruncated()) ? ", truncated" : "") + ")");
    return ExitCodes.OK;
  }
}
