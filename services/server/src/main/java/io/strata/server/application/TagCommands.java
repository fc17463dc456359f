package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.server.domain.Commands;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.StrataException;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Creating and deleting tags: a tag names the commit its ref resolves to when it is made. */
@ApplicationScoped
public class TagCommands {
  private final CommandProcessor processor;
  private final Existing existing;
  private final RefResolver resolver;

  @Inject
  public TagCommands(CommandProcessor processor, Existing existing, RefResolver resolver) {
    this.processor = processor;
    this.existing = existing;
    this.resolver = resolver;
  }

  @Permits(Permission.WRITE)
  public Uni<CommandResponse> createTag(
      String repository, String name, String ref, String message, Author tagger, CommandContext ctx, Answer answer) {
    Names.tag(name);
    if (ref == null || ref.isBlank()) {
      throw StrataException.invalid("ref", "is required");
    }
    Names.text("message", message, 65536, false);
    return existing.repository(Names.existingRepository(repository))
        .chain(() -> processor.caughtUp(repository))
        .chain(() -> resolver.resolve(repository, ref))
        .map(r -> r.isPlainBranch()
            ? new Commands.CreateTag(name, r.branch(), null, message, tagger)
            : new Commands.CreateTag(name, null, r.commit(), message, tagger))
        .chain(c -> processor.execute(repository, c, ctx, answer));
  }

  @Permits(Permission.WRITE)
  public Uni<CommandResponse> deleteTag(String repository, String name, CommandContext ctx, Answer answer) {
    return processor.execute(Names.existingRepository(repository), new Commands.DeleteTag(name), ctx, answer);
  }
}
