package io.strata.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.client.model.CheckStandingDto;
import io.strata.client.model.PolicyPathDto;
import io.strata.client.model.PolicyVerifyDto;
import io.strata.client.model.PromotionDto;
import io.strata.client.model.VerificationDto;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the service does next for a request, for every state the server answers. */
class NextStepTest {
  private static final String HEAD = "a".repeat(64);
  private static final String MERGE = "b".repeat(64);

  private static PromotionDto request(PromotionDto.StateEnum state) {
    return new PromotionDto().number(1).source("dev").target("main").state(state).stale(false).sourceCommit(HEAD)
        .targetHead(HEAD).previewCommit("c".repeat(64)).checks(List.of());
  }

  private static CheckStandingDto check(String name, boolean external, CheckStandingDto.StatusEnum status) {
    return new CheckStandingDto().name(name).external(external).status(status);
  }

  private static PolicyPathDto path(boolean autoMerge, boolean verifies) {
    PolicyPathDto p = new PolicyPathDto().source("dev").target("main").autoMerge(autoMerge);
    return verifies ? p.verify(new PolicyVerifyDto().checks(List.of("rows")).rollback(PolicyVerifyDto.RollbackEnum.REVERT))
        : p;
  }

  @Test
  void aStaleRequestIsEvaluatedAgainFirst() {
    PromotionDto r = request(PromotionDto.StateEnum.APPROVED).stale(true);
    assertThat(NextStep.of(r, path(true, false), HEAD)).isEqualTo(NextStep.EVALUATE);
    assertThat(NextStep.of(request(PromotionDto.StateEnum.FAILING).stale(true), path(false, false), HEAD))
        .isEqualTo(NextStep.EVALUATE);
  }

  @Test
  void pendingSqlChecksRunButExternalOnesAreWaitedFor() {
    PromotionDto sql = request(PromotionDto.StateEnum.OPEN).checks(List.of(check("rows", false,
        CheckStandingDto.StatusEnum.PENDING)));
    assertThat(NextStep.of(sql, path(true, false), HEAD)).isEqualTo(NextStep.RUN_CHECKS);
    PromotionDto external = request(PromotionDto.StateEnum.OPEN).checks(List.of(check("rows", false,
        CheckStandingDto.StatusEnum.PASSED), check("ci/build", true, CheckStandingDto.StatusEnum.PENDING)));
    assertThat(NextStep.of(external, path(true, false), HEAD)).isEqualTo(NextStep.WAIT);
    // a check that failed or erred is not run again at the same pair: the source has to move
    PromotionDto failed = request(PromotionDto.StateEnum.FAILING).checks(List.of(check("rows", false,
        CheckStandingDto.StatusEnum.FAILED), check("nulls", false, CheckStandingDto.StatusEnum.ERROR)));
    assertThat(NextStep.of(failed, path(true, false), HEAD)).isEqualTo(NextStep.WAIT);
  }

  @Test
  void conflictsWaitForTheSourceToMove() {
    PromotionDto conflicted = request(PromotionDto.StateEnum.FAILING).previewCommit(null).conflicts(3L)
        .checks(List.of(check("rows", false, CheckStandingDto.StatusEnum.PENDING)));
    assertThat(NextStep.of(conflicted, path(true, false), HEAD)).isEqualTo(NextStep.WAIT);
  }

  @Test
  void onlyAnApprovedRequestOfAnAutoMergingPathIsMerged() {
    assertThat(NextStep.of(request(PromotionDto.StateEnum.APPROVED), path(true, false), HEAD))
        .isEqualTo(NextStep.MERGE);
    assertThat(NextStep.of(request(PromotionDto.StateEnum.APPROVED), path(false, false), HEAD))
        .isEqualTo(NextStep.WAIT);
    assertThat(NextStep.of(request(PromotionDto.StateEnum.PASSING), path(true, false), HEAD))
        .isEqualTo(NextStep.WAIT);
  }

  @Test
  void aMergedRequestIsVerifiedOnceWhileItsTargetIsAtItsMergeCommit() {
    PromotionDto merged = request(PromotionDto.StateEnum.MERGED).mergeCommit(MERGE);
    assertThat(NextStep.of(merged, path(true, true), MERGE)).isEqualTo(NextStep.VERIFY);
    assertThat(NextStep.of(merged, path(true, true), HEAD)).as("target moved on").isEqualTo(NextStep.WAIT);
    assertThat(NextStep.of(merged, path(true, false), MERGE)).as("path does not verify").isEqualTo(NextStep.WAIT);
    assertThat(NextStep.of(merged.verification(new VerificationDto().status(VerificationDto.StatusEnum.PASSED)),
        path(true, true), MERGE)).as("verified already").isEqualTo(NextStep.WAIT);
    PromotionDto failed = request(PromotionDto.StateEnum.MERGED).mergeCommit(MERGE)
        .verification(new VerificationDto().status(VerificationDto.StatusEnum.FAILED));
    assertThat(NextStep.of(failed, path(true, true), MERGE)).as("failed, its rollback owed").isEqualTo(NextStep.VERIFY);
    assertThat(NextStep.of(failed.revertCommit("d".repeat(64)), path(true, true), MERGE)).as("rolled back")
        .isEqualTo(NextStep.WAIT);
  }

  @Test
  void closedRequestsAndRequestsWithoutAPathAreLeftAlone() {
    for (PromotionDto.StateEnum closed : List.of(PromotionDto.StateEnum.REJECTED, PromotionDto.StateEnum.ROLLED_BACK)) {
      assertThat(NextStep.of(request(closed).stale(true), path(true, true), HEAD)).isEqualTo(NextStep.WAIT);
    }
    assertThat(NextStep.of(request(PromotionDto.StateEnum.APPROVED), null, HEAD)).isEqualTo(NextStep.WAIT);
  }
}
