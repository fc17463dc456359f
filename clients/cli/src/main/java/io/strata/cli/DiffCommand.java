package io.strata.cli;

import io.strata.client.api.CommitsApi;
import io.strata.client.model.Diff;
import io.strata.client.model.RowDiff;
import io.strata.client.model.SchemaDiffDto;
import io.strata.client.model.TableSchemaDiffDto;
import io.strata.client.model.TableSummary;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code strata diff <from> <to>}: per table the rows inserted, updated and deleted ({@code --stat}), or every
 * changed row ({@code --rows}, the default for people: {@code -} before, {@code +} after, the changed fields named).
 * {@code --schema} shows how the tables' shapes differ instead, with the migration's statements ({@code --show-ddl}).
 */
@Command(name = "diff", description = "Show the changes between two refs: rows, per-table counts, or schema")
final class DiffCommand extends Verb {
  @Parameters(index = "0", paramLabel = "<from>", description = "The ref to compare from") String from;

  @Parameters(index = "1", arity = "0..1", paramLabel = "<to>",
      description = "The ref to compare to (default: the default branch)")
  String to;

  @Option(names = "--stat", description = "Per table, the count of rows inserted, updated and deleted only") boolean stat;

  @Option(names = "--table", paramLabel = "<table>", description = "One table only") String table;

  @Option(names = "--schema", description = "How the tables' shapes differ (columns, constraints, indexes)") boolean schema;

  @Option(names = "--show-ddl", description = "With --schema: the statements that migrate from → to, and back")
  boolean showDdl;

  @Override
  public Integer call() throws Exception {
    String target = branchOrDefault(to);
    CommitsApi api = new CommitsApi(client());
    if (schema) {
      SchemaDiffDto diff = api.diffSchemas(repository(), from, target, table, null);
      if (!out().printedAsJson(diff)) {
        for (TableSchemaDiffDto t : diff.getTables()) {
          out().line(out().bold(t.getTable()) + " (" + t.getChangeType() + (Boolean.TRUE.equals(t.getDestructive())
              ? ", destructive" : "") + ")");
          t.getChanges().forEach(c -> out().line("  " + c.getChangeType() + " " + c.getObjectType()
              + (Boolean.TRUE.equals(c.getDestructive()) ? out().red(" (destructive)") : "")
              + (c.getWhy() == null ? "" : ": " + c.getWhy())));
          if (showDdl) {
            out().line("  -- up");
            t.getUp().forEach(s -> out().line("  " + out().green(s)));
            out().line("  -- down");
            t.getDown().forEach(s -> out().line("  " + out().red(s)));
          }
        }
      }
      return ExitCodes.OK;
    }
    Diff diff = api.diffRefs(repository(), from, target, table, stat ? null : true, null);
    if (out().printedAsJson(diff)) {
      return ExitCodes.OK;
    }
    if (stat || diff.getChanges() == null) {
      out().table(List.of("TABLE", "INSERTED", "UPDATED", "DELETED"), diff.getTables().stream()
          .map(t -> List.of(t.getTable(), "+" + t.getInserted(), "~" + t.getUpdated(), "-" + t.getDeleted())).toList());
      long total = diff.getTables().stream().mapToLong(DiffCommand::changed).sum();
      out().line(diff.getTables().size() + " table(s), " + total + " row(s) changed");
      return ExitCodes.OK;
    }
    com.fasterxml.jackson.databind.ObjectMapper json = client().getObjectMapper();
    for (RowDiff r : diff.getChanges()) {
      out().line(out().bold(r.getTable() + " " + json.writeValueAsString(r.getKey())) + " " + r.getOp()
          + (r.getFields() == null || r.getFields().isEmpty() ? "" : " " + String.join(", ", r.getFields())));
      if (r.getBefore() != null) {
        out().line(out().red("- " + json.writeValueAsString(r.getBefore())));
      }
      if (r.getAfter() != null) {
        out().line(out().green("+ " + json.writeValueAsString(r.getAfter())));
      }
    }
    return ExitCodes.OK;
  }

  private static long changed(TableSummary t) {
    return t.getInserted() + t.getUpdated() + t.getDeleted();
  }
}
