package io.strata.cli;

import io.strata.client.api.PromotionApi;
import io.strata.client.model.ApprovalInput;
import io.strata.client.model.OpenPromotionInput;
import io.strata.client.model.PageDtoPromotionDto;
import io.strata.client.model.PromotionDto;
import io.strata.client.model.RejectInput;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code strata promotion}: promotion requests (docs/promotion.md): list, open, show, run checks, approve, reject,
 * merge, verify. An approval is of what {@code show} showed: the source commit and target head it read.
 */
@Command(name = "promotion", description = "Promotion requests: list, open, show, checks, approve, reject, merge, verify",
    subcommands = {PromotionCommand.Open.class, PromotionCommand.Show.class, PromotionCommand.Checks.class,
        PromotionCommand.Approve.class, PromotionCommand.Reject.class, PromotionCommand.Merge.class,
        PromotionCommand.Verify.class, PromotionCommand.Policy.class})
final class PromotionCommand extends Verb {
  @Option(names = "--state", paramLabel = "<state>", description = "Only requests in this state (open, approved, merged, …)")
  String state;

  @Override
  public Integer call() throws Exception {
    PageDtoPromotionDto page = new PromotionApi(client()).listPromotions(repository(), state, 100, 0, null);
    if (!out().printedAsJson(page)) {
      out().table(List.of("#", "SOURCE", "TARGET", "STATE", "CHECKS", "APPROVALS"), page.getItems().stream()
          .map(p -> List.of(String.valueOf(p.getNumber()), p.getSource(), p.getTarget(), String.valueOf(p.getState()),
              checks(p), approvals(p))).toList());
    }
    return ExitCodes.OK;
  }

  static String checks(PromotionDto p) {
    if (p.getChecks() == null || p.getChecks().isEmpty()) {
      return "-";
    }
    return p.getChecks().stream().map(c -> c.getName() + ":" + c.getStatus()).reduce((a, b) -> a + " " + b).orElse("");
  }

  static String approvals(PromotionDto p) {
    long counted = p.getApprovals() == null ? 0 : p.getApprovals().stream().filter(a -> Boolean.TRUE.equals(a.getCounts())).count();
    return counted + "/" + (p.getApprovalsRequired() == null ? 0 : p.getApprovalsRequired());
  }

  /** A request by its number, and how it is printed after a step. */
  abstract static class OnePromotion extends Verb {
    @Parameters(paramLabel = "<number>") String number;

    PromotionApi api() {
      return new PromotionApi(client());
    }

    Integer print(PromotionDto p) {
      return PromotionCommand.print(out(), p);
    }
  }

  /** A request after a step: its state, checks, approvals and outcome. */
  static Integer print(Output out, PromotionDto p) {
    if (!out.printedAsJson(p)) {
      out.line("#" + p.getNumber() + " " + p.getSource() + " -> " + p.getTarget() + ": " + p.getState()
          + (Boolean.TRUE.equals(p.getStale()) ? " (stale: evaluate it again)" : ""));
      out.line("  checks: " + checks(p) + "; approvals: " + approvals(p)
          + (p.getConflicts() != null && p.getConflicts() > 0 ? "; conflicts: " + p.getConflicts() : ""));
      if (p.getMergeCommit() != null) {
        out.line("  merged as " + Ids.shortId(p.getMergeCommit()) + (p.getTag() == null ? "" : ", tagged " + p.getTag()));
      }
      if (p.getReason() != null) {
        out.line("  " + p.getReason());
      }
    }
    return ExitCodes.OK;
  }

  @Command(name = "policy", description = "Show the repository's promotion policy, or set it from a file (--set)")
  static final class Policy extends Verb {
    @Option(names = "--set", paramLabel = "<file>", description = "A policy document, YAML or JSON (docs/promotion.md)")
    java.nio.file.Path file;

    @Override
    public Integer call() throws Exception {
      if (file == null) {
        io.strata.client.model.PromotionPolicyDto policy = new PromotionApi(client()).getPromotionPolicy(repository(), null);
        if (!out().printedAsJson(policy)) {
          out().line("policy " + policy.getDigest() + ", set by " + policy.getSetBy() + " at " + policy.getSetAt()
              + (policy.getOrigin() == null ? "" : " from " + policy.getOrigin()));
          out().line(client().getObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(policy.getPolicy()));
        }
        return ExitCodes.OK;
      }
      // sent as written (YAML or JSON): the server validates it whole, and refuses it with every error's path
      String type = file.toString().endsWith(".json") ? "application/json" : "application/yaml";
      java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
              settings().server() + "/api/v1/repositories/" + java.net.URLEncoder.encode(repository(),
                  java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/promotion-policy"))
          .header("Content-Type", type).header("Accept", "application/json")
          .PUT(java.net.http.HttpRequest.BodyPublishers.ofFile(file));
      String user = Actors.user(env());
      if (user != null) {
        request.header("X-User-Id", user);
      }
      String answer;
      try (java.io.InputStream in = send(request).body()) {
        answer = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
      if (out().json()) {
        out().line(answer.strip());
      } else {
        out().line("Set the promotion policy of " + repository() + " from " + file);
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "open", description = "Open a request to promote a source branch into a target")
  static final class Open extends Verb {
    @Parameters(index = "0", paramLabel = "<source>") String source;

    @Parameters(index = "1", paramLabel = "<target>") String target;

    @Override
    public Integer call() throws Exception {
      PromotionDto p = new PromotionApi(client()).openPromotion(repository(), new OpenPromotionInput().source(source)
          .target(target), Actors.user(env()), null, null, null, null, null);
      return print(out(), p);
    }
  }

  @Command(name = "show", description = "Show a request: its checks, approvals, preview and outcome")
  static final class Show extends OnePromotion {
    @Override
    public Integer call() throws Exception {
      return print(api().getPromotion(repository(), number, null));
    }
  }

  @Command(name = "checks", description = "Run a request's SQL checks on its preview")
  static final class Checks extends OnePromotion {
    @Override
    public Integer call() throws Exception {
      return print(api().runPromotionChecks(repository(), number, Actors.user(env()), null, null, null, null, null));
    }
  }

  @Command(name = "approve", description = "Approve a request as it is now (its source commit and target head)")
  static final class Approve extends OnePromotion {
    @Option(names = {"-m", "--comment"}, paramLabel = "<comment>") String comment;

    @Override
    public Integer call() throws Exception {
      PromotionDto seen = api().getPromotion(repository(), number, null);
      return print(api().approvePromotion(repository(), number, new ApprovalInput().sourceCommit(seen.getSourceCommit())
          .targetHead(seen.getTargetHead()).comment(comment), Actors.user(env()), null, null, null, null, null));
    }
  }

  @Command(name = "reject", description = "Reject a request")
  static final class Reject extends OnePromotion {
    @Option(names = "--reason", required = true, paramLabel = "<reason>") String reason;

    @Override
    public Integer call() throws Exception {
      return print(api().rejectPromotion(repository(), number, new RejectInput().reason(reason), Actors.user(env()),
          null, null, null, null, null));
    }
  }

  @Command(name = "merge", description = "Merge an approved request whose checks passed")
  static final class Merge extends OnePromotion {
    @Override
    public Integer call() throws Exception {
      return print(api().mergePromotion(repository(), number, Actors.user(env()), null, null, null, null, null));
    }
  }

  @Command(name = "verify", description = "Run a merged request's verification checks on its target (rolls back on failure)")
  static final class Verify extends OnePromotion {
    @Override
    public Integer call() throws Exception {
      return print(api().verifyPromotion(repository(), number, Actors.user(env()), null, null, null, null, null));
    }
  }
}
