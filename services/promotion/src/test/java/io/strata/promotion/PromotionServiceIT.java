package io.strata.promotion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strata.client.api.EventsApi;
import io.strata.client.api.PromotionApi;
import io.strata.client.model.ApprovalInput;
import io.strata.client.model.CloudEvent;
import io.strata.client.model.PromotionDto;
import io.strata.client.model.PromotionPolicyDto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged promotion service against the packaged server: the policy comes from a file (the GitOps loop),
 * data moves development → staging → production as the policy says — a failing check blocks, a fix passes and is
 * merged and tagged by itself, a person approves production, a bad promotion is caught by verification and rolled
 * back — and every step is the service's, recorded with its token.
 */
class PromotionServiceIT {
  static final Duration WAIT = Duration.ofSeconds(90);
  static StrataFixture strata;
  static Path policies;
  static PromotionProcess service;

  static final String POLICY = """
      version: 1
      protected_branches: [staging, production]
      direct_changes: refuse
      checks:
        - name: no_negative_amounts
          sql: select id, amount from sales_flow where amount < 0
          expect: no_rows
        - name: has_rows
          sql: select count(*) from sales_flow
          expect: {min: 1}
        - name: no_huge_amounts
          sql: select id, amount from sales_flow where amount > 100000
          expect: no_rows
      paths:
        - source: development
          target: staging
          required_checks: [no_negative_amounts, has_rows]
          auto_merge: true
          tag: "staging-{seq}"
        - source: staging
          target: production
          required_checks: [no_negative_amounts]
          approvals: {required: 1, roles: [admin]}
          auto_merge: true
          tag: "release-{seq}"
          verify: {checks: [no_huge_amounts], rollback: revert}
      """;

