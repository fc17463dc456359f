package io.strata.server.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.events.BranchPatterns;
import io.strata.events.Author;
import io.strata.events.EventCodec;
import io.strata.events.PromotionGateOverridden;
import io.strata.events.PromotionPolicy;
import io.strata.events.PromotionPolicySet;
import io.strata.events.StrataEvent;
import io.strata.server.domain.Commands.Command;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Promotion policies read from documents (every error with its path, defaults filled in, equal policies with equal
 * digests), branch patterns, and the gate's decision for each kind of command, without a database.
 */
class PromotionPoliciesTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final Author ADA = new Author("Ada", "ada@example.com");

  private static JsonNode json(String text) throws Exception {
    return EventCodec.mapper().readTree(text.replace('\'', '"'));
  }

  @Test
  void aDocumentWithDefaultsLeftOutReadsAsItsNormalisedPolicy() throws Exception {
    PromotionPolicies.Read read = PromotionPolicies.read(json("""
        {'version': 1, 'protected_branches': ['production', 'release/*'],
         'paths': [{'source': 'staging', 'target': 'production', 'required_checks': ['orders', 'ci/build'],
                    'approvals': {'required': 1, 'roles': ['admin']}, 'tag': 'prod-{date}-{seq}',
                    'verify': {'checks': ['orders']}}],
         'checks': [{'name': 'orders', 'sql': 'select count(*) from orders;', 'expect': {'min': 1}},
                    {'name': 'no-nulls', 'sql': 'with x as (select 1) select * from x', 'expect': 'no_rows'}]}"""));
    assertThat(read.problems()).isEmpty();
    PromotionPolicy p = read.policy();
    assertThat(p.directChanges()).isEqualTo("refuse");
    PromotionPolicy.Path path = p.paths().get(0);
    assertThat(path.autoMerge()).isFalse();
    assertThat(path.conflictStrategy()).isEqualTo("fail");
    assertThat(path.schemaStrategy()).isNull();
    assertThat(path.approvals()).isEqualTo(new PromotionPolicy.Approvals(1, List.of("admin"), List.of()));
    assertThat(path.verify()).isEqualTo(new PromotionPolicy.Verify(List.of("orders"), "revert"));
    assertThat(p.checks().get(0)).isEqualTo(new PromotionPolicy.Check("orders", "select count(*) from orders;",
        new PromotionPolicy.Expect("bounds", BigDecimal.ONE, null), 30, 100));
    assertThat(p.checks().get(1).expect()).isEqualTo(new PromotionPolicy.Expect("no_rows", null, null));
    // the same policy written out in full has the same digest; another has another
    PromotionPolicies.Read spelled = PromotionPolicies.read(EventCodec.mapper().valueToTree(p));
    assertThat(spelled.problems()).isEmpty();
    assertThat(spelled.digest()).isEqualTo(read.digest()).hasSize(64);
    assertThat(PromotionPolicies.read(json("{'version': 1, 'direct_changes': 'allow'}")).digest())
        .isNotEqualTo(read.digest());
  }

  @Test
  void everyErrorOfADocumentIsReportedWithItsPath() throws Exception {
    PromotionPolicies.Read read = PromotionPolicies.read(json("""
        {'version': 2, 'colour': 'blue', 'protected_branches': ['ok', 'bad..name', 'ok'],
         'direct_changes': 'sometimes',
         'paths': [{'source': 'a', 'target': 'a'},
                   {'source': 'dev', 'target': 'prod', 'required_checks': ['missing'], 'auto_merge': 'yes',
                    'approvals': {'required': 11}, 'conflict_strategy': 'merge', 'tag': 'v{nope}',
                    'verify': {'rollback': 'panic'}},
                   {'source': 'dev', 'target': 'prod'},
                   {'target': 'x'}, 7],
         'checks': [{'name': 'c', 'sql': 'delete from orders', 'expect': {'min': 5, 'max': 1},
                     'timeout_seconds': 0, 'max_rows': 5000},
                    {'name': 'c', 'sql': 'select 1', 'expect': 'some_rows'},
                    {'name': 'has/slash', 'sql': 'select 1', 'expect': {}}]}"""));
    assertThat(read.valid()).isFalse();
    assertThat(read.policy()).isNull();
    assertThat(read.problems()).extracting(PromotionPolicies.Problem::path).containsExactlyInAnyOrder(
        "$.colour", "$.version", "$.protected_branches[1]", "$.protected_branches[2]", "$.direct_changes",
        "$.checks[0].sql", "$.checks[0].expect.max", "$.checks[0].timeout_seconds", "$.checks[0].max_rows",
        "$.checks[1].expect", "$.checks[1].name", "$.checks[2].name", "$.checks[2].expect",
        "$.paths[0].target", "$.paths[1].required_checks[0]", "$.paths[1].approvals.required",
        "$.paths[1].auto_merge", "$.paths[1].conflict_strategy", "$.paths[1].tag", "$.paths[1].verify.checks",
        "$.paths[1].verify.rollback", "$.paths[2]", "$.paths[3].source", "$.paths[4]");
    assertThat(PromotionPolicies.read(json("[1, 2]")).problems())
        .containsExactly(new PromotionPolicies.Problem("$", "must be an object (a JSON or YAML mapping)"));
    assertThat(PromotionPolicies.read(json("{}")).problems()).extracting(PromotionPolicies.Problem::path)
        .containsExactly("$.version");
  }

  @Test
  void pathsThatAutoMergeInACircleAreRefusedAndOthersMayLoop() throws Exception {
    String loop = """
        {'version': 1, 'paths': [{'source': 'dev', 'target': 'staging', 'auto_merge': true},
                                 {'source': 'staging', 'target': 'prod', 'auto_merge': true},
                                 {'source': 'prod', 'target': 'dev', 'auto_merge': %s}]}""";
    assertThat(PromotionPolicies.read(json(loop.formatted("true"))).problems())
        .singleElement().satisfies(p -> {
          assertThat(p.path()).isEqualTo("$.paths");
          assertThat(p.message()).contains("dev -> staging -> prod -> dev");
        });
    assertThat(PromotionPolicies.read(json(loop.formatted("false"))).problems()).isEmpty();
  }

  @Test
  void approvalsSayWhoMayApprove() throws Exception {
    assertThat(PromotionPolicies.read(json("{'version': 1, 'paths': [{'source': 'a', 'target': 'b',"
        + " 'approvals': {'required': 2}}]}")).problems()).extracting(PromotionPolicies.Problem::path)
        .containsExactly("$.paths[0].approvals");
    assertThat(PromotionPolicies.read(json("{'version': 1, 'paths': [{'source': 'a', 'target': 'b',"
        + " 'approvals': {'required': 2, 'roles': ['owner'], 'actors': ['token:bad..name', 'alice']}}]}")).problems())
        .extracting(PromotionPolicies.Problem::path)
        .containsExactlyInAnyOrder("$.paths[0].approvals.roles[0]", "$.paths[0].approvals.actors[0]");
  }

  @Test
  void branchPatternsMatchWithinOrAcrossSlashes() {
    assertThat(BranchPatterns.matches("release/*", "release/1.2")).isTrue();
    assertThat(BranchPatterns.matches("release/*", "release/1.2/hotfix")).isFalse();
    assertThat(BranchPatterns.matches("release/**", "release/1.2/hotfix")).isTrue();
    assertThat(BranchPatterns.matches("prod", "prod")).isTrue();
    assertThat(BranchPatterns.matches("prod", "production")).isFalse();
    assertThat(BranchPatterns.matches("team.a-*", "team.a-x")).isTrue();
    assertThat(BranchPatterns.matches("team.a-*", "teamXa-x")).as("dots are no wildcards").isFalse();
  }

  @Test
  void theGateRefusesChangesToAGatedBranchAndRecordsAnOverride() throws Exception {
    RepositoryState state = new RepositoryState("repo", 0);
    long[] version = {0};
    java.util.function.Function<Command, List<StrataEvent>> decide = c -> {
      List<StrataEvent> events = PromotionGate.admit(state, c, RepositoryDecider.decide(state, c, NOW), null);
      events.forEach(e -> state.evolve(e, ++version[0], version[0], NOW));
      return events;
    };
    decide.apply(new Commands.CreateRepository("repo", null, "main", ADA));
    decide.apply(new Commands.CreateBranch("production", "main", null, null, false));
    decide.apply(new Commands.CreateBranch("dev", "main", null, null, false));
    Command commit = new Commands.CreateCommit("production", "fix", ADA, null, true, List.of(), List.of(), null);
    // no policy: nothing is gated
    assertThat(PromotionGate.gated(state, "production")).isFalse();

    PromotionPolicies.Read read = PromotionPolicies.read(json("{'version': 1, 'protected_branches': ['prod*']}"));
    List<StrataEvent> set = decide.apply(new Commands.SetPromotionPolicy(read.policy(), read.digest(), null));
    assertThat(set).singleElement().isInstanceOf(PromotionPolicySet.class);
    assertThat(decide.apply(new Commands.SetPromotionPolicy(read.policy(), read.digest(), "again")))
        .as("the policy in force again records nothing").isEmpty();
    assertThat(PromotionGate.gated(state, "production")).isTrue();
    assertThat(PromotionGate.gated(state, "dev")).isFalse();

    assertThatThrownBy(() -> decide.apply(commit)).isInstanceOfSatisfying(StrataException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.BranchGated);
      assertThat(e.details()).containsEntry("branch", "production").containsEntry("operation", "commit");
    });
    assertThat(decide.apply(new Commands.CreateCommit("dev", "fine", ADA, null, true, List.of(), List.of(), null)))
        .isNotEmpty();
    // the protected flag gates a branch the patterns do not name
    decide.apply(new Commands.SetBranchProtection("dev", true));
    assertThat(PromotionGate.gated(state, "dev")).isTrue();
    assertThatThrownBy(() -> decide.apply(new Commands.SetBranchProtection("dev", false)))
        .hasMessageContaining("promotion policy");

    List<StrataEvent> overridden = PromotionGate.admit(state, commit, RepositoryDecider.decide(state, commit, NOW),
        "incident OPS-42");
    assertThat(overridden.get(0)).isEqualTo(new PromotionGateOverridden("production", "commit", "incident OPS-42"));
    assertThat(overridden).hasSize(2);
    // a command that changes nothing passes, and records no override
    assertThat(PromotionGate.admit(state, new Commands.MergeUpToDate("production"), List.of(), "why")).isEmpty();

    PromotionPolicies.Read allow = PromotionPolicies.read(json("{'version': 1, 'protected_branches': ['prod*'],"
        + " 'direct_changes': 'allow'}"));
    decide.apply(new Commands.SetPromotionPolicy(allow.policy(), allow.digest(), null));
    assertThat(PromotionGate.gated(state, "production")).as("direct changes allowed").isFalse();
    assertThat(decide.apply(commit)).isNotEmpty();
  }

  @Test
  void aRequestRecordsAResultOnceAndIsNotRejectedWhileItsMergeMayBeLanding() throws Exception {
    RepositoryState state = new RepositoryState("repo", 0);
    long[] version = {0};
    java.util.function.Function<Command, List<StrataEvent>> decide = c -> {
      List<StrataEvent> events = PromotionGate.admit(state, c, RepositoryDecider.decide(state, c, NOW), null);
      events.forEach(e -> state.evolve(e, ++version[0], version[0], NOW));
      return events;
    };
    decide.apply(new Commands.CreateRepository("repo", null, "main", ADA));
    decide.apply(new Commands.CreateBranch("dev", "main", null, null, false));
    decide.apply(new Commands.CreateCommit("dev", "work", ADA, null, true, List.of(), List.of(), null));
    PromotionPolicies.Read read = PromotionPolicies.read(json("{'version': 1, 'paths': [{'source': 'dev',"
        + " 'target': 'main', 'required_checks': ['ci/build']}]}"));
    decide.apply(new Commands.SetPromotionPolicy(read.policy(), read.digest(), null));
    decide.apply(new PromotionCommand.OpenPromotion("dev", "main"));
    String dev = state.branch("dev").head();
    String main = state.branch("main").head();
    decide.apply(new PromotionCommand.RecordEvaluation(1, dev, main, dev, 0));
    io.strata.events.CheckRunCompleted run = new io.strata.events.CheckRunCompleted(1, "ci/build", dev, main,
        "passed", "green", List.of(), 0, true);
    assertThat(decide.apply(new PromotionCommand.RecordCheckRun(1, run))).hasSize(1);
    assertThat(decide.apply(new PromotionCommand.RecordCheckRun(1, run))).as("the same result again").isEmpty();
    assertThat(PromotionRequests.state(state.promotions().get(1), PromotionRequests.path(read.policy(), "dev", "main")))
        .isEqualTo(PromotionRequests.APPROVED);
    // main moves (its merge landing, or anything else): an approved request is not rejected until evaluated again
    decide.apply(new Commands.CreateCommit("main", "moved", ADA, null, true, List.of(), List.of(), null));
    assertThatThrownBy(() -> decide.apply(new PromotionCommand.RejectPromotion(1, "no")))
        .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PromotionNotReady));
    decide.apply(new PromotionCommand.RecordEvaluation(1, dev, state.branch("main").head(), dev, 0));
    assertThat(decide.apply(new PromotionCommand.RejectPromotion(1, "no"))).hasSize(1);
    // an approval names the pair its approver reviewed
    assertThatThrownBy(() -> decide.apply(new PromotionCommand.ApprovePromotion(1, dev, main, "alice", "admin", null)))
        .isInstanceOf(StrataException.class);
  }

  @Test
  void everyKindOfCommandHasTheGatesAnswer() {
    // the sealed hierarchy, walked: a command class the gate has no answer for fails here before it ships
    List<Class<?>> kinds = new java.util.ArrayList<>();
    java.util.Deque<Class<?>> todo = new java.util.ArrayDeque<>(List.of(Command.class));
    while (!todo.isEmpty()) {
      Class<?> c = todo.pop();
      if (c.isSealed()) {
        todo.addAll(List.of(c.getPermittedSubclasses()));
      } else {
        kinds.add(c);
      }
    }
    assertThat(kinds).hasSizeGreaterThan(30);
    for (Class<?> kind : kinds) {
      boolean passes = PromotionGate.PASSING.stream().anyMatch(k -> k.isAssignableFrom(kind));
      boolean changes = PromotionGate.CHANGING.stream().anyMatch(k -> k.isAssignableFrom(kind));
      assertThat(passes ^ changes).as(kind.getName() + ": the gate passes it, or names the branch it changes").isTrue();
    }
  }
}
