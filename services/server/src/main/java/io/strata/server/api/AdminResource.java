package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.smallrye.mutiny.Uni;
import io.strata.projections.runtime.ProjectionRuntime;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Operating the projections: digest them, rebuild them from the log. */
@Path("/api/v1/admin/projections")
@Requires(Permission.SERVER_ADMIN)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin")
public class AdminResource {
  @Inject ProjectionRuntime projections;

  public record RebuildDto(int streams, long events) {}

  @GET
  @Path("digest")
  @Operation(summary = "Row count and MD5 of every projection table")
  public Uni<Map<String, String>> digest() {
    return projections.digest();
  }

  @Cancellable(false)
  @POST
  @Path("rebuild")
  @Operation(summary = "Drop every projection and replay the whole event log (one transaction)")
  public Uni<RebuildDto> rebuild() {
    return projections.rebuild()
        .map(heads -> new RebuildDto(heads.size(), heads.values().stream().mapToLong(Long::longValue).sum()));
  }
}
