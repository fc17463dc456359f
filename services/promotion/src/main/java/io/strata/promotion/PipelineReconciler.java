package io.strata.promotion;

import io.strata.client.ApiException;
import io.strata.client.model.BranchDto;
import io.strata.client.model.CompareDto;
import io.strata.client.model.OpenPromotionInput;
import io.strata.client.model.PageDtoBranchDto;
import io.strata.client.model.PolicyDto;
import io.strata.client.model.PolicyPathDto;
import io.strata.client.model.PromotionDto;
import io.strata.events.BranchPatterns;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Brings one repository's promotions up to date with its policy and its branches, reading everything from the
 * server each time (level-triggered: the feed only says when to look, so a missed event, a restart or a second
 * instance changes nothing about what is done):
 * <ul>
 *   <li>every path's source (each branch its pattern matches) that has commits its target lacks gets a request —
 *       unless one is open for the pair, or the request at that very source commit was rejected;</li>
 *   <li>every open request takes its {@link NextStep}s until it waits: evaluated again when stale, its SQL checks
 *       run, merged when approved and the path auto-merges;</li>
 *   <li>a merged request the path verifies is verified (and rolled back by the server when that fails).</li>
 * </ul>
 * Each step is one call the server guards by the request's state, so two instances doing the same step land it
 * once: the second's refusal (409) is expected and ends this pass for the request.
 */
final class PipelineReconciler {
  private static final Logger LOG = Logger.getLogger(PipelineReconciler.class);
  /** Steps taken for one request in one pass; a pass that keeps finding work ends, and the feed brings the next. */
  private static final int MAX_STEPS = 6;
  static final String PREVIEW_PREFIX = "promotions/";

  private final StrataApi api;

  PipelineReconciler(StrataApi api) {
    this.api = api;
  }

  /** One pass over the repository; a call the server fails (not a refusal of a step) is thrown to be retried. */
  void reconcile(String repo) throws ApiException {
    PolicyDto policy = policy(repo);
    if (policy == null || policy.getPaths() == null || policy.getPaths().isEmpty()) {
      return;
    }
    Map<String, String> heads = heads(repo);
    List<PromotionDto> recent = api.promotions.listPromotions(repo, null, 100, 0, null).getItems();
    for (PolicyPathDto path : policy.getPaths()) {
      String targetHead = heads.get(path.getTarget());
      if (targetHead == null) {
        continue;
      }
      for (Map.Entry<String, String> source : heads.entrySet()) {
        String branch = source.getKey();
        if (branch.equals(path.getTarget()) || pathOf(policy, branch, path.getTarget()) != path) {
          continue; // not this path's source (or a path naming it exactly takes it)
        }
        PromotionDto request = openRequest(recent, branch, path.getTarget());
        if (request == null) {
          request = open(repo, branch, path.getTarget(), source.getValue(), recent);
        }
        if (request != null) {
          advance(repo, request, path, targetHead);
        }
      }
    }
    // merged requests still to verify: the newest into each target is the only one that can be (its target at
    // its merge commit)
    Map<String, Boolean> seen = new HashMap<>();
    for (PromotionDto r : recent) {
      if (r.getState() == PromotionDto.StateEnum.MERGED && seen.putIfAbsent(r.getTarget(), true) == null) {
        PolicyPathDto path = pathOf(policy, r.getSource(), r.getTarget());
        if (path != null) {
          advance(repo, r, path, heads.get(r.getTarget()));
        }
      }
    }
  }

