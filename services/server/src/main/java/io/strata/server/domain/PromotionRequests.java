package io.strata.server.domain;

import io.strata.events.BranchPatterns;
import io.strata.events.CheckRunCompleted;
import io.strata.events.PromotionApproved;
import io.strata.events.PromotionEvaluated;
import io.strata.events.PromotionMerged;
import io.strata.events.PromotionOpened;
import io.strata.events.PromotionPolicy;
import io.strata.events.PromotionRejected;
import io.strata.events.StrataEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A repository's promotion requests, as their events left them: each one's pair of commits (the source's commit
 * and the target's head it was evaluated at), its preview, the check runs and approvals made for that pair (those
 * of earlier pairs are stale and left out), and how it ended. Its state is derived against the policy's path
 * ({@link #state}). Pure; folded by the repository's state and by the queries alike.
 */
public final class PromotionRequests {
  public static final String OPEN = "open";
  public static final String PASSING = "passing";
  public static final String FAILING = "failing";
  public static final String APPROVED = "approved";
  public static final String MERGED = "merged";
  public static final String REJECTED = "rejected";
  public static final String ROLLED_BACK = "rolled_back";

  /** The prefix of the branches promotion requests preview their merges on: {@code promotions/<number>}. */
  public static final String PREVIEW_PREFIX = "promotions/";

  /**
   * One request. {@code checks}: per check name, its latest run for the current pair; {@code approvals}: per
   * approver, theirs for the current pair; {@code closed}: {@link #MERGED}, {@link #REJECTED} or
   * {@link #ROLLED_BACK}, else null; {@code verification}: the merged promotion's verification (null: none yet).
   */
  public record Request(int number, String source, String target, String previewBranch, String sourceCommit,
      String targetHead, String previewCommit, long conflicts, Map<String, CheckRunCompleted> checks,
      Map<String, PromotionApproved> approvals, String closed, String mergeCommit, String tag, String reason,
      io.strata.events.PromotionVerified verification, String revertCommit) {
    public Request {
      checks = Map.copyOf(checks);
      approvals = Map.copyOf(approvals);
    }

    public boolean isOpen() {
      return closed == null;
    }

    /** Whether it was evaluated at {@code sourceCommit} and {@code targetHead}. */
    public boolean at(String sourceCommit, String targetHead) {
      return sourceCommit.equals(this.sourceCommit) && targetHead.equals(this.targetHead);
    }

    Request evaluated(PromotionEvaluated e) {
      return new Request(number, source, target, previewBranch, e.sourceCommit(), e.targetHead(), e.previewCommit(),
          e.conflicts(), Map.of(), Map.of(), closed, mergeCommit, tag, reason, verification, revertCommit);
    }

    Request checked(CheckRunCompleted e) {
      if (!at(e.sourceCommit(), e.targetHead())) {
        return this;
      }
      Map<String, CheckRunCompleted> runs = new TreeMap<>(checks);
      runs.put(e.name(), e);
      return new Request(number, source, target, previewBranch, sourceCommit, targetHead, previewCommit, conflicts,
          runs, approvals, closed, mergeCommit, tag, reason, verification, revertCommit);
    }

    Request approved(PromotionApproved e) {
      if (!at(e.sourceCommit(), e.targetHead())) {
        return this;
      }
      Map<String, PromotionApproved> given = new LinkedHashMap<>(approvals);
      given.put(e.approver(), e);
      return new Request(number, source, target, previewBranch, sourceCommit, targetHead, previewCommit, conflicts,
          checks, given, closed, mergeCommit, tag, reason, verification, revertCommit);
    }

    Request closed(String how, String commit, String tagged, String why) {
      return new Request(number, source, target, previewBranch, sourceCommit, targetHead, previewCommit, conflicts,
          checks, approvals, how, commit, tagged, why, verification, revertCommit);
    }

    Request verified(io.strata.events.PromotionVerified e) {
      return new Request(number, source, target, previewBranch, sourceCommit, targetHead, previewCommit, conflicts,
          checks, approvals, closed, mergeCommit, tag, reason, e, revertCommit);
    }

    Request rolledBack(io.strata.events.PromotionRolledBack e) {
      return new Request(number, source, target, previewBranch, sourceCommit, targetHead, previewCommit, conflicts,
          checks, approvals, ROLLED_BACK, mergeCommit, tag, e.reason(), verification, e.revertCommit());
    }

    /** Whether it merged and its verification failed: a rollback may revert its merge. */
    public boolean failedVerification() {
      return MERGED.equals(closed) && verification != null && !"passed".equals(verification.status());
    }
  }

  private final Map<Integer, Request> requests = new TreeMap<>();

  public PromotionRequests copy() {
    PromotionRequests c = new PromotionRequests();
    c.requests.putAll(requests);
    return c;
  }

  public Request get(int number) {
    return requests.get(number);
  }

  public List<Request> all() {
    return new ArrayList<>(requests.values());
  }

  /** The number the next request gets. */
  public int next() {
    return requests.isEmpty() ? 1 : ((TreeMap<Integer, Request>) requests).lastKey() + 1;
  }

  /** The open request of {@code source} into {@code target}, if any. */
  public Request openFor(String source, String target) {
    return requests.values().stream().filter(r -> r.isOpen() && r.source().equals(source) && r.target().equals(target))
        .findFirst().orElse(null);
  }

  /**
   * The number of the open request whose preview branch {@code branch} is, or null: such a branch is the request's
   * own, changed only by the request's commands.
   */
  public Integer previewOf(String branch) {
    if (!branch.startsWith(PREVIEW_PREFIX)) {
      return null;
    }
    return requests.values().stream().filter(r -> r.isOpen() && r.previewBranch().equals(branch))
        .map(Request::number).findFirst().orElse(null);
  }

  public void evolve(StrataEvent event) {
    if (event instanceof PromotionOpened e) {
      requests.put(e.number(), new Request(e.number(), e.source(), e.target(), e.previewBranch(), null, null, null, 0,
          Map.of(), Map.of(), null, null, null, null, null, null));
    } else if (event instanceof PromotionEvaluated e) {
      requests.computeIfPresent(e.number(), (n, r) -> r.evaluated(e));
    } else if (event instanceof CheckRunCompleted e) {
      requests.computeIfPresent(e.number(), (n, r) -> r.checked(e));
    } else if (event instanceof PromotionApproved e) {
      requests.computeIfPresent(e.number(), (n, r) -> r.approved(e));
    } else if (event instanceof PromotionMerged e) {
      requests.computeIfPresent(e.number(), (n, r) -> r.closed(MERGED, e.commit(), e.tag(), null));
    } else if (event instanceof PromotionRejected e) {
      requests.computeIfPresent(e.number(), (n, r) -> r.closed(REJECTED, null, null, e.reason()));
    } else if (event instanceof io.strata.events.PromotionVerified e) {
      requests.computeIfPresent(e.number(), (n, r) -> r.verified(e));
    } else if (event instanceof io.strata.events.PromotionRolledBack e) {
      requests.computeIfPresent(e.number(), (n, r) -> r.rolledBack(e));
    }
  }

  /** The path of {@code policy} a request of {@code source} into {@code target} goes along, or null. */
  public static PromotionPolicy.Path path(PromotionPolicy policy, String source, String target) {
    if (policy == null) {
      return null;
    }
    return policy.paths().stream().filter(p -> p.target().equals(target) && BranchPatterns.matches(p.source(), source))
        .findFirst().orElse(null);
  }

  /** A required check's standing for the current pair: {@code pending} until it ran. */
  public static String checkStatus(Request r, String name) {
    CheckRunCompleted run = r.checks().get(name);
    return run == null ? "pending" : run.status();
  }

  /** The approvals of the current pair that count under {@code approvals}: by an allowed role or a named actor. */
  public static List<PromotionApproved> counted(Request r, PromotionPolicy.Approvals approvals) {
    return r.approvals().values().stream().filter(a -> mayApprove(approvals, a.approver(), a.role())).toList();
  }

  /** Whether an actor ({@code token:<name>}, or an X-User-Id) with {@code role} may approve under {@code approvals}. */
  public static boolean mayApprove(PromotionPolicy.Approvals approvals, String actor, String role) {
    if (role != null && approvals.roles().contains(role)) {
      return true;
    }
    String name = actor != null && actor.startsWith("token:") ? actor.substring(6) : actor;
    return approvals.actors().stream().anyMatch(a -> a.equals(actor) || a.equals(name) || a.equals("token:" + name));
  }

  /**
   * The request's state under {@code path} (null: no path of the policy leads its way any more, so it cannot pass):
   * merged or rejected once closed; failing with conflicts or a failed required check; approved once every
   * required check passed and the approvals suffice, passing when only approvals are missing; open otherwise.
   */
  public static String state(Request r, PromotionPolicy.Path path) {
    if (!r.isOpen()) {
      return r.closed();
    }
    if (r.sourceCommit() == null) {
      return OPEN;
    }
    if (path == null || r.previewCommit() == null || r.conflicts() > 0) {
      return FAILING;
    }
    boolean allPassed = true;
    for (String name : path.requiredChecks()) {
      String status = checkStatus(r, name);
      if (status.equals("failed") || status.equals("error")) {
        return FAILING;
      }
      allPassed &= status.equals("passed");
    }
    if (!allPassed) {
      return OPEN;
    }
    return counted(r, path.approvals()).size() >= path.approvals().required() ? APPROVED : PASSING;
  }
}
