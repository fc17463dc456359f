package io.strata.server.reactors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.TagCreated;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.refs.RefRows.TagRow;
import io.strata.server.TestDatabaseResource;
import io.strata.server.application.Actor;
import io.strata.server.application.Answer;
import io.strata.server.application.CommandContext;
import io.strata.server.application.CommandResponse;
import io.strata.server.application.RepositoryCommands;
import io.strata.server.application.TagCommands;
import io.strata.server.auth.Grants;
import io.strata.server.auth.Role;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Anything in process can issue commands: a reactor-like bean tags a branch's head through the same
 * application service the REST layer calls, as a system actor with the grants it was given, and the
 * service checks them as it checks a token's: refused without the permission, the repository hidden
 * from an actor not granted it, nothing appended either way.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class InProcessCommandsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A stand-in for a reactor (or the promotion work): tags a branch's head as {@code reactor:release-tagger}. */
  @ApplicationScoped
  static class ReleaseTagger {
    @Inject TagCommands tags;

    Uni<CommandResponse> tag(String repository, String branch, String name, Grants grants) {
      CommandContext ctx = new CommandContext(Actor.system("reactor:release-tagger", grants), null, null, null,
          UUID.randomUUID().toString(), false);
      return tags.createTag(repository, name, branch, "released by the tagger",
          new Author("release-tagger", "tagger@strata.invalid"), ctx,
          (events, position, after, time) -> new Answer.Reply(201, ((TagCreated) events.get(0)).commit()));
    }
  }

  @Inject ReleaseTagger tagger;
  @Inject RepositoryCommands repositories;
  @Inject RefQueries refs;
  @Inject Pool pool;

  @Test
  void aReactorTagsThroughTheApplicationServiceWithASystemActorAndIsRefusedWithoutThePermission() {
    String repo = "inproc-" + UUID.randomUUID().toString().substring(0, 8);
    Actor setup = Actor.system("test:setup", Grants.UNRESTRICTED);
    Answer none = (events, position, after, time) -> new Answer.Reply(201, null);
    // creating a repository needs a server administrator: a writer of every repository may not
    assertThatThrownBy(() -> repositories.createRepository(repo, null, null, new Author("s", "s@x.invalid"),
            context(Actor.system("test:writer", new Grants(Role.WRITER, List.of(Grants.ALL)))), none)
        .await().atMost(WAIT))
        .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.Forbidden));
    repositories.createRepository(repo, null, null, new Author("s", "s@x.invalid"), context(setup), none)
        .await().atMost(WAIT);
    long before = events(repo);

    // a reader of the repository may not tag; one granted another repository does not even see it
    assertThatThrownBy(() -> tagger.tag(repo, "main", "v0", new Grants(Role.READER, List.of(repo)))
        .await().atMost(WAIT))
        .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.Forbidden));
    assertThatThrownBy(() -> tagger.tag(repo, "main", "v0", new Grants(Role.ADMIN, List.of("elsewhere")))
        .await().atMost(WAIT))
        .isInstanceOfSatisfying(StrataException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.RepositoryNotFound));
    assertThatThrownBy(() -> tagger.tag(repo, "main", "v0", Grants.NONE).await().atMost(WAIT))
        .isInstanceOf(StrataException.class);
    assertThat(events(repo)).as("a refused command appends nothing").isEqualTo(before);
    assertThat(tag(repo, "v0")).isEmpty();

    // a writer of the repository tags main's head; the event names the reactor as its actor
    CommandResponse tagged = tagger.tag(repo, "main", "v1", new Grants(Role.WRITER, List.of(repo)))
        .await().atMost(WAIT);
    assertThat(tagged.version()).isPositive();
    TagRow v1 = tag(repo, "v1").orElseThrow();
    assertThat(tagged.body()).isEqualTo("\"" + v1.commit() + "\"");
    assertThat(v1.message()).isEqualTo("released by the tagger");
    assertThat(rows("select actor from strata_meta.events where stream_id like '%" + repo + "%' and type like"
        + " '%tag.created%'")).containsExactly("reactor:release-tagger");
    assertThat(events(repo)).isEqualTo(before + 1);
  }

  private static CommandContext context(Actor actor) {
    return new CommandContext(actor, null, null, null, UUID.randomUUID().toString(), false);
  }

  private Optional<TagRow> tag(String repo, String name) {
    return refs.tag(repo, name).await().atMost(WAIT);
  }

  private long events(String repo) {
    return pool.query("select count(*) from strata_meta.events where stream_id like '%" + repo + "%'").execute()
        .await().atMost(WAIT).iterator().next().getLong(0);
  }

  private List<String> rows(String query) {
    return pool.query(query).execute().await().atMost(WAIT).stream().map(r -> r.getString(0)).toList();
  }
}
