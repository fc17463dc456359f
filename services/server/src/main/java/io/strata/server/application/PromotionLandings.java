package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.projections.graph.CommitGraph;
import io.strata.server.domain.Names;
import io.strata.server.domain.PromotionCommand;
import io.strata.server.domain.PromotionRequests;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A promotion request's merge once it landed: the tag the path's template names, the merge recorded (its preview
 * branch deleted), and a landed merge the server stopped before recording, found again. Part of {@link
 * PromotionCommands}.
 */
final class PromotionLandings {
  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss").withZone(ZoneOffset.UTC);

  private final CommandProcessor processor;
  private final TagCommands tags;
  private final CommitGraph graph;
  private final PromotionPreviews previews;

  PromotionLandings(CommandProcessor processor, TagCommands tags, CommitGraph graph, PromotionPreviews previews) {
    this.processor = processor;
    this.tags = tags;
    this.graph = graph;
    this.previews = previews;
  }

  /**
   * Whether the target's head is this request's merge, landed but not recorded (the server stopped between the
   * merge and its record): a commit whose parents are the evaluated head and the preview's commit, while the
   * request is approved for them. The next evaluation (or merge) records it as the merge would have.
   */
  Uni<Boolean> landedUnrecorded(String repo, PromotionCommands.View v) {
    PromotionRequests.Request r = v.request();
    if (r.previewCommit() == null || r.targetHead() == null || v.targetHead() == null
        || v.targetHead().equals(r.targetHead()) || !PromotionRequests.APPROVED.equals(v.state())) {
      return Uni.createFrom().item(false);
    }
    return graph.commit(repo, v.targetHead())
        .map(c -> c.map(x -> x.parents().equals(java.util.List.of(r.targetHead(), r.previewCommit()))).orElse(false));
  }

  /** The tag a landed merge is given: the path's template, left out when the name is taken meanwhile. */
  static String landedTag(PromotionCommands.View v, RepositoryState s) {
    String template = v.path() == null ? null : v.path().tag();
    String name = template == null ? null : tagName(template, v.request(), v.request().previewCommit(), s);
    return name == null || s.tags().containsKey(name) ? null : name;
  }

  /**
   * A merge of the request that landed as {@code commit}: tagged {@code tag} (null: none; a tag taken meanwhile is
   * left out, the merge is recorded whatever happens to it), recorded merged, its preview branch deleted.
   */
  Uni<PromotionCommands.View> recordLanded(String repo, int number, PromotionRequests.Request r, String commit,
      String tag, CommandContext ctx) {
    Uni<String> tagged = tag == null ? Uni.createFrom().nullItem()
        : tags.createTag(repo, tag, commit, "Promotion #" + number + ": " + r.source() + " into " + r.target(),
            new Author("Strata promotions", "promotions@strata.local"), ctx.issued(false), Answer.NONE)
            .map(x -> tag)
            .onFailure(StrataException.class).recoverWithNull();
    return tagged.chain(name -> processor.execute(repo, new PromotionCommand.RecordPromotionMerged(number, commit, name),
            ctx, Answer.NONE))
        .chain(() -> processor.state(repo))
        .chain(after -> previews.clearPreview(repo, number, r.previewBranch(), after, ctx))
        .chain(() -> processor.state(repo)).map(after -> PromotionCommands.view(after, number));
  }

  /**
   * The path's tag template filled in for a request ({@code {commit}}: the preview's, what was checked; {@code
   * {seq}}: one more than the requests into the target that landed, merged or rolled back since).
   */
  static String tagName(String template, PromotionRequests.Request r, String commit, RepositoryState s) {
    Instant now = Instant.now();
    long merged = s.promotions().all().stream().filter(x -> x.mergeCommit() != null
        && x.target().equals(r.target())).count();
    String name = template.replace("{source}", r.source()).replace("{target}", r.target())
        .replace("{date}", DATE.format(now)).replace("{time}", TIME.format(now))
        .replace("{seq}", String.valueOf(merged + 1)).replace("{commit}", commit.substring(0, 12));
    return Names.tag(name);
  }
}
