package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.auth.Authenticator;
import io.strata.server.auth.Identity;
import io.strata.server.auth.Permission;
import io.strata.server.auth.RequestIdentity;
import io.strata.server.auth.Requires;
import io.strata.server.auth.Role;
import io.strata.server.auth.TokenSecrets;
import io.strata.server.auth.TokenStore;
import io.strata.server.auth.TokenStore.TokenRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Names;
import io.strata.server.domain.StrataException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * API tokens (STRATA_AUTH=token): created by an admin token granted all repositories, shown once,
 * revoked, never deleted (their rows are the audit trail of who could do what).
 */
@Path("/api/v1/tokens")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Tokens")
@Requires(Permission.SERVER_ADMIN)
public class TokenResource {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final int MAX_GRANTS = 1000;

  @Inject TokenStore store;
  @Inject Authenticator authenticator;
  @Inject RequestIdentity identity;

  /** A token as listed: never its secret nor its hash. */
  public record TokenDto(String id, String name, String role, List<String> repositories,
      @Schema(nullable = true) Instant expiresAt,
      Instant createdAt, @Schema(nullable = true) String createdBy, @Schema(nullable = true) Instant revokedAt) {
    static TokenDto of(TokenRow t) {
      return new TokenDto(t.id(), t.name(), t.role().wire(), t.repositories(), t.expiresAt(), t.createdAt(),
          t.createdBy(), t.revokedAt());
    }
  }

  /** The answer to a creation: the only time the secret is shown. */
  public record CreatedTokenDto(String id, String name, String role, List<String> repositories,
      @Schema(nullable = true) Instant expiresAt,
      Instant createdAt, String token) {}

  @Cancellable(false)
  @POST
  @Operation(summary = "Create a token",
      description = "Answers the token's secret (strata_...) once; only its SHA-256 is stored. role: reader"
          + " (reads and queries), writer (plus writes, commits, branches, tags), admin (everything in its"
          + " repositories; with [\"*\"] also repositories, tokens and /api/v1/admin). repositories: names, or"
          + " [\"*\"] for all, present and future. expires_at: optional RFC 3339 time in the future.")
  @APIResponse(responseCode = "201", description = "Created; the body holds the secret, shown only now",
      content = @Content(schema = @Schema(implementation = CreatedTokenDto.class)))
  public Uni<Response> create(
      @RequestBody(description = "{name, role, repositories, expires_at?}",
          content = @Content(schema = @Schema(implementation = Requests.CreateToken.class))) JsonNode body) {
    Requests.CreateToken b = Bodies.read(body, Requests.CreateToken.class);
    String name = name(b.name());
    Role role = Role.parse(b.role()).orElseThrow(() -> StrataException.invalid("role",
        "role must be reader, writer or admin"));
    List<String> repositories = repositories(b.repositories());
    Instant expiresAt = expiresAt(b.expiresAt());
    String secret = TokenSecrets.newSecret();
    String by = identity.current().map(Identity::toString).orElse("anonymous");
    return store.create(TokenSecrets.newId(), name, role, repositories, expiresAt, TokenSecrets.hash(secret), by)
        .map(t -> Response.status(201).entity(new CreatedTokenDto(t.id(), t.name(), t.role().wire(),
            t.repositories(), t.expiresAt(), t.createdAt(), secret)).build());
  }

  @GET
  @Operation(summary = "List tokens", description = "Every token, revoked ones included (revoked_at set),"
      + " oldest first; never their secrets. The bootstrap admin token is not listed.")
  @APIResponse(responseCode = "200", description = "A page of tokens")
  public Uni<PageDto<TokenDto>> list(
      @Parameter(description = "Page size, 1-1000 (default 100)") @QueryParam("limit") String limit,
      @Parameter(description = "How many tokens to skip (default 0)") @QueryParam("offset") String offset) {
    Params.Page page = Params.page(limit, offset);
    return Uni.combine().all().unis(store.list(page.limit(), page.offset()), store.count())
        .with((items, total) -> PageDto.of(items.stream().map(TokenDto::of).toList(), total, page.offset()));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "Get a token", description = "Never its secret")
  @APIResponse(responseCode = "200", description = "The token",
      content = @Content(schema = @Schema(implementation = TokenDto.class)))
  public Uni<TokenDto> get(@Parameter(description = "The token's id (tok_...)") @PathParam("id") String id) {
    return store.get(tokenId(id)).map(t -> t.map(TokenDto::of).orElseThrow(() -> notFound()));
  }

  @Cancellable(false)
  @DELETE
  @Path("/{id}")
  @Operation(summary = "Revoke a token", description = "Refused from now on (by this server at once, by"
      + " others sharing the database within STRATA_TOKEN_CACHE_TTL); revoking again changes nothing")
  @APIResponse(responseCode = "204", description = "Revoked")
  public Uni<Response> revoke(@Parameter(description = "The token's id (tok_...)") @PathParam("id") String id) {
    String by = identity.current().map(Identity::toString).orElse("anonymous");
    String tokenId = tokenId(id);
    return store.revoke(tokenId, by).map(found -> {
      if (!found) {
        throw notFound();
      }
      authenticator.forget(tokenId);
      return Response.noContent().build();
    });
  }

  private static String tokenId(String id) {
    if (!TokenSecrets.isId(id)) {
      throw notFound();
    }
    return id;
  }

  private static StrataException notFound() {
    // the id is not echoed: it may be any bytes the client sent
    return new StrataException(ErrorCode.TokenNotFound, "no such token", Map.of());
  }

  private static String name(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw StrataException.invalid("name", "token names are 1-100 characters of A-Z a-z 0-9 . _ -,"
          + " starting with a letter or digit");
    }
    // in any case: events and logs name the actor by its token's name, and "Admin" reads as the bootstrap's
    if (name.equalsIgnoreCase(Authenticator.BOOTSTRAP_NAME)) {
      throw StrataException.invalid("name", "'" + name + "' is the bootstrap admin token's name (in any case)");
    }
    return name;
  }

  private static List<String> repositories(List<String> given) {
    if (given == null || given.isEmpty()) {
      throw StrataException.invalid("repositories", "name the repositories, or [\"*\"] for all");
    }
    if (given.size() > MAX_GRANTS) {
      throw StrataException.invalid("repositories", "at most " + MAX_GRANTS + " repositories; use [\"*\"]");
    }
    if (given.contains(Identity.ALL)) {
      if (given.size() > 1) {
        throw StrataException.invalid("repositories", "\"*\" stands alone");
      }
      return List.of(Identity.ALL);
    }
    List<String> out = new ArrayList<>();
    for (String r : new LinkedHashSet<>(given)) {
      try {
        out.add(Names.repository(r));
      } catch (StrataException e) {
        throw StrataException.invalid("repositories", "not a repository name: " + e.getMessage());
      }
    }
    return out;
  }

  private static Instant expiresAt(String given) {
    if (given == null) {
      return null;
    }
    Instant at;
    try {
      at = OffsetDateTime.parse(given).toInstant();
    } catch (DateTimeParseException e) {
      throw StrataException.invalid("expires_at", "an RFC 3339 time such as 2030-01-01T00:00:00Z");
    }
    if (!at.isAfter(Instant.now())) {
      throw StrataException.invalid("expires_at", "must be in the future");
    }
    return at;
  }
}
