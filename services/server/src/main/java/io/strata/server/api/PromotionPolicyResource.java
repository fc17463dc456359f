package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.strata.projections.promotion.PromotionPolicyQueries;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.api.PromotionDtos.PolicyValidationDto;
import io.strata.server.api.PromotionDtos.PromotionPolicyDto;
import io.strata.server.application.CommandContext;
import io.strata.server.application.PromotionPolicyCommands;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Locale;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * A repository's promotion policy: the one in force, its history, a validation that changes nothing, and setting
 * it (admin). The document is JSON or YAML, read on a worker thread (YAML parsing is CPU work), strictly: a
 * repeated key, a NUL character or a YAML alias bomb is refused before anything is validated.
 */
@Path("/api/v1/repositories/{repo}/promotion-policy")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Promotion")
public class PromotionPolicyResource {
  /** A policy document's size limit: hundreds of paths and checks fit with room to spare. */
  static final int MAX_DOCUMENT = 256 * 1024;
  static final String YAML = "application/yaml";
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();
  private static final ObjectMapper YAML_MAPPER = yamlMapper();

  @Inject PromotionPolicyCommands commands;
  @Inject PromotionPolicyQueries policies;
  @Inject CommandContexts contexts;
  @Inject Repositories repositories;

  private static ObjectMapper yamlMapper() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(20);
    options.setNestingDepthLimit(32);
    options.setCodePointLimit(MAX_DOCUMENT);
    return YAMLMapper.builder(YAMLFactory.builder().loaderOptions(options).build())
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
        .build();
  }

  @Requires(Permission.READ)
  @GET
  @Operation(summary = "The promotion policy in force (404 when none was set)")
  public Uni<PromotionPolicyDto> get(@PathParam("repo") String repo) {
    return repositories.require(repo).chain(r -> policies.current(repo))
        .map(p -> p.map(PromotionPolicyDto::of).orElseThrow(() -> none(repo)));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/history")
  @Operation(summary = "Every promotion policy the repository was given, newest first, with who set it and when")
  public Uni<PageDto<PromotionPolicyDto>> history(@PathParam("repo") String repo, @QueryParam("limit") String limit,
      @QueryParam("offset") String offset) {
    Params.Page page = Params.page(limit, offset);
    return repositories.require(repo).chain(r -> policies.history(repo, page.limit(), page.offset()))
        .map(p -> PageDto.of(p.items().stream().map(PromotionPolicyDto::of).toList(), p.total(), page.offset()));
  }

  @Requires(Permission.READ)
  @Cancellable(false)
  @POST
  @Path("/validate")
  @Consumes({MediaType.APPLICATION_JSON, YAML})
  @Operation(summary = "Validate a promotion policy document, changing nothing: the policy it means, normalised, with"
      + " its digest; or, as setting it would, 400 (an unknown field) or 422 with every error and its path")
  public Uni<PolicyValidationDto> validate(@PathParam("repo") String repo, @RequestBody(required = true, content = {
      @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PromotionDtos.PolicyDocument.class)),
      @Content(mediaType = YAML, schema = @Schema(implementation = PromotionDtos.PolicyDocument.class))}) String body,
      @Context HttpServerRequest request) {
    return repositories.require(repo).chain(r -> parsed(request, body))
        .map(document -> PolicyValidationDto.of(PromotionPolicyCommands.validated(document)));
  }

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @PUT
  @Consumes({MediaType.APPLICATION_JSON, YAML})
  @Operation(summary = "Set the promotion policy (admin): validated whole (422 with every error), recorded as"
      + " promotion.policy_set unless it is the one in force already; answers the policy in force")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PromotionPolicyDto.class)))
  public Uni<Response> set(@PathParam("repo") String repo, @QueryParam("origin") String origin,
      @RequestBody(required = true, content = {
          @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PromotionDtos.PolicyDocument.class)),
          @Content(mediaType = YAML, schema = @Schema(implementation = PromotionDtos.PolicyDocument.class))}) String body,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, body);
    String actor = ctx.actor().label(null);
    return parsed(request, body).chain(document -> {
      return commands.set(repo, document, origin, ctx, Answers.policySet(actor))
          // the same policy again: nothing was recorded, and the answer is the policy in force as it was set
          .chain(r -> r.body() != null ? Uni.createFrom().item(contexts.respond(r, ctx))
              : policies.current(repo).map(p -> Response.fromResponse(contexts.respond(r, ctx))
                  .type(MediaType.APPLICATION_JSON_TYPE)
                  .entity(PromotionPolicyDto.of(p.orElseThrow(() -> none(repo)))).build()));
    });
  }

  private static StrataException none(String repo) {
    return new StrataException(ErrorCode.NotFound, "repository '" + repo + "' has no promotion policy",
        Map.of("repository", repo));
  }

  /** The document, read as its Content-Type says (JSON, or YAML), on a worker thread. */
  static Uni<JsonNode> parsed(HttpServerRequest request, String body) {
    String type = request.getHeader("Content-Type");
    boolean yaml = type != null && type.toLowerCase(Locale.ROOT).contains("yaml");
    return Uni.createFrom().item(() -> parse(body, yaml)).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  static JsonNode parse(String body, boolean yaml) {
    if (body == null || body.isBlank()) {
      throw StrataException.badRequest("a promotion policy document (JSON or YAML) is required");
    }
    if (body.length() > MAX_DOCUMENT) {
      throw new StrataException(ErrorCode.PayloadTooLarge, "a promotion policy document is at most " + MAX_DOCUMENT
          + " characters", Map.of("limit", MAX_DOCUMENT));
    }
    if (body.indexOf('\u0000') >= 0) {
      throw StrataException.badRequest("a promotion policy document must not contain NUL characters");
    }
    try {
      JsonNode node = (yaml ? YAML_MAPPER : JSON).readTree(body);
      if (node == null || node.isMissingNode()) {
        throw StrataException.badRequest("a promotion policy document (JSON or YAML) is required");
      }
      Bodies.refuseNul(node, ""); // escaped in JSON (\u0000): no value may hold one (PostgreSQL takes none)
      return node;
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr();
      String what = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage().lines().findFirst().orElse("");
      throw StrataException.badRequest("the promotion policy is not valid " + (yaml ? "YAML" : "JSON") + where + ": "
          + (what.length() > 200 ? what.substring(0, 200) + "…" : what));
    } catch (RuntimeException e) {
      if (e instanceof StrataException) {
        throw e;
      }
      // SnakeYAML's limits (aliases, nesting, size) throw its own exceptions
      throw StrataException.badRequest("the promotion policy is not valid " + (yaml ? "YAML" : "JSON") + ": "
          + e.getClass().getSimpleName());
    }
  }
}
