package io.strata.server.domain;

import static io.strata.server.domain.Guards.requireBranch;

import io.strata.events.StrataEvent;
import io.strata.events.TagCreated;
import io.strata.events.TagDeleted;
import io.strata.server.domain.Commands.CreateTag;
import io.strata.server.domain.Commands.DeleteTag;
import io.strata.server.domain.Commands.TagCommand;
import java.util.List;
import java.util.Map;

/** Tags: a tag names one commit, once; deleting one names the commit it named. Pure. */
public final class TagDecider {
  private TagDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, TagCommand command) {
    if (command instanceof CreateTag c) {
      if (state.tags().containsKey(c.name())) {
        throw new StrataException(ErrorCode.TagAlreadyExists, "tag '" + c.name() + "' already exists",
            Map.of("tag", c.name()));
      }
      String commit = c.commit() != null ? c.commit() : requireBranch(state, c.targetBranch()).head();
      return List.of(new TagCreated(c.name(), commit, c.message(), c.tagger()));
    }
    DeleteTag c = (DeleteTag) command;
    String commit = state.tags().get(c.name());
    if (commit == null) {
      throw new StrataException(ErrorCode.TagNotFound, "tag '" + c.name() + "' does not exist", Map.of("tag", c.name()));
    }
    return List.of(new TagDeleted(c.name(), commit));
  }
}
