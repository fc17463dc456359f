package io.strata.server.api;

import io.strata.server.runtime.ServerDatabase;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.smallrye.mutiny.Uni;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.server.api.Dtos.HealthDto;
import io.strata.server.api.Dtos.IndexDto;
import io.strata.server.api.Dtos.ReadyDto;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Service")
public class ServiceResource {
  private static final Duration PING_TIMEOUT = Duration.ofSeconds(2);

  @Inject ServerDatabase database;
  @Inject ProjectionRuntime projections;

  @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev")
  String version;

  @Requires(Permission.OPEN)
  @GET
  @Operation(summary = "What this server is, and where its API, OpenAPI document, Swagger UI and health are")
  public IndexDto index() {
    return new IndexDto("strata", version, new IndexDto.Links("/api/v1", "/openapi.json", "/docs", "/q/health"));
  }

  @Requires(Permission.OPEN)
  @GET
  @Path("health")
  @Operation(summary = "Liveness, with whether the metadata database answers")
  public Uni<HealthDto> health() {
    return ping().map(ok -> new HealthDto("healthy", version, ok));
  }

  @Requires(Permission.OPEN)
  @GET
  @Path("ready")
  @Operation(summary = "Readiness: 503 until the metadata database answers")
  @APIResponse(responseCode = "200", description = "Ready",
      content = @Content(schema = @Schema(implementation = Dtos.ReadyDto.class)))
  @APIResponse(responseCode = "503", description = "Not ready: the metadata database does not answer",
      content = @Content(schema = @Schema(implementation = Dtos.ReadyDto.class)))
  public Uni<Response> ready() {
    return ping().map(ok -> {
      boolean projecting = projections.lastFailure() == null;
      return Response.status(ok ? 200 : 503).entity(new ReadyDto(ok, ok, projecting)).build();
    });
  }

  private Uni<Boolean> ping() {
    return database.answers(PING_TIMEOUT);
  }
}
