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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
  private final ServiceMetrics metrics;
  /** Refusals said already (a refusal that stays is not said at every pass); bounded. */
  private final Set<String> reported = java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(
      new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > 1000;
        }
      }));

  PipelineReconciler(StrataApi api, ServiceMetrics metrics) {
    this.api = api;
    this.metrics = metrics;
  }

  /**
   * One pass over the repository. A refusal of one request's step is logged and the pass goes on with the others;
   * a failure of the server (unreachable, 5xx, 429) ends it, to be tried again. {@code minPosition}: the newest
   * event the feed named for the repository, which every read waits for (the projections may trail the feed).
   */
  void reconcile(String repo, Long minPosition) throws ApiException {
    PolicyDto policy = policy(repo, minPosition);
    if (policy == null || policy.getPaths() == null || policy.getPaths().isEmpty()) {
      return;
    }
    Map<String, String> heads = heads(repo, minPosition);
    List<PromotionDto> recent = api.promotions.listPromotions(repo, null, 100, 0, minPosition).getItems();
    Set<String> targets = new HashSet<>();
    policy.getPaths().forEach(p -> targets.add(p.getTarget()));
    // first the merges to verify (the newest into each target: the only one whose target can be at its merge
    // commit); a branch whose last promotion into it is not verified yet is promoted neither further (a failing
    // verification rolls it back before anything takes it on) nor into again (its verification would be lost)
    Set<String> unverified = new HashSet<>();
    Set<String> seen = new HashSet<>();
    for (PromotionDto r : recent) {
      if (r.getState() == PromotionDto.StateEnum.MERGED && seen.add(r.getTarget())) {
        PolicyPathDto path = pathOf(policy, r.getSource(), r.getTarget());
        PromotionDto after = path == null ? r : step(repo, r, path, heads.get(r.getTarget()));
        if (after != null && NextStep.of(after, path, heads.get(r.getTarget())) == NextStep.VERIFY) {
          unverified.add(r.getTarget()); // its verification was refused or failed: try again next pass
        }
      }
    }
    for (PolicyPathDto path : policy.getPaths()) {
      String targetHead = heads.get(path.getTarget());
      if (targetHead == null || unverified.contains(path.getTarget())) {
        continue; // nor into it: a merge would move it off the commit its verification is for
      }
      for (Map.Entry<String, String> source : heads.entrySet()) {
        String branch = source.getKey();
        if (branch.equals(path.getTarget()) || pathOf(policy, branch, path.getTarget()) != path
            || unverified.contains(branch)) {
          continue; // not this path's source, or one whose last promotion into it is still to verify
        }
        if (path.getSource().contains("*") && targets.contains(branch)) {
          // a pattern never takes a pipeline's own stages: merges between them would go round for ever
          continue;
        }
        try {
          PromotionDto request = openRequest(recent, branch, path.getTarget());
          if (request == null) {
            request = open(repo, branch, path.getTarget(), source.getValue(), minPosition);
          }
          if (request != null) {
            step(repo, request, path, targetHead);
          }
        } catch (ApiException e) {
          if (retryable(e)) {
            throw e;
          }
          if (takenFirst(e)) {
            metrics.step("open", "taken_first");
            LOG.debugf("%s: promoting %s into %s: %s", repo, branch, path.getTarget(), StrataApi.describe(e));
          } else {
            metrics.step("open", "refused");
            refused(repo, "promoting " + branch + " into " + path.getTarget(), e);
          }
        }
      }
    }
  }

  /**
   * A refusal because another caller (a second instance, a person) moved the request or a branch first: the feed
   * brings the next look, nothing to report.
   */
  static boolean takenFirst(ApiException e) {
    String type = StrataApi.errorType(e);
    return e.getCode() == 404 || "PromotionNotReady".equals(type) || "PromotionClosed".equals(type)
        || "PromotionAlreadyOpen".equals(type) || "HeadMoved".equals(type) || "BranchAlreadyExists".equals(type);
  }

  /** The server failed (or is out of reach): the pass is tried again. Any other answer is a refusal to report. */
  static boolean retryable(ApiException e) {
    return e.getCode() == 0 || e.getCode() >= 500 || e.getCode() == 429;
  }

  /** A refusal that will not change by trying again at once: said once (at WARN) until it changes. */
  private void refused(String repo, String what, ApiException e) {
    String line = repo + ": " + what + " was refused: " + StrataApi.describe(e);
    if (reported.add(line)) {
      LOG.warn(line);
    }
  }

  private PolicyDto policy(String repo, Long minPosition) throws ApiException {
    try {
      return api.promotions.getPromotionPolicy(repo, minPosition).getPolicy();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return null; // no policy (or the repository is gone): nothing to promote
      }
      throw e;
    }
  }

  /** Every branch's head but the requests' own preview branches. */
  private Map<String, String> heads(String repo, Long minPosition) throws ApiException {
    Map<String, String> heads = new java.util.LinkedHashMap<>();
    int offset = 0;
    while (true) {
      PageDtoBranchDto page = api.branches.listBranches(repo, 1000, offset, minPosition);
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

  /** The path a request of {@code source} into {@code target} goes along: the first that matches, as the server's. */
  static PolicyPathDto pathOf(PolicyDto policy, String source, String target) {
    for (PolicyPathDto p : policy.getPaths()) {
      if (p.getTarget().equals(target) && BranchPatterns.matches(p.getSource(), source)) {
        return p;
      }
    }
    return null;
  }

  /**
   * Opens a request when the source has commits the target lacks (and its commit was not rejected already);
   * answers the request open for the pair — this one, or the one another instance opened first — or null.
   */
  private PromotionDto open(String repo, String source, String target, String sourceHead, Long minPosition)
      throws ApiException {
    CompareDto compared = api.branches.compareRefs(repo, target, source, minPosition);
    if (compared.getAhead() == null || compared.getAhead() == 0) {
      return null;
    }
    if (rejectedAt(repo, source, target, sourceHead, minPosition)) {
      return null; // someone said no to exactly this: wait for the source to move
    }
    try {
      PromotionDto opened = api.promotions.openPromotion(repo, new OpenPromotionInput().source(source).target(target),
          null, null, null, null, null, null);
      metrics.step("open", "done");
      LOG.infof("%s: opened promotion #%d of %s into %s at %s (%s)", repo, opened.getNumber(), source, target,
          abbrev(opened.getSourceCommit()), opened.getState().getValue());
      return opened;
    } catch (ApiException e) {
      if (e.getCode() == 409 && "PromotionAlreadyOpen".equals(StrataApi.errorType(e))) {
        metrics.step("open", "taken_first");
        String number = StrataApi.errorDetail(e, "number").asText();
        return api.promotions.getPromotion(repo, number, null);
      }
      throw e;
    }
  }

  /** Whether the request of the pair at {@code sourceHead} was rejected (every rejected request is looked at). */
  private boolean rejectedAt(String repo, String source, String target, String sourceHead, Long minPosition)
      throws ApiException {
    int offset = 0;
    while (true) {
      io.strata.client.model.PageDtoPromotionDto page = api.promotions.listPromotions(repo, "rejected", 1000, offset,
          minPosition);
      for (PromotionDto r : page.getItems()) {
        if (r.getSource().equals(source) && r.getTarget().equals(target) && sourceHead.equals(r.getSourceCommit())) {
          return true;
        }
      }
      offset += page.getItems().size();
      if (!Boolean.TRUE.equals(page.getHasMore()) || page.getItems().isEmpty()) {
        return false;
      }
    }
  }

  /**
   * Takes the request's next steps until it waits, or another instance's step got there first (the request as it
   * was then is answered); a refusal of another kind is reported and answers null.
   */
  private PromotionDto step(String repo, PromotionDto request, PolicyPathDto path, String targetHead)
      throws ApiException {
    PromotionDto r = request;
    String head = targetHead;
    for (int i = 0; i < MAX_STEPS; i++) {
      NextStep step = NextStep.of(r, path, head);
      if (step == NextStep.WAIT) {
        return r;
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
        if (retryable(e)) {
          throw e;
        }
        String name = step.name().toLowerCase(java.util.Locale.ROOT);
        if (takenFirst(e)) {
          // another instance (or a person) moved it first, or a branch moved under it: the feed brings the next look
          metrics.step(name, "taken_first");
          LOG.debugf("%s: promotion #%s: %s refused: %s", repo, number, step, StrataApi.describe(e));
          return r;
        }
        metrics.step(name, "refused");
        refused(repo, "promotion #" + number + ": " + name, e);
        return null;
      }
      metrics.step(step.name().toLowerCase(java.util.Locale.ROOT), "done");
      if (step == NextStep.MERGE && r.getMergeCommit() != null) {
        head = r.getMergeCommit();
      }
      LOG.infof("%s: promotion #%s of %s into %s: %s -> %s%s", repo, number, r.getSource(), r.getTarget(),
          step.name().toLowerCase(java.util.Locale.ROOT), r.getState().getValue(), detail(r, step));
    }
    return r;
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
