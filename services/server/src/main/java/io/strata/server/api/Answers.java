package io.strata.server.api;

import io.strata.events.BranchCreated;
import io.strata.events.CommitCreated;
import io.strata.events.EventCodec;
import io.strata.events.RepositoryCreated;
import io.strata.events.StorageAdded;
import io.strata.events.TableTracked;
import io.strata.events.TagCreated;
import io.strata.server.api.Dtos.BranchDto;
import io.strata.server.api.Dtos.CommitDto;
import io.strata.server.api.Dtos.RepositoryDto;
import io.strata.server.api.Dtos.StorageDto;
import io.strata.server.api.Dtos.TableDto;
import io.strata.server.api.Dtos.TagDto;
import io.strata.server.commands.Answer;
import io.strata.server.domain.RepositoryState;

/**
 * The HTTP answers of commands, built from the events they appended: the API hands them to the
 * command handlers, so that commands know nothing of the wire format (the answer is also what an
 * Idempotency-Key replays).
 */
final class Answers {
  private Answers() {}

  static Answer repositoryCreated() {
    return (events, position, after, time) -> {
      RepositoryCreated created = (RepositoryCreated) events.get(0);
      CommitCreated root = (CommitCreated) events.get(1);
      return new Answer.Reply(201, new RepositoryDto(created.name(), created.description(), created.defaultBranch(),
          time, root.id(), position));
    };
  }

  static Answer branchCreated() {
    return (events, position, after, time) -> {
      BranchCreated e = (BranchCreated) events.get(0);
      return new Answer.Reply(201, new BranchDto(e.name(), e.head(), e.from(), e.isProtected(), false, time, time,
          null, position));
    };
  }

  static Answer branchProtection(String name) {
    return (events, position, after, time) -> {
      RepositoryState.Branch b = after.branch(name);
      return new Answer.Reply(200, new BranchDto(name, b.head(), null, b.isProtected(),
          name.equals(after.defaultBranch()), null, time, null, position));
    };
  }

  static Answer commitCreated() {
    return (events, position, after, time) -> {
      CommitCreated c = (CommitCreated) events.get(0);
      return new Answer.Reply(201, new CommitDto(c.id(), c.id().substring(0, 7), c.parents(), c.message(),
          c.author(), c.createdAt(), c.branch(), EventCodec.mapper().valueToTree(c.stats()),
          EventCodec.mapper().valueToTree(c.changes()), position));
    };
  }

  static Answer tagCreated() {
    return (events, position, after, time) -> {
      TagCreated t = (TagCreated) events.get(0);
      return new Answer.Reply(201, new TagDto(t.name(), t.commit(), t.message(), t.tagger(), time, position));
    };
  }

  static Answer storageAdded() {
    return (events, position, after, time) ->
        new Answer.Reply(201, StorageDto.of((StorageAdded) events.get(0), time, position));
  }

  /** A tracked table: its facts and the commit that recorded its content. */
  static Answer tableTracked() {
    return (events, position, after, time) -> new Answer.Reply(201,
        TableDto.of((TableTracked) events.get(0), time, ((CommitCreated) events.get(1)).id(), position));
  }
}
