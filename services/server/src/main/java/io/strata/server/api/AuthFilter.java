package io.strata.server.api;

import io.smallrye.mutiny.Uni;
import io.strata.server.auth.AccessRules;
import io.strata.server.auth.Authenticator;
import io.strata.server.auth.Identity;
import io.strata.server.auth.Permission;
import io.strata.server.auth.RequestIdentity;
import io.strata.server.auth.Requires;
import io.strata.server.domain.ErrorCode;
import io.strata.server.runtime.StrataConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * STRATA_AUTH=token: every request to a resource method needs a valid bearer token whose role and
 * repositories cover the method's {@link Requires} rule. Runs after matching (it needs the method),
 * before every other filter, without blocking (the token lookup goes through the reactive pool or the
 * cache). Service routes outside JAX-RS (/openapi.json, /docs, /q/health) never reach it: they stay open.
 */
public class AuthFilter {
  private static final Logger LOG = Logger.getLogger(AuthFilter.class);
  private static final String BEARER = "Bearer ";
  /** Longer than any token we issue or accept as STRATA_ADMIN_TOKEN; bounds hashing work. */
  private static final int MAX_SECRET = 512;

  @Inject StrataConfig config;
  @Inject Authenticator authenticator;
  @Inject RequestIdentity identity;

  private final Map<Method, Optional<Permission>> rules = new ConcurrentHashMap<>();

  @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
  public Uni<Response> authorize(ContainerRequestContext request, ResourceInfo resource) {
    if (config.auth() != StrataConfig.AuthMode.TOKEN) {
      return Uni.createFrom().nullItem();
    }
    Permission rule = ruleOf(resource);
    if (rule == Permission.OPEN) {
      return Uni.createFrom().nullItem();
    }
    String secret = bearer(request.getHeaderString(HttpHeaders.AUTHORIZATION));
    if (secret == null) {
      return Uni.createFrom().item(unauthorized(request, "anonymous", "send Authorization: Bearer <token>"));
    }
    Authenticator.Checked checked = authenticator.check(secret);
    if (checked instanceof Authenticator.Known known) { // the hot path: no I/O
      return Uni.createFrom().item(decide(request, resource, rule, known.identity()));
    }
    if (checked instanceof Authenticator.Unknown unknown) {
      return authenticator.lookUp(unknown.hash()).map(who -> decide(request, resource, rule, who));
    }
    return Uni.createFrom().item(decide(request, resource, rule, null));
  }

  /** null: go on; else the refusal. */
  private Response decide(ContainerRequestContext request, ResourceInfo resource, Permission rule, Identity who) {
    if (who == null) {
      return unauthorized(request, "unknown token", "the token is unknown, expired or revoked");
    }
    identity.set(who);
    String repository = request.getUriInfo().getPathParameters().getFirst("repo");
    switch (AccessRules.decide(rule, who, repository)) {
      case ALLOW:
        return null;
      case HIDDEN:
        denied(request, who.toString(), "repository not granted");
        return ErrorMappers.render(ErrorCode.RepositoryNotFound, "repository '" + repository + "' does not exist",
            Map.of("repository", repository));
      default:
        if (rule == null) {
          LOG.errorf("%s %s has no @Requires rule: refused for every token until it gets one",
              resource.getResourceClass().getSimpleName(), resource.getResourceMethod().getName());
        }
        denied(request, who.toString(), rule == null ? "endpoint has no permission rule" : "needs " + rule);
        return ErrorMappers.render(ErrorCode.Forbidden, who + " (role " + who.role().wire()
            + ") may not do this" + (rule == null ? "" : ": it needs " + describe(rule)), Map.of());
    }
  }

  private Permission ruleOf(ResourceInfo resource) {
    Method method = resource.getResourceMethod();
    return rules.computeIfAbsent(method, m -> {
      Requires onMethod = m.getAnnotation(Requires.class);
      Requires onClass = resource.getResourceClass().getAnnotation(Requires.class);
      return Optional.ofNullable(onMethod != null ? onMethod.value() : onClass != null ? onClass.value() : null);
    }).orElse(null);
  }

  private static String bearer(String header) {
    if (header == null || header.length() <= BEARER.length()
        || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    String secret = header.substring(BEARER.length()).trim();
    return secret.isEmpty() || secret.length() > MAX_SECRET ? null : secret;
  }

  private static Response unauthorized(ContainerRequestContext request, String who, String message) {
    denied(request, who, "no valid token");
    return Response.fromResponse(ErrorMappers.render(ErrorCode.Unauthorized, message, Map.of()))
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"strata\"").build();
  }

  /** Every refusal is logged: who, method, path (not the query string, never the secret). */
  private static void denied(ContainerRequestContext request, String who, String why) {
    LOG.warnf("denied %s %s %s: %s", who, request.getMethod(), printable(request.getUriInfo().getPath()), why);
  }

  private static String printable(String s) {
    StringBuilder out = new StringBuilder(Math.min(s.length(), 300));
    s.codePoints().limit(300).forEach(c -> out.append(Character.isISOControl(c) ? "?" : Character.toString(c)));
    return out.toString();
  }

  private static String describe(Permission rule) {
    return switch (rule) {
      case READ -> "a reader, writer or admin token granted this repository";
      case WRITE -> "a writer or admin token granted this repository";
      case REPOSITORY_ADMIN -> "an admin token granted this repository";
      case SERVER_ADMIN -> "an admin token granted all repositories (\"*\")";
      default -> "a valid token";
    };
  }
}
