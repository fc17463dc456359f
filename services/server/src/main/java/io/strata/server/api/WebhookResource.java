package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventType;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.auth.Identity;
import io.strata.server.auth.Permission;
import io.strata.server.auth.RequestIdentity;
import io.strata.server.auth.Requires;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Names;
import io.strata.server.domain.StrataException;
import io.strata.server.reactors.webhooks.WebhookFilter;
import io.strata.server.reactors.webhooks.WebhookSigner;
import io.strata.server.reactors.webhooks.WebhookStore;
import io.strata.server.reactors.webhooks.WebhookStore.Change;
import io.strata.server.reactors.webhooks.WebhookStore.Delivery;
import io.strata.server.reactors.webhooks.WebhookStore.Endpoint;
import io.strata.server.reactors.webhooks.Webhooks;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Webhook endpoints: URLs that receive the event feed as signed CloudEvents (Standard Webhooks). A
 * server administrator's business only: an endpoint may receive every repository's events.
 */
@Path("/api/v1/webhooks")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Webhooks")
@Requires(Permission.SERVER_ADMIN)
public class WebhookResource {
  private static final Pattern DELIVERY_ID = Pattern.compile("[1-9][0-9]{0,17}");

  @Inject Webhooks webhooks;
  @Inject WebhookStore store;
  @Inject RequestIdentity identity;

  // --- what the API takes -------------------------------------------------------------------------

  /** Which events an endpoint receives; a field left out (or null) matches every value. */
  public record FilterInput(List<String> repositories, List<String> types, List<String> branches) {}

  public record CreateWebhook(String url, String description, FilterInput filter) {}

  public record PatchWebhook(String url, String description, FilterInput filter, Boolean enabled,
      Boolean rotateSecret, String overlap) {}

  public record RedeliverSince(Long sincePosition) {}

  // --- what it answers ----------------------------------------------------------------------------

  public record FilterDto(@Schema(nullable = true) List<String> repositories,
      @Schema(nullable = true) List<String> types,
      @Schema(nullable = true) List<String> branches) {
    static FilterDto of(WebhookFilter f) {
      return new FilterDto(f.repositories(), f.types(), f.branches());
    }
  }

