package io.strata.server.api;

import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.runtime.DatabaseAddress;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Where SQL clients reach the server's own database, so scripts find it from any directory. Never the
 * password: the embedded database's URL names the file that holds it, which only the operating-system
 * user running Strata can read.
 */
@Path("/api/v1/admin/database")
@Requires(Permission.SERVER_ADMIN)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin")
public class DatabaseResource {
  @Inject DatabaseAddress address;

  @Schema(description = "The server's own database, as SQL clients reach it")
  public record DatabaseDto(
      @Schema(description = "libpq connection URI without a password, e.g. for psql \"<url>\"; the embedded"
          + " database's names its passfile (readable only by the user running Strata)",
          example = "postgresql://postgres@127.0.0.1:24817/postgres?passfile=/home/me/.strata/database.pgpass")
      String url,
      @Schema(description = "Whether it is the private PostgreSQL Strata started (no STRATA_DATABASE_URL)")
      boolean embedded) {}

  @GET
  @Operation(summary = "Where SQL clients reach the server's database (never its password)")
  public DatabaseDto get() {
    return new DatabaseDto(address.url(), address.embedded());
  }
}
