package io.strata.promotion;

import io.strata.client.model.CheckStandingDto;
import io.strata.client.model.PolicyPathDto;
import io.strata.client.model.PromotionDto;

/**
 * What the service does next for a promotion request, decided from the request as the server answers it and the
 * path of the policy it runs along. Pure: every effect is the server's, so the same request answers the same step
 * whichever instance asks, before or after a restart; a step repeated by two instances is refused by the server
 * for the second (the request's state guards it).
 */
public enum NextStep {
  /** A branch moved since the request was evaluated: its checks and approvals are stale, evaluate it again. */
  EVALUATE,
  /** Required SQL checks have no result at the request's pair: run them on its preview. */
  RUN_CHECKS,
  /** Approved, and the path merges by itself. */
  MERGE,
  /**
   * Merged, the path verifies, the target is still at its merge commit, and nothing verified it yet (or its failed
   * verification's rollback did not happen: the server stopped between the two).
   */
  VERIFY,
  /** Nothing the service may do: a person approves, an external check reports, the source moves, or it is done. */
  WAIT;

  static NextStep of(PromotionDto request, PolicyPathDto path, String targetHead) {
    PromotionDto.StateEnum state = request.getState();
    if (state == PromotionDto.StateEnum.MERGED) {
      boolean verifies = path != null && path.getVerify() != null && path.getVerify().getChecks() != null
          && !path.getVerify().getChecks().isEmpty();
      if (!verifies || request.getMergeCommit() == null || !request.getMergeCommit().equals(targetHead)) {
        return WAIT;
      }
      // not verified yet; or verified failed, and the server stopped before rolling it back: verify finishes that
      boolean rollbackOwed = request.getVerification() != null
          && request.getVerification().getStatus() == io.strata.client.model.VerificationDto.StatusEnum.FAILED
          && path.getVerify().getRollback() == io.strata.client.model.PolicyVerifyDto.RollbackEnum.REVERT
          && request.getRevertCommit() == null;
      return request.getVerification() == null || rollbackOwed ? VERIFY : WAIT;
    }
    if (state == PromotionDto.StateEnum.REJECTED || state == PromotionDto.StateEnum.ROLLED_BACK || path == null) {
      return WAIT;
    }
    if (Boolean.TRUE.equals(request.getStale())) {
      return EVALUATE;
    }
    if (request.getPreviewCommit() == null) {
      // conflicts the path's strategy does not settle: nothing to check until the source moves
      return WAIT;
    }
    boolean pending = request.getChecks() != null && request.getChecks().stream()
        .anyMatch(c -> !Boolean.TRUE.equals(c.getExternal()) && c.getStatus() == CheckStandingDto.StatusEnum.PENDING);
    if (pending) {
      return RUN_CHECKS;
    }
    return state == PromotionDto.StateEnum.APPROVED && Boolean.TRUE.equals(path.getAutoMerge()) ? MERGE : WAIT;
  }
}
