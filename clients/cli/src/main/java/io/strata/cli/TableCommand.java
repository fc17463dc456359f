package io.strata.cli;

import io.strata.client.api.TablesApi;
import io.strata.client.model.PageDtoTableDto;
import io.strata.client.model.TableDto;
import io.strata.client.model.TrackTable;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata table}: the tables a repository tracks; {@code table add} tracks one in place, {@code table rm} stops. */
@Command(name = "table", description = "List, track (add) or untrack (rm) tables",
    subcommands = {TableCommand.Add.class, TableCommand.Remove.class})
final class TableCommand extends Verb {
  @Override
  public Integer call() throws Exception {
    PageDtoTableDto page = new TablesApi(client()).listTables(repository(), null);
    if (!out().printedAsJson(page)) {
      out().table(List.of("TABLE", "LOCATION", "KEY", "ROWS"), page.getItems().stream().map(t -> List.of(t.getName(),
          t.getLocation(), String.join(",", t.getPrimaryKey() == null ? List.of() : t.getPrimaryKey()),
          String.valueOf(t.getRowCount()))).toList());
    }
    return ExitCodes.OK;
  }

  @Command(name = "add", description = "Track a table in place (it keeps its name, data and applications)")
  static final class Add extends Verb {
    @Parameters(index = "0", paramLabel = "<name>", description = "Its name in the repository") String name;

    @Parameters(index = "1", paramLabel = "<location>",
        description = "Where it is: postgresql://local/<schema>.<table>, postgresql://<storage>/<schema>.<table>, or a"
            + " Delta Lake table's delta://<storage>/<path> (with --primary-key)")
    String location;

    @Option(names = "--primary-key", split = ",", paramLabel = "<column>", description = "The key, for a table without one (a Delta table has none: give it)")
    List<String> primaryKey;

    @Override
    public Integer call() throws Exception {
      TableDto t = new TablesApi(client()).trackTable(repository(), new TrackTable().name(name).location(location)
          .primaryKey(primaryKey), null, null, Actors.user(env()), null, null, null, null, null);
      if (!out().printedAsJson(t)) {
        out().line("Tracking " + t.getName() + " (" + t.getRowCount() + " rows, key "
            + String.join(",", t.getPrimaryKey()) + ")");
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "rm", description = "Stop tracking a table (its data stays)")
  static final class Remove extends Verb {
    @Parameters(paramLabel = "<name>") String name;

    @Override
    public Integer call() throws Exception {
      new TablesApi(client()).untrackTable(repository(), name, null, null, Actors.user(env()), null, null, null, null,
          null);
      if (!out().printedAsJson(Map.of("untracked", name))) {
        out().line("No longer tracking " + name);
      }
      return ExitCodes.OK;
    }
  }
}