  @BeforeAll
  static void start() throws Exception {
    strata = StrataFixture.get();
    strata.repository("flow", "sales_flow", 1000, "development", "staging", "production");
    policies = Files.createDirectories(strata.dir.resolve("policies-flow"));
    Files.writeString(policies.resolve("flow.yaml"), POLICY);
    service = PromotionProcess.start(strata.dir.resolve("promotion-flow.log"), strata.serviceEnv(Map.of(
        "STRATA_PROMOTION_POLICY_DIR", policies.toString(), "STRATA_PROMOTION_POLICY_POLL", "200ms",
        "STRATA_PROMOTION_REPOSITORIES", "flow")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) {
      service.close();
    }
  }

  @Test
  void dataMovesAlongThePipelineAsThePolicySays() throws Exception {
    PromotionApi promotions = new PromotionApi(strata.admin);
    // the file is the policy: applied by the service, with its origin and the service's token as the actor
    await().atMost(WAIT).until(() -> policy() != null);
    PromotionPolicyDto applied = policy();
    assertThat(applied.getOrigin()).startsWith("file:").contains("flow.yaml");
    assertThat(applied.getSetBy()).contains("promotion-bot");

    // a bad change on development: its check fails on the preview, nothing reaches staging
    String stagingBefore = strata.head("flow", "staging");
    String bad = strata.commitRow("flow", "development", "sales_flow", 2001, -5, "A refund booked as a sale");
    PromotionDto failing = await().atMost(WAIT).until(() -> latest("development", "staging"),
        p -> p != null && bad.equals(p.getSourceCommit()) && p.getState() == PromotionDto.StateEnum.FAILING);
    assertThat(failing.getChecks()).anySatisfy(c -> {
      assertThat(c.getName()).isEqualTo("no_negative_amounts");
      assertThat(c.getStatus().getValue()).isEqualTo("failed");
    });
    assertThat(strata.head("flow", "staging")).isEqualTo(stagingBefore);

    // the fix: the same request evaluated again at the new commit, its checks pass, merged and tagged by itself
    String fixed = strata.commitRow("flow", "development", "sales_flow", 2001, 5, "Fix the refund's sign");
    PromotionDto staged = await().atMost(WAIT).until(() -> promotions.getPromotion("flow",
        String.valueOf(failing.getNumber()), null), p -> p.getState() == PromotionDto.StateEnum.MERGED);
    assertThat(staged.getSourceCommit()).isEqualTo(fixed);
    assertThat(staged.getTag()).isEqualTo("staging-1");
    assertThat(strata.head("flow", "staging")).isEqualTo(staged.getMergeCommit());
    assertThat(strata.amount("flow", "sales_flow", "staging", 2001)).isEqualTo(5.0);

    // staging moved: a request into production, passing, waiting for a person's approval
    PromotionDto toProduction = await().atMost(WAIT).until(() -> latest("staging", "production"),
        p -> p != null && p.getState() == PromotionDto.StateEnum.PASSING);
    assertThat(strata.amount("flow", "sales_flow", "production", 2001)).isNull();
    promotions.approvePromotion("flow", String.valueOf(toProduction.getNumber()), new ApprovalInput()
        .sourceCommit(toProduction.getSourceCommit()).targetHead(toProduction.getTargetHead()).comment("looks right"),
        null, null, null, null, null, null);
    PromotionDto released = await().atMost(WAIT).until(() -> promotions.getPromotion("flow",
        String.valueOf(toProduction.getNumber()), null), p -> p.getState() == PromotionDto.StateEnum.MERGED
        && p.getVerification() != null);
    assertThat(released.getTag()).isEqualTo("release-1");
    assertThat(released.getVerification().getStatus().getValue()).isEqualTo("passed");
    assertThat(strata.amount("flow", "sales_flow", "production", 2001)).isEqualTo(5.0);

    // a bad promotion: its checks pass, but verification on production fails and the service's verify reverts it
    strata.commitRow("flow", "development", "sales_flow", 2002, 250000, "A very large order");
    PromotionDto next = await().atMost(WAIT).until(() -> latest("staging", "production"),
        p -> p != null && p.getNumber() > toProduction.getNumber() && p.getState() == PromotionDto.StateEnum.PASSING);
    promotions.approvePromotion("flow", String.valueOf(next.getNumber()), new ApprovalInput()
        .sourceCommit(next.getSourceCommit()).targetHead(next.getTargetHead()), null, null, null, null, null, null);
    PromotionDto rolledBack = await().atMost(WAIT).until(() -> promotions.getPromotion("flow",
        String.valueOf(next.getNumber()), null), p -> p.getState() == PromotionDto.StateEnum.ROLLED_BACK);
    assertThat(rolledBack.getRevertCommit()).isEqualTo(strata.head("flow", "production"));
    assertThat(strata.amount("flow", "sales_flow", "production", 2002)).isNull();
    assertThat(strata.amount("flow", "sales_flow", "production", 2001)).isEqualTo(5.0);

    // every step is in the feed, and the service's steps carry its token
    List<CloudEvent> events = new EventsApi(strata.admin).listRepositoryEvents("flow", 0L,
        "io.strata.promotion.opened,io.strata.check_run.completed,io.strata.promotion.merged,"
            + "io.strata.promotion.verified,io.strata.promotion.rolled_back", null, 1000, null).getItems();
    assertThat(events).extracting(CloudEvent::getType).contains("io.strata.promotion.opened.v1",
        "io.strata.check_run.completed.v1", "io.strata.promotion.merged.v1", "io.strata.promotion.rolled_back.v1");
    assertThat(events).allSatisfy(e -> assertThat(String.valueOf(e.getActor())).contains("promotion-bot"));
    // exactly one merge per request: two merged into staging, two into production (one rolled back)
    assertThat(strata.promotions("flow")).filteredOn(p -> p.getMergeCommit() != null).hasSize(4);

    // and in the service's metrics: what it did, its passes, the feed it follows; no repository named
    String scrape = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + service.port + "/q/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertThat(scrape).containsPattern("strata_promotion_steps_total\\{outcome=\"done\",step=\"merge\"\\} [4-9]")
        .containsPattern("strata_promotion_steps_total\\{outcome=\"done\",step=\"verify\"\\} [1-9]")
        .containsPattern("strata_promotion_steps_total\\{outcome=\"done\",step=\"open\"\\} [1-9]")
        .containsPattern("strata_promotion_passes_total\\{outcome=\"done\"\\} [1-9]")
        .containsPattern("strata_promotion_pass_seconds_count [1-9]")
        .containsPattern("strata_promotion_feed_connected 1")
        .doesNotContain("\"flow\"");
  }

  @Test
  void aPolicyFileTheServerRefusesLeavesThePolicyInForce() throws Exception {
    await().atMost(WAIT).until(() -> policy() != null);
    String digest = policy().getDigest();
    Files.writeString(policies.resolve("flow.yaml"), POLICY.replace("auto_merge: true", "auto_merg: true"));
    await().atMost(WAIT).until(() -> service.log().contains("is refused, the policy in force stays"));
    assertThat(service.log()).contains("auto_merg");
    assertThat(policy().getDigest()).isEqualTo(digest);
    Files.writeString(policies.resolve("flow.yaml"), POLICY);
    Thread.sleep(1000);
    assertThat(policy().getDigest()).isEqualTo(digest);
  }

  private static PromotionPolicyDto policy() throws Exception {
    try {
      return new PromotionApi(strata.admin).getPromotionPolicy("flow", null);
    } catch (io.strata.client.ApiException e) {
      if (e.getCode() == 404) {
        return null;
      }
      throw e;
    }
  }

  private static PromotionDto latest(String source, String target) throws Exception {
    return strata.promotions("flow").stream().filter(p -> p.getSource().equals(source) && p.getTarget().equals(target))
        .findFirst().orElse(null);
  }
}
