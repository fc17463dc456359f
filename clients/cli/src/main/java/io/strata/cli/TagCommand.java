package io.strata.cli;

import io.strata.client.api.TagsApi;
import io.strata.client.model.CreateTag;
import io.strata.client.model.PageDtoTagDto;
import io.strata.client.model.TagDto;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata tag} as git's: no argument lists, a name tags a ref (default branch's head), {@code -d} deletes. */
@Command(name = "tag", description = "List, create or delete tags",
    customSynopsis = {"strata tag", "strata tag <name> [<ref>] [-m <message>]", "strata tag -d <name>"})
final class TagCommand extends Verb {
  @Parameters(index = "0", arity = "0..1", paramLabel = "<name>") String name;

  @Parameters(index = "1", arity = "0..1", paramLabel = "<ref>", description = "What it names (default: the default branch)")
  String ref;

  @Option(names = {"-m", "--message"}, paramLabel = "<message>", description = "An annotated tag's message") String message;

  @Option(names = "-d", paramLabel = "<name>", description = "Delete this tag") String delete;

  @Override
  public Integer call() throws Exception {
    TagsApi tags = new TagsApi(client());
    if (delete != null) {
      tags.deleteTag(repository(), delete, null, null, Actors.user(env()), null, null, null, null, null);
      if (!out().printedAsJson(Map.of("deleted", delete))) {
        out().line("Deleted tag " + delete);
      }
      return ExitCodes.OK;
    }
    if (name != null) {
      TagDto tag = tags.createTag(repository(), new CreateTag().name(name).ref(branchOrDefault(ref)).message(message), null, null,
          Actors.user(env()), null, null, null, null, null);
      if (!out().printedAsJson(tag)) {
        out().line("Tagged " + Ids.shortId(tag.getCommit()) + " as " + tag.getName());
      }
      return ExitCodes.OK;
    }
    PageDtoTagDto page = tags.listTags(repository(), 1000, 0, null);
    if (!out().printedAsJson(page)) {
      out().table(List.of("TAG", "COMMIT", "MESSAGE"), page.getItems().stream().map(t -> List.of(t.getName(),
          Ids.shortId(t.getCommit()), t.getMessage() == null ? "" : t.getMessage())).toList());
    }
    return ExitCodes.OK;
  }
}
