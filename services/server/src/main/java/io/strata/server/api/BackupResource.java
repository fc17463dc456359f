package io.strata.server.api;

import io.smallrye.mutiny.Uni;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.runtime.EmbeddedBackups;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import java.nio.file.Files;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.Cancellable;

/**
 * A backup of the embedded database, taken while Strata runs and sent as a tar file ({@code strata backup} writes
 * it, {@code strata restore} unpacks it into an empty data directory). With an external database: 409
 * BackupUnavailable (PostgreSQL's own tools back it up).
 */
@Path("/api/v1/admin/backup")
@Requires(Permission.SERVER_ADMIN)
@Tag(name = "Admin")
public class BackupResource {
  public static final String TAR = "application/x-tar";
  private static final Logger LOG = Logger.getLogger(BackupResource.class);

  @Inject EmbeddedBackups backups;

  // taken to its end once begun, whether or not the caller waits: a backup left half-done holds WAL
  @Cancellable(false)
  @GET
  @Produces({TAR, "application/json"})
  @Operation(summary = "A consistent backup of the embedded database (event log, projections, tracked tables and"
      + " Strata's objects beside them) as a tar file, taken while writes go on")
  @APIResponse(responseCode = "200", description = "The backup", content = @Content(mediaType = TAR,
      schema = @Schema(type = SchemaType.STRING, format = "binary")))
  public Uni<Response> backup(@Context RoutingContext request) {
    return backups.take().map(file -> {
      request.addEndHandler(done -> {
        try {
          Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
          LOG.warnf("could not delete the sent backup %s: %s", file, e.toString());
        }
      });
      String name = "strata-backup-" + Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace(":", "")
          + ".tar";
      return Response.ok(file.toFile(), TAR).header("Content-Disposition", "attachment; filename=\"" + name + "\"")
          .build();
    });
  }
}
