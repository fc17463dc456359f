package io.strata.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.events.Author;
import io.strata.events.CommitIds;
import io.strata.server.auth.Grants;
import io.strata.server.auth.RequestIdentity;
import io.strata.server.application.Actor;
import io.strata.server.application.CommandContext;
import io.strata.server.application.CommandResponse;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Names;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.UUID;

/**
 * Reads the request around a command: actor headers, Idempotency-Key, correlation id, {@code async};
 * and turns a {@link CommandResponse} into the HTTP answer.
 */
@ApplicationScoped
public class CommandContexts {
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  public static final String POSITION_HEADER = "X-Strata-Position";
  private static final int MAX_KEY = 255;
  /** The header an admin of the repository overrides the promotion gate with, giving the reason (recorded). */
  public static final String GATE_OVERRIDE = "Strata-Gate-Override";
  private static final int MAX_OVERRIDE = 500;
  /** {@code /api/v1/repositories/{repo}/branches/{branch}…}: a path that names a branch. */
  private static final Pattern BRANCH_PATH = Pattern.compile("^/api/v1/repositories/[^/]+/branches/([^/]+)(/.*)?$");

  private final ObjectMapper canonical;
  private final StrataConfig config;
  private final RequestIdentity identity;

  @Inject
  public CommandContexts(ObjectMapper json, StrataConfig config, RequestIdentity identity) {
    this.canonical = json.copy().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    this.config = config;
    this.identity = identity;
  }

  public CommandContext of(HttpServerRequest request, Object body) {
    String key = header(request, IDEMPOTENCY_KEY);
    if (key != null && (key.length() > MAX_KEY || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
      throw new StrataException(ErrorCode.BadRequest,
          "Idempotency-Key must be 1-" + MAX_KEY + " visible ASCII characters", Map.of("header", IDEMPOTENCY_KEY));
    }
    Actor actor = actor(request);
    String correlation = header(request, "X-Correlation-Id");
    if (correlation == null || correlation.length() > 200 || !correlation.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      // the request's id, which its answer names: the client finds its events by it
      correlation = RequestIds.of(request).orElseGet(() -> UUID.randomUUID().toString());
    }
    boolean async = Params.bool("async", request.getParam("async"));
    String override = header(request, GATE_OVERRIDE);
    if (override != null && (override.length() > MAX_OVERRIDE || !override.chars().allMatch(c -> c >= 0x20 && c < 0x7f))) {
      throw new StrataException(ErrorCode.BadRequest, GATE_OVERRIDE + " must be the reason for the override: 1-"
          + MAX_OVERRIDE + " printable ASCII characters", Map.of("header", GATE_OVERRIDE));
    }
    // the key is the caller's: another token (or user) sending the same key is another request
    String scope = request.method().name() + " " + request.path() + "\u0000" + caller(actor);
    return new CommandContext(actor, key, scope, fingerprint(request, body), correlation, async,
        branchInPath(request.path()), override);
  }

  /** Who the key belongs to: the token (by id, which is never reused) or, without tokens, the X-User-Id sent. */
  private String caller(Actor actor) {
    return identity.current().map(i -> "token " + i.tokenId())
        .orElse(actor.id() == null ? "anonymous" : "user " + actor.id());
  }

  /** The branch a command's path names, decoded (null: it names none). */
  static String branchInPath(String path) {
    Matcher m = BRANCH_PATH.matcher(path);
    if (!m.matches()) {
      return null;
    }
    try {
      return URLDecoder.decode(m.group(1).replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformed) {
      return null; // the resource refuses the name
    }
  }

  /**
   * The context of a REST row write: who sent it and the correlation id. An Idempotency-Key is not
   * kept: the rows are written before the write's event is recorded, and a repeated upsert or delete
   * writes the same rows again.
   */
  public CommandContext ofRowWrite(HttpServerRequest request) {
    return unkeyed(request);
  }

  /**
   * The context of a write that runs several commands (a promotion request's operations): who sent it, the
   * correlation id and the gate override; no Idempotency-Key (it would name one command of several), never async.
   */
  public CommandContext unkeyed(HttpServerRequest request) {
    CommandContext c = of(request, null);
    return new CommandContext(c.actor(), null, null, c.fingerprint(), c.correlationId(), false, null,
        c.gateOverride());
  }

  /**
   * Commit author: the body's {@code author}, else the actor (the token's name with STRATA_AUTH=token,
   * the X-User-* headers with none), else the server default.
   */
  public Author author(Requests.AuthorInput given, CommandContext context) {
    if (given != null) {
      return new Author(Names.person("author.name", given.name(), 256),
          Names.person("author.email", given.email(), 320));
    }
    Actor a = context.actor();
    String name = a.name() != null ? a.name() : a.id() != null ? a.id() : config.defaultAuthor().name();
    String email = a.email() != null ? a.email() : config.defaultAuthor().email();
    return new Author(name, email);
  }

  /**
   * Who sends the request: with STRATA_AUTH=token the authenticated token ({@code token:<name>}), and
   * the X-User-* headers, which anyone can send, are ignored; with none, the X-User-* headers.
   */
  private Actor actor(HttpServerRequest request) {
    if (config.auth() == StrataConfig.AuthMode.TOKEN) {
      return identity.current().map(i -> new Actor(i.actorId(), i.name(), null, i.grants()))
          .orElse(new Actor(null, null, null, Grants.NONE));
    }
    // without tokens every caller may do everything
    return new Actor(
        person("X-User-Id", header(request, "X-User-Id")),
        person("X-User-Name", header(request, "X-User-Name")),
        person("X-User-Email", header(request, "X-User-Email")), Grants.UNRESTRICTED);
  }

  public Response respond(CommandResponse r, CommandContext context) {
    int status = context.async() && !r.replayed() && r.status() < 300 ? 202 : r.status();
    Response.ResponseBuilder builder = Response.status(status).header(POSITION_HEADER, r.position());
    if (r.replayed()) {
      builder.header("Idempotent-Replayed", "true");
    }
    if (r.lagging()) {
      builder.header("X-Strata-Projection-Lagging", "true");
    }
    if (r.body() != null) {
      builder.type(MediaType.APPLICATION_JSON_TYPE).entity(r.body());
    }
    return builder.build();
  }

  private String fingerprint(HttpServerRequest request, Object body) {
    try {
      String canonicalBody = body == null ? "" : canonical.writeValueAsString(body);
      return CommitIds.sha256Hex(request.method().name() + " " + request.uri() + "\n" + canonicalBody);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String header(HttpServerRequest request, String name) {
    String v = request.getHeader(name);
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static String person(String header, String value) {
    return value == null ? null : Names.person(header, value, 320);
  }
}
