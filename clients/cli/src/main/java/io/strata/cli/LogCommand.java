package io.strata.cli;

import io.strata.client.api.CommitsApi;
import io.strata.client.model.CommitDto;
import io.strata.client.model.PageDtoCommitDto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata log}: a ref's history, newest first, as git prints it. */
@Command(name = "log", description = "Show the commits reachable from a ref, newest first")
final class LogCommand extends Verb {
  @Parameters(arity = "0..1", paramLabel = "<ref>",
      description = "A branch, tag, commit id, main~3 or main@{2026-11-01T00:00:00Z} (default: the default branch)")
  String ref;

  @Option(names = {"-n", "--max-count"}, paramLabel = "<n>", defaultValue = "20",
      description = "At most this many commits (default ${DEFAULT-VALUE})")
  int max;

  @Option(names = "--oneline", description = "One line a commit: its short id and the first line of its message")
  boolean oneline;

  @Option(names = "--first-parent", description = "Follow only the first parent of merge commits")
  boolean firstParent;

  @Option(names = "--author", paramLabel = "<id>", description = "Only commits by this author") String author;

  @Option(names = "--table", paramLabel = "<table>", description = "Only commits that changed this table")
  String table;

  @Option(names = "--since", paramLabel = "<time>", description = "Only commits made at or after this time (2026-11-01T00:00:00Z)")
  String since;

  @Option(names = "--until", paramLabel = "<time>", description = "Only commits made before this time") String until;

  @Override
  public Integer call() throws Exception {
    PageDtoCommitDto page = new CommitsApi(client()).listCommits(repository(), ref, max, 0, firstParent ? true : null,
        table, author, since, until, null);
    if (out().printedAsJson(page)) {
      return ExitCodes.OK;
    }
    for (CommitDto c : page.getItems()) {
      String subject = c.getMessage() == null ? "" : c.getMessage().lines().findFirst().orElse("");
      if (oneline) {
        out().line(out().yellow(c.getShortId()) + " " + subject);
        continue;
      }
      out().line(out().yellow("commit " + c.getId()));
      if (c.getParents() != null && c.getParents().size() > 1) {
        out().line("Merge: " + String.join(" ", c.getParents().stream().map(Ids::shortId).toList()));
      }
      if (c.getAuthor() != null) {
        out().line("Author: " + c.getAuthor().getName()
            + (c.getAuthor().getEmail() == null ? "" : " <" + c.getAuthor().getEmail() + ">"));
      }
      out().line("Date:   " + c.getCreatedAt());
      out().line("");
      (c.getMessage() == null ? "" : c.getMessage()).lines().forEach(l -> out().line("    " + l));
      out().line("");
    }
    return ExitCodes.OK;
  }
}
