package io.strata.server.api;

import io.strata.events.PromotionPolicy;
import io.strata.projections.promotion.PromotionPolicyQueries.PolicyRow;
import io.strata.server.domain.PromotionPolicies;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The promotion policy as the API answers it, and the document as a client sends it (JSON or YAML). */
public final class PromotionDtos {
  private PromotionDtos() {}

  /** The policy in force (or one of its history): as normalised, its digest, where it came from, who set it and when. */
  public record PromotionPolicyDto(PolicyDto policy, String digest, @Schema(nullable = true) String origin,
      @Schema(nullable = true) String setBy, Instant setAt, long position) {
    static PromotionPolicyDto of(PolicyRow row) {
      return new PromotionPolicyDto(PolicyDto.of(row.set().policy()), row.set().digest(), row.set().origin(),
          row.actor(), row.setAt(), row.position());
    }
  }

  /** A document that validated: the policy it means, every default filled in, and its digest. */
  public record PolicyValidationDto(String digest, PolicyDto policy) {
    static PolicyValidationDto of(PromotionPolicies.Read read) {
      return new PolicyValidationDto(read.digest(), PolicyDto.of(read.policy()));
    }
  }

  /** A policy, every default filled in. */
  public record PolicyDto(int version, List<String> protectedBranches,
      @Schema(enumeration = {"refuse", "allow"}) String directChanges, List<PolicyPathDto> paths,
      List<PolicyCheckDto> checks) {
    static PolicyDto of(PromotionPolicy p) {
      return new PolicyDto(p.version(), p.protectedBranches(), p.directChanges(),
          p.paths().stream().map(PolicyPathDto::of).toList(), p.checks().stream().map(PolicyCheckDto::of).toList());
    }
  }

  public record PolicyPathDto(String source, String target, List<String> requiredChecks, PolicyApprovalsDto approvals,
      boolean autoMerge, @Schema(enumeration = {"fail", "ours", "theirs"}) String conflictStrategy,
      @Schema(nullable = true, enumeration = {"ours", "theirs"}) String schemaStrategy,
      @Schema(nullable = true) String tag, @Schema(nullable = true, type = SchemaType.OBJECT,
          description = "Checks run on the target after a merge, and the rollback; null: none") PolicyVerifyDto verify) {
    static PolicyPathDto of(PromotionPolicy.Path p) {
      return new PolicyPathDto(p.source(), p.target(), p.requiredChecks(), new PolicyApprovalsDto(
          p.approvals().required(), p.approvals().roles(), p.approvals().actors()), p.autoMerge(), p.conflictStrategy(),
          p.schemaStrategy(), p.tag(), p.verify() == null ? null
              : new PolicyVerifyDto(p.verify().checks(), p.verify().rollback()));
    }
  }

  public record PolicyApprovalsDto(int required, List<String> roles, List<String> actors) {}

  public record PolicyVerifyDto(List<String> checks, @Schema(enumeration = {"revert", "none"}) String rollback) {}

  public record PolicyCheckDto(String name, String sql, PolicyExpectDto expect, int timeoutSeconds, int maxRows) {
    static PolicyCheckDto of(PromotionPolicy.Check c) {
      return new PolicyCheckDto(c.name(), c.sql(), new PolicyExpectDto(c.expect().kind(), c.expect().min(),
          c.expect().max()), c.timeoutSeconds(), c.maxRows());
    }
  }

  public record PolicyExpectDto(@Schema(enumeration = {"no_rows", "bounds"}) String kind,
      @Schema(nullable = true) BigDecimal min, @Schema(nullable = true) BigDecimal max) {}

  // --- the document a client sends: only version is required; the rest has defaults (docs/promotion.md)

  @Schema(name = "PromotionPolicyDocument", description = "A promotion policy document (JSON, or the same as YAML)",
      required = true, requiredProperties = {"version"})
  public record PolicyDocument(@Schema(enumeration = {"1"}) Integer version, List<String> protectedBranches,
      @Schema(enumeration = {"refuse", "allow"}) String directChanges, List<PolicyPathInput> paths,
      List<PolicyCheckInput> checks) {}

  @Schema(requiredProperties = {"source", "target"})
  public record PolicyPathInput(String source, String target, List<String> requiredChecks,
      PolicyApprovalsInput approvals, Boolean autoMerge,
      @Schema(enumeration = {"fail", "ours", "theirs"}) String conflictStrategy,
      @Schema(enumeration = {"ours", "theirs"}) String schemaStrategy, String tag, PolicyVerifyInput verify) {}

  public record PolicyApprovalsInput(Integer required, List<String> roles, List<String> actors) {}

  @Schema(requiredProperties = {"checks"})
  public record PolicyVerifyInput(List<String> checks, @Schema(enumeration = {"revert", "none"}) String rollback) {}