  /** An endpoint; its secret only in the answers to its creation and to a rotation. */
  public record WebhookDto(String id, String url, @Schema(nullable = true) String description, FilterDto filter,
      boolean enabled, @Schema(nullable = true) String disabledReason, @Schema(nullable = true) Instant disabledAt,
      @Schema(nullable = true) Instant failingSince, @Schema(nullable = true) Instant previousSecretUntil,
      Instant createdAt, Instant updatedAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) String secret) {
    static WebhookDto of(Endpoint e, String secret) {
      return new WebhookDto(e.id(), e.url(), e.description(), FilterDto.of(e.filter()), e.enabled(),
          e.disabledReason(), e.disabledAt(), e.failingSince(), e.previousSecretUntil(), e.createdAt(),
          e.updatedAt(), secret);
    }
  }

  public record AttemptDto(Instant at, @JsonInclude(JsonInclude.Include.NON_NULL) Integer statusCode, int latencyMs,
      @Schema(nullable = true) String error) {}

  public record DeliveryDto(long id, long position, UUID eventId, String eventType,
      @Schema(nullable = true) String repository, String state,
      @Schema(nullable = true) Instant nextAttemptAt, Instant createdAt, Instant updatedAt, List<AttemptDto> attempts) {
    static DeliveryDto of(Delivery d) {
      return new DeliveryDto(d.id(), d.position(), d.eventId(), d.eventType(), d.repository(), d.state(),
          d.state().equals("pending") ? d.nextAttemptAt() : null, d.createdAt(), d.updatedAt(),
          d.attemptLog().stream().map(a -> new AttemptDto(a.at(), a.statusCode(), a.latencyMs(), a.error())).toList());
    }
  }

  /** A page of deliveries; {@code next} is the {@code after} of the next page (null: this is the last). */
  public record DeliveryPageDto(List<DeliveryDto> items, @Schema(nullable = true) String next) {}

  public record RedeliveredDto(int redelivered) {}

  // --- endpoints ----------------------------------------------------------------------------------

  @Cancellable(false)
  @POST
  @Operation(summary = "Create a webhook endpoint",
      description = "Events appended from now on that match the filter are POSTed to url as CloudEvents JSON,"
          + " signed as Standard Webhooks says (webhook-id, webhook-timestamp, webhook-signature). url: absolute"
          + " http or https, no user info, at most 2048 characters; its host may not resolve to a loopback,"
          + " private, link-local or metadata address unless STRATA_WEBHOOKS_ALLOWED_HOSTS allows it. filter:"
          + " {repositories?, types?, branches?}, each a list (left out: any). The answer holds the signing"
          + " secret (whsec_...), shown only now.")
  @APIResponse(responseCode = "201", description = "Created; the body holds the secret, shown only now",
      content = @Content(schema = @Schema(implementation = WebhookDto.class)))
  public Uni<Response> create(
      @RequestBody(description = "{url, description?, filter?}",
          content = @Content(schema = @Schema(implementation = CreateWebhook.class))) JsonNode body) {
    CreateWebhook b = Bodies.read(body, CreateWebhook.class);
    URI url = WebhookInput.url(b.url());
    String description = b.description() == null || b.description().isEmpty() ? null : WebhookInput.description(b.description());
    WebhookFilter filter = WebhookInput.filter(b.filter());
    String secret = WebhookSigner.newSecret();
    return webhooks.checkReachable(url)
        .chain(() -> store.create(WebhookSigner.newEndpointId(), url.toString(), description, filter, secret))
        .map(e -> Response.status(201).entity(WebhookDto.of(e, secret)).build());
  }

  @GET
  @Operation(summary = "List webhook endpoints", description = "Oldest first; never their secrets")
  @APIResponse(responseCode = "200", description = "A page of endpoints")
  public Uni<PageDto<WebhookDto>> list(
      @Parameter(description = "Page size, 1-1000 (default 100)") @QueryParam("limit") String limit,
      @Parameter(description = "How many endpoints to skip (default 0)") @QueryParam("offset") String offset) {
    Params.Page page = Params.page(limit, offset);
    return Uni.combine().all().unis(store.list(page.limit(), page.offset()), store.count())
        .with((items, total) -> PageDto.of(items.stream().map(e -> WebhookDto.of(e, null)).toList(), total,
            page.offset()));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "Get a webhook endpoint", description = "Never its secret; disabled_reason says why an"
      + " endpoint was disabled (410 Gone, failing too long, or by whom)")
  @APIResponse(responseCode = "200", description = "The endpoint",
      content = @Content(schema = @Schema(implementation = WebhookDto.class)))
  public Uni<WebhookDto> get(@Parameter(description = "The endpoint's id (wh_...)") @PathParam("id") String id) {
    return store.get(endpointId(id)).map(e -> WebhookDto.of(e.orElseThrow(WebhookResource::notFound), null));
  }

  @Cancellable(false)
  @PATCH
  @Path("/{id}")
  @Operation(summary = "Change a webhook endpoint",
      description = "Every field is optional. url and filter replace the old ones (a filter field left out"
          + " matches any value); description \"\" removes it; enabled false stops deliveries (they stay"
          + " queued), true resumes them and clears a disabled state. rotate_secret true makes a new secret,"
          + " answered only now; during overlap (e.g. 30m, 24h; default 24h, at most 7d) deliveries carry"
          + " signatures by both the new and the old secret.")
  @APIResponse(responseCode = "200", description = "The endpoint as changed (with the new secret after a rotation)",
      content = @Content(schema = @Schema(implementation = WebhookDto.class)))
  public Uni<WebhookDto> patch(@Parameter(description = "The endpoint's id (wh_...)") @PathParam("id") String id,
      @RequestBody(description = "{url?, description?, filter?, enabled?, rotate_secret?, overlap?}",
          content = @Content(schema = @Schema(implementation = PatchWebhook.class))) JsonNode body) {
    // the body first: a misspelt field is a 400 whatever the id (ContractTest)
    PatchWebhook b = Bodies.read(body, PatchWebhook.class);
    String endpoint = endpointId(id);
    URI url = b.url() == null ? null : WebhookInput.url(b.url());
    String description = b.description() == null || b.description().isEmpty() ? null : WebhookInput.description(b.description());
    WebhookFilter filter = b.filter() == null ? null : WebhookInput.filter(b.filter());
    boolean rotate = Boolean.TRUE.equals(b.rotateSecret());
    if (b.overlap() != null && !rotate) {
      throw StrataException.invalid("overlap", "goes with rotate_secret: true");
    }
    Duration overlap = rotate ? WebhookInput.overlap(b.overlap()) : null;
    String secret = rotate ? WebhookSigner.newSecret() : null;
    String by = identity.current().map(Identity::toString).orElse("anonymous");
    Change change = new Change(url == null ? null : url.toString(), description,
        "".equals(b.description()), filter, b.enabled(), secret, overlap);
    Uni<Void> checked = url == null ? Uni.createFrom().voidItem() : webhooks.checkReachable(url);
    return checked.chain(() -> store.update(endpoint, change, by))
        .map(e -> WebhookDto.of(e.orElseThrow(WebhookResource::notFound), secret));
  }

  @Cancellable(false)
  @DELETE
  @Path("/{id}")
  @Operation(summary = "Delete a webhook endpoint", description = "With its queue and delivery log; an attempt"
      + " in flight may still arrive")
  @APIResponse(responseCode = "204", description = "Deleted")
  public Uni<Response> delete(@Parameter(description = "The endpoint's id (wh_...)") @PathParam("id") String id) {
    return store.delete(endpointId(id)).map(found -> {
      if (!found) {
        throw notFound();
      }
      return Response.noContent().build();
    });
  }

  // --- deliveries ---------------------------------------------------------------------------------

  @GET
  @Path("/{id}/deliveries")
  @Operation(summary = "List an endpoint's deliveries",
      description = "Oldest first, each with every attempt (time, status code, latency, error). state: pending"
          + " (next_attempt_at says when), delivered or failed (its retries spent).")
  @APIResponse(responseCode = "200", description = "A page of deliveries",
      content = @Content(schema = @Schema(implementation = DeliveryPageDto.class)))
  public Uni<DeliveryPageDto> deliveries(
      @Parameter(description = "The endpoint's id (wh_...)") @PathParam("id") String id,
      @Parameter(description = "Page size, 1-1000 (default 100)") @QueryParam("limit") String limit,
      @Parameter(description = "Cursor: the previous page's 'next' (a delivery id)") @QueryParam("after") String after) {
    String endpoint = endpointId(id);
    int l = Params.page(limit, null).limit();
    long afterId = after == null || after.isEmpty() ? 0 : number("after", after, DELIVERY_ID);
    return store.get(endpoint).chain(e -> {
      if (e.isEmpty()) {
        throw notFound();
      }
      return store.deliveries(endpoint, afterId, l);
    }).map(items -> new DeliveryPageDto(items.stream().map(DeliveryDto::of).toList(),
        items.size() == l ? String.valueOf(items.get(items.size() - 1).id()) : null));
  }

  @Cancellable(false)
  @POST
  @Path("/{id}/deliveries/{delivery}/redeliver")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Redeliver one delivery", description = "Queued again with a fresh retry schedule, in"
      + " its place in the endpoint's order (so before the newer pending ones)")
  @APIResponse(responseCode = "200", description = "Queued again")
  public Uni<RedeliveredDto> redeliver(
      @Parameter(description = "The endpoint's id (wh_...)") @PathParam("id") String id,
      @Parameter(description = "The delivery's id") @PathParam("delivery") String delivery) {
    String endpoint = endpointId(id);
    if (!DELIVERY_ID.matcher(delivery).matches()) {
      throw deliveryNotFound();
    }
    return store.get(endpoint).chain(e -> {
      if (e.isEmpty()) {
        throw notFound();
      }
      return store.redeliver(endpoint, Long.parseLong(delivery));
    }).map(found -> {
      if (!found) {
        throw deliveryNotFound();
      }
      return new RedeliveredDto(1);
    });
  }

  @Cancellable(false)
  @POST
  @Path("/{id}/redeliver")
  @Operation(summary = "Redeliver everything since a position",
      description = "Every delivery of the endpoint for events at or after since_position that is delivered or"
          + " failed is queued again, in order. Events the endpoint had no delivery for (before it was"
          + " created, filtered out, while it was disabled) are not sent.")
  @APIResponse(responseCode = "200", description = "How many deliveries were queued again")
  public Uni<RedeliveredDto> redeliverSince(
      @Parameter(description = "The endpoint's id (wh_...)") @PathParam("id") String id,
      @RequestBody(description = "{since_position}",
          content = @Content(schema = @Schema(implementation = RedeliverSince.class))) JsonNode body) {
    RedeliverSince b = Bodies.read(body, RedeliverSince.class);
    String endpoint = endpointId(id);
    if (b.sincePosition() == null || b.sincePosition() < 0) {
      throw StrataException.invalid("since_position", "is required: a log position, 0 or more");
    }
    return store.get(endpoint).chain(e -> {
      if (e.isEmpty()) {
        throw notFound();
      }
      return store.redeliverSince(endpoint, b.sincePosition());
    }).map(RedeliveredDto::new);
  }

  // --- answers ----------------------------------------------------------------------------------

  private static long number(String field, String value, Pattern pattern) {
    if (!pattern.matcher(value).matches()) {
      throw new StrataException(ErrorCode.BadRequest, "query parameter '" + field + "' must be a delivery id",
          Map.of("field", field));
    }
    return Long.parseLong(value);
  }

  private static String endpointId(String id) {
    if (!WebhookSigner.isEndpointId(id)) {
      throw notFound();
    }
    return id;
  }

  private static StrataException notFound() {
    // the id is not echoed: it may be any bytes the client sent
    return new StrataException(ErrorCode.WebhookNotFound, "no such webhook endpoint", Map.of());
  }

  private static StrataException deliveryNotFound() {
    return new StrataException(ErrorCode.WebhookDeliveryNotFound, "no such delivery of this endpoint", Map.of());
  }
}
