package io.strata.server.application;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.server.auth.Permission;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.PromotionPolicies;
import io.strata.server.domain.StrataException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Setting a repository's promotion policy: the document validated whole (every error reported with its path,
 * nothing changed), then recorded as one event with its digest, unless it is the policy in force already.
 */
@ApplicationScoped
public class PromotionPolicyCommands {
  private final CommandProcessor processor;
  private final Existing existing;

  @Inject
  public PromotionPolicyCommands(CommandProcessor processor, Existing existing) {
    this.processor = processor;
    this.existing = existing;
  }

  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> set(String repository, JsonNode document, String origin, CommandContext ctx,
      Answer answer) {
    PromotionPolicies.Read read = validated(document);
    String from = Names.text("origin", origin, PromotionPolicies.MAX_ORIGIN, false);
    String repo = Names.existingRepository(repository);
    return existing.repository(repo).chain(() -> processor.execute(repo,
        new Commands.SetPromotionPolicy(read.policy(), read.digest(), from), ctx, answer));
  }

  /**
   * The refusal of a document with errors, each with its path in {@code details.errors}: 400 when a field is one
   * the document's schema does not have (a body's shape, as for every request), else 422.
   */
  public static StrataException invalid(List<PromotionPolicies.Problem> problems) {
    PromotionPolicies.Problem unknown = problems.stream().filter(PromotionPolicies.Problem::unknownField)
        .findFirst().orElse(null);
    PromotionPolicies.Problem first = unknown != null ? unknown : problems.get(0);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("errors", problems.stream().map(p -> Map.of("path", p.path(), "message", p.message())).toList());
    String count = "the promotion policy has " + problems.size() + (problems.size() == 1 ? " error" : " errors");
    if (unknown != null) {
      String field = unknown.path().substring(unknown.path().lastIndexOf('.') + 1);
      details.put("field", unknown.path());
      if (unknown.didYouMean() != null) {
        details.put("did_you_mean", unknown.didYouMean());
      }
      return new StrataException(ErrorCode.BadRequest, "unknown field '" + field + "' at " + unknown.path() + " ("
          + count + ")", details);
    }
    return new StrataException(ErrorCode.ValidationError, count + (problems.size() == 1 ? ": " : ", the first: ")
        + first.path() + " " + first.message(), details);
  }

  /** The policy a document means, normalised, with its digest; refused as {@link #invalid} says when it has errors. */
  public static PromotionPolicies.Read validated(JsonNode document) {
    PromotionPolicies.Read read = PromotionPolicies.read(document);
    if (!read.valid()) {
      throw invalid(read.problems());
    }
    return read;
  }
}