  @Schema(requiredProperties = {"name", "sql", "expect"})
  public record PolicyCheckInput(String name, String sql,
      @Schema(description = "What the statement must give: {kind: no_rows}, or one value within {min, max} (the"
          + " string no_rows is read as {kind: no_rows})") PolicyExpectInput expect,
      Integer timeoutSeconds, Integer maxRows) {}

  public record PolicyExpectInput(@Schema(enumeration = {"no_rows", "bounds"}) String kind, BigDecimal min,
      BigDecimal max) {}

  // --- promotion requests

  /**
   * A promotion request: where from and into, its state under the policy's path, whether its branches moved since
   * it was evaluated ({@code stale}: its check runs and approvals no longer count until it is evaluated again), the
   * pair of commits it was evaluated at and its preview, its required checks' standing and its approvals.
   */
  public record PromotionDto(int number, String source, String target,
      @Schema(enumeration = {"open", "passing", "failing", "approved", "merged", "rejected", "rolled_back"}) String state,
      boolean stale, @Schema(nullable = true) String sourceCommit, @Schema(nullable = true) String targetHead,
      String previewBranch, @Schema(nullable = true) String previewCommit, long conflicts, List<CheckStandingDto> checks,
      int approvalsRequired, List<ApprovalDto> approvals, @Schema(nullable = true) String mergeCommit,
      @Schema(nullable = true) String tag, @Schema(nullable = true) String reason,
      @Schema(nullable = true, type = SchemaType.OBJECT, description = "The merged request's verification; null:"
          + " not verified") VerificationDto verification, @Schema(nullable = true) String revertCommit) {
    static PromotionDto of(io.strata.server.application.PromotionCommands.View v) {
      var r = v.request();
      List<String> required = v.path() == null ? List.of() : v.path().requiredChecks();
      List<CheckStandingDto> checks = required.stream().map(name -> {
        var run = r.checks().get(name);
        return new CheckStandingDto(name, name.contains("/"),
            io.strata.server.domain.PromotionRequests.checkStatus(r, name), run == null ? null : run.summary(),
            run == null ? 0 : run.durationMs(), run == null ? List.of() : run.output());
      }).toList();
      var rule = v.path() == null ? null : v.path().approvals();
      List<ApprovalDto> approvals = r.approvals().values().stream().map(a -> new ApprovalDto(a.approver(), a.role(),
          a.comment(), rule != null && io.strata.server.domain.PromotionRequests.mayApprove(rule, a.approver(),
              a.role()))).toList();
      return new PromotionDto(r.number(), r.source(), r.target(), v.state(), r.isOpen() && v.stale(), r.sourceCommit(),
          r.targetHead(), r.previewBranch(), r.previewCommit(), r.conflicts(), checks,
          rule == null ? 0 : rule.required(), approvals, r.mergeCommit(), r.tag(), r.reason(),
          r.verification() == null ? null : new VerificationDto(r.verification().status(), r.verification().results()
              .stream().map(x -> new VerificationResultDto(x.name(), x.status(), x.summary())).toList()),
          r.revertCommit());
    }
  }

  /**
   * A required check's standing for the request's current pair: {@code pending} until it ran ({@code duration_ms}
   * 0 then, and for an external check).
   */
  public record CheckStandingDto(String name, boolean external,
      @Schema(enumeration = {"pending", "passed", "failed", "error"}) String status,
      @Schema(nullable = true) String summary, long durationMs,
      List<com.fasterxml.jackson.databind.JsonNode> output) {}

  /** An approval of the current pair; {@code counts}: whether the path takes approvals from its approver. */
  public record ApprovalDto(String approver, @Schema(nullable = true) String role,
      @Schema(nullable = true) String comment, boolean counts) {}

  /** A merged request's verification on its target: passed or failed, and each check's result. */
  public record VerificationDto(@Schema(enumeration = {"passed", "failed"}) String status,
      List<VerificationResultDto> results) {}

  public record VerificationResultDto(String name, @Schema(enumeration = {"passed", "failed", "error"}) String status,
      String summary) {}

  public record OpenPromotionInput(String source, String target) {}

  /** An external check's result, for the pair it checked (409 unless the request is at that pair). */
  @Schema(requiredProperties = {"name", "status", "source_commit", "target_head"})
  public record CheckRunInput(String name, @Schema(enumeration = {"passed", "failed", "error"}) String status,
      String summary, String sourceCommit, String targetHead, List<com.fasterxml.jackson.databind.JsonNode> output) {}

  /** An approval of the pair its approver reviewed (409 unless the request is at that pair). */
  @Schema(requiredProperties = {"source_commit", "target_head"})
  public record ApprovalInput(String sourceCommit, String targetHead, String comment) {}

  public record RejectInput(String reason) {}

  /**
   * What a request would land, from the target's evaluated head to its preview: rows changed per table, and the schema
   * changes (each flagged destructive or not) with the migration.
   */
  public record PreviewDto(int number, String sourceCommit, String targetHead, String previewCommit, boolean stale,
      List<io.strata.server.queries.Diffs.TableSummary> tables, SchemaDtos.SchemaDiffDto schema) {}
}
