package io.strata.promotion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strata.client.api.BranchesApi;
import io.strata.client.api.CommitsApi;
import io.strata.client.api.EventsApi;
import io.strata.client.api.PromotionApi;
import io.strata.client.model.CommitDto;
import io.strata.client.model.PromotionDto;
import io.strata.client.model.PromotionPolicyDocument;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The service killed (kill -9) at random points while it promotes, and restarted; and two instances at once. The
 * server's state is the only state, so neither loses a promotion nor lands one twice: every commit of the source
 * reaches the end of the pipeline, each request merges once (one merge commit on its target's first-parent line,
 * one {@code promotion.merged}), each merged request is verified once, and no request or preview is left open.
 * {@code -Dpromotion.kill.seed=N} replays another sequence of kill points.
 */
class PromotionServiceFaultIT {
  static final Duration WAIT = Duration.ofSeconds(180);

  private static String policy(String table) {
    return """
        {"version": 1, "protected_branches": ["staging", "production"],
         "checks": [
           {"name": "has_rows", "sql": "select count(*) from %1$s", "expect": {"min": 1}},
           {"name": "no_negative_amounts", "sql": "select id from %1$s where amount < 0", "expect": {"kind": "no_rows"}}],
         "paths": [
           {"source": "development", "target": "staging", "required_checks": ["has_rows", "no_negative_amounts"],
            "auto_merge": true, "tag": "staging-{seq}", "verify": {"checks": ["has_rows"], "rollback": "revert"}},
           {"source": "staging", "target": "production", "required_checks": ["no_negative_amounts"],
            "auto_merge": true, "tag": "production-{seq}"}]}
        """.formatted(table);
  }

  @Test
  void killedAtAnyPointAndRestartedItPromotesEveryCommitOnce() throws Exception {
    StrataFixture strata = StrataFixture.get();
    String repo = "kills";
    strata.repository(repo, "sales_kills", 50_000, "development", "staging", "production");
    setPolicy(strata, repo, policy("sales_kills"));
    long seed = Long.getLong("promotion.kill.seed", 42);
    Random random = new Random(seed);
    Path log = strata.dir.resolve("promotion-kills.log");
    int rounds = 8;
    for (int round = 0; round < rounds; round++) {
      strata.commitRow(repo, "development", "sales_kills", 100_000 + round, round + 1, "Order " + round);
      PromotionProcess service = PromotionProcess.start(log, strata.serviceEnv(Map.of(
          "STRATA_PROMOTION_REPOSITORIES", repo)));
      Thread.sleep(random.nextInt(1000)); // the service is following the feed: its pass is under way
      service.kill();
    }
    try (PromotionProcess service = PromotionProcess.start(log, strata.serviceEnv(Map.of(
        "STRATA_PROMOTION_REPOSITORIES", repo)))) {
      awaitPromoted(strata, repo, "sales_kills", rounds);
    }
    assertPromotedOnce(strata, repo);
  }

  @Test
  void twoInstancesAtOncePromoteEachRequestOnce() throws Exception {
    StrataFixture strata = StrataFixture.get();
    String repo = "twins";
    strata.repository(repo, "sales_twins", 20_000, "development", "staging", "production");
    setPolicy(strata, repo, policy("sales_twins"));
    Map<String, String> env = strata.serviceEnv(Map.of("STRATA_PROMOTION_REPOSITORIES", repo));
    int commits = 5;
    try (PromotionProcess a = PromotionProcess.start(strata.dir.resolve("promotion-twin-a.log"), env);
        PromotionProcess b = PromotionProcess.start(strata.dir.resolve("promotion-twin-b.log"), env)) {
      for (int i = 0; i < commits; i++) {
        strata.commitRow(repo, "development", "sales_twins", 100_000 + i, i + 1, "Order " + i);
        Thread.sleep(300L * i); // some while the last one is still on its way, some after
      }
      awaitPromoted(strata, repo, "sales_twins", commits);
      assertThat(a.log() + b.log()).doesNotContain("HTTP 500").doesNotContain("Exception");
    }
    assertPromotedOnce(strata, repo);
  }

  private static void setPolicy(StrataFixture strata, String repo, String json) throws Exception {
    PromotionPolicyDocument document = strata.admin.getObjectMapper().readValue(json, PromotionPolicyDocument.class);
    new PromotionApi(strata.admin).setPromotionPolicy(repo, document, "test", null, null, null, null, null, null, null,
        null);
  }

  /** Every row committed on development is in production, and nothing is still on its way. */
  private static void awaitPromoted(StrataFixture strata, String repo, String table, int rows) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      for (int i = 0; i < rows; i++) {
        assertThat(strata.amount(repo, table, "production", 100_000 + i)).as("row " + i + " in production")
            .isEqualTo((double) (i + 1));
      }
      List<PromotionDto> all = strata.promotions(repo);
      assertThat(all).as("requests still open").noneMatch(PipelineReconciler::isOpen);
      assertThat(all).filteredOn(p -> p.getTarget().equals("staging") && p.getState() == PromotionDto.StateEnum.MERGED)
          .as("merged into staging, verified").allMatch(p -> p.getVerification() != null);
    });
  }

  private static void assertPromotedOnce(StrataFixture strata, String repo) throws Exception {
    List<PromotionDto> all = strata.promotions(repo);
    for (String target : List.of("staging", "production")) {
      List<PromotionDto> merged = all.stream().filter(p -> p.getTarget().equals(target) && p.getMergeCommit() != null)
          .toList();
      assertThat(merged).as("merged into " + target).isNotEmpty();
      Set<String> sources = new HashSet<>();
      merged.forEach(p -> assertThat(sources.add(p.getSourceCommit())).as("source commit promoted twice: "
          + p.getSourceCommit()).isTrue());
      Set<String> mergeCommits = new HashSet<>(merged.stream().map(PromotionDto::getMergeCommit).toList());
      assertThat(promotionMerges(strata, repo, target)).as("promotion merge commits on " + target + "'s line")
          .containsExactlyInAnyOrderElementsOf(mergeCommits);
      merged.stream().filter(p -> target.equals("staging")).forEach(p -> assertThat(p.getVerification().getStatus()
          .getValue()).isEqualTo("passed"));
    }
    long mergedEvents = new EventsApi(strata.admin).listRepositoryEvents(repo, 0L, "io.strata.promotion.merged", null,
        1000, null).getItems().size();
    assertThat(mergedEvents).isEqualTo(all.stream().filter(p -> p.getMergeCommit() != null).count());
    long verifiedEvents = new EventsApi(strata.admin).listRepositoryEvents(repo, 0L, "io.strata.promotion.verified",
        null, 1000, null).getItems().size();
    assertThat(verifiedEvents).isEqualTo(all.stream().filter(p -> p.getVerification() != null).count());
    assertThat(new BranchesApi(strata.admin).listBranches(repo, 1000, 0, null).getItems())
        .as("preview branches left").noneMatch(b -> b.getName().startsWith("promotions/"));
  }

  /** The promotion merge commits on a branch's first-parent line (a preview's own merge is a second parent). */
  private static List<String> promotionMerges(StrataFixture strata, String repo, String branch) throws Exception {
    List<String> found = new ArrayList<>();
    CommitsApi commits = new CommitsApi(strata.admin);
    String id = strata.head(repo, branch);
    while (id != null) {
      CommitDto c = commits.getCommit(repo, id, null);
      if (c.getMessage().startsWith("Promote ")) {
        found.add(c.getId());
      }
      id = c.getParents() == null || c.getParents().isEmpty() ? null : c.getParents().get(0);
    }
    return found;
  }
}