  private PolicyDto policy(String repo) throws ApiException {
    try {
      return api.promotions.getPromotionPolicy(repo, null).getPolicy();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return null; // no policy (or the repository is gone): nothing to promote
      }
      throw e;
    }
  }

  /** Every branch's head but the requests' own preview branches. */
  private Map<String, String> heads(String repo) throws ApiException {
    Map<String, String> heads = new java.util.LinkedHashMap<>();
    int offset = 0;
    while (true) {
      PageDtoBranchDto page = api.branches.listBranches(repo, 1000, offset, null);
      for (BranchDto b : page.getItems()) {
        if (!b.getName().startsWith(PREVIEW_PREFIX)) {
          heads.put(b.getName(), b.getHead());
        }
      }
      offset += page.getItems().size();
      if (!Boolean.TRUE.equals(page.getHasMore()) || page.getItems().isEmpty()) {
        return heads;
      }
    }
  }

  private static PromotionDto openRequest(List<PromotionDto> recent, String source, String target) {
    for (PromotionDto r : recent) {
      if (r.getSource().equals(source) && r.getTarget().equals(target) && isOpen(r)) {
        return r;
      }
    }
    return null;
  }

  static boolean isOpen(PromotionDto r) {
    return switch (r.getState()) {
      case OPEN, PASSING, FAILING, APPROVED -> true;
      default -> false;
    };
  }

  static PolicyPathDto pathOf(PolicyDto policy, String source, String target) {
    // an exact source before a pattern, as the server chooses
    PolicyPathDto byPattern = null;
    for (PolicyPathDto p : policy.getPaths()) {
      if (p.getTarget().equals(target) && p.getSource().equals(source)) {
        return p;
      }
      if (byPattern == null && p.getTarget().equals(target) && BranchPatterns.matches(p.getSource(), source)) {
        byPattern = p;
      }
    }
    return byPattern;
  }

  /**
   * Opens a request when the source has commits the target lacks (and its commit was not rejected already);
   * answers the request open for the pair — this one, or the one another instance opened first — or null.
   */
  private PromotionDto open(String repo, String source, String target, String sourceHead, List<PromotionDto> recent)
      throws ApiException {
    for (PromotionDto r : recent) {
      if (r.getSource().equals(source) && r.getTarget().equals(target)
          && r.getState() == PromotionDto.StateEnum.REJECTED && sourceHead.equals(r.getSourceCommit())) {
        return null; // someone said no to exactly this: wait for the source to move
      }
    }
    CompareDto compared = api.branches.compareRefs(repo, target, source, null);
    if (compared.getAhead() == null || compared.getAhead() == 0) {
      return null;
    }
    try {
      PromotionDto opened = api.promotions.openPromotion(repo, new OpenPromotionInput().source(source).target(target),
          null, null, null, null, null, null);
      LOG.infof("%s: opened promotion #%d of %s into %s at %s (%s)", repo, opened.getNumber(), source, target,
          abbrev(opened.getSourceCommit()), opened.getState().getValue());
      return opened;
    } catch (ApiException e) {
      if (e.getCode() == 409 && "PromotionAlreadyOpen".equals(StrataApi.errorType(e))) {
        String number = StrataApi.errorDetail(e, "number").asText();
        return api.promotions.getPromotion(repo, number, null);
      }
      throw e;
    }
  }

  /** Takes the request's next steps until it waits, or another instance's step got there first. */
  private void advance(String repo, PromotionDto request, PolicyPathDto path, String targetHead) throws ApiException {
    PromotionDto r = request;
    String head = targetHead;
    for (int i = 0; i < MAX_STEPS; i++) {
      NextStep step = NextStep.of(r, path, head);
      if (step == NextStep.WAIT) {
        return;
      }
      String number = String.valueOf(r.getNumber());
      try {
        r = switch (step) {
          case EVALUATE -> api.promotions.evaluatePromotion(repo, number, null, null, null, null, null, null);
          case RUN_CHECKS -> api.promotions.runPromotionChecks(repo, number, null, null, null, null, null, null);
          case MERGE -> api.promotions.mergePromotion(repo, number, null, null, null, null, null, null);
          case VERIFY -> api.promotions.verifyPromotion(repo, number, null, null, null, null, null, null);
          case WAIT -> throw new IllegalStateException();
        };
      } catch (ApiException e) {
        if (e.getCode() == 409 || e.getCode() == 404) {
          // another instance (or a person) moved it first, or a branch moved under it: the feed brings the next look
          LOG.debugf("%s: promotion #%s: %s refused: %s", repo, number, step, StrataApi.describe(e));
          return;
        }
        throw e;
      }
      if (step == NextStep.MERGE && r.getMergeCommit() != null) {
        head = r.getMergeCommit();
      }
      LOG.infof("%s: promotion #%s of %s into %s: %s -> %s%s", repo, number, r.getSource(), r.getTarget(),
          step.name().toLowerCase(java.util.Locale.ROOT), r.getState().getValue(), detail(r, step));
    }
  }

  private static String detail(PromotionDto r, NextStep step) {
    List<String> parts = new ArrayList<>();
    if (step == NextStep.EVALUATE) {
      parts.add("at " + abbrev(r.getSourceCommit()) + " onto " + abbrev(r.getTargetHead()));
    }
    if (step == NextStep.RUN_CHECKS && r.getChecks() != null) {
      r.getChecks().forEach(c -> parts.add(c.getName() + " " + c.getStatus().getValue()));
    }
    if (step == NextStep.MERGE) {
      parts.add("merge commit " + abbrev(r.getMergeCommit()) + (r.getTag() == null ? "" : ", tagged " + r.getTag()));
    }
    if (step == NextStep.VERIFY && r.getVerification() != null) {
      parts.add("verification " + r.getVerification().getStatus().getValue()
          + (r.getRevertCommit() == null ? "" : ", reverted by " + abbrev(r.getRevertCommit())));
    }
    return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
  }

  private static String abbrev(String commit) {
    return commit == null ? "-" : commit.substring(0, Math.min(12, commit.length()));
  }
}
