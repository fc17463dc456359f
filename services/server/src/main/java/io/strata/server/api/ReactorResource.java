package io.strata.server.api;

import io.smallrye.mutiny.Uni;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.reactors.FeedReactor;
import io.strata.server.reactors.ReactorCheckpoints;
import io.strata.server.reactors.Reactors;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Operating the reactors (the Kafka relay, webhooks): where each stands in the event feed, and who runs it. */
@Path("/api/v1/admin/reactors")
@Requires(Permission.SERVER_ADMIN)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin")
public class ReactorResource {
  @Inject Reactors reactors;

  @Schema(description = "A reactor: its checkpoint in the event feed, its lease, its lag, and its state on this server")
  public record ReactorDto(
      @Schema(description = "The reactor's name, e.g. kafka") String name,
      @Schema(nullable = true, description = "Log position of the last event it finished with (0: none yet); null if it never"
          + " claimed its lease") Long checkpointPosition,
      @Schema(nullable = true, description = "Feed key of that event (the feed's order is that key, then position)")
      Long checkpointTxid,
      @Schema(nullable = true, description = "The server holding its lease, or null") String owner,
      @Schema(nullable = true, description = "When that lease lapses unless renewed") Instant leaseUntil,
      @Schema(nullable = true, description = "When the checkpoint last moved") Instant updatedAt,
      @Schema(nullable = true, description = "Events committed after the checkpoint: still to act on (counted up to 1000000)")
      Long lag,
      @Schema(nullable = true, description = "The reactor as this server runs it; null when it does not run here") HereDto here) {}

  @Schema(description = "A reactor running in the server that answers")
  public record HereDto(
      @Schema(description = "Whether this server holds the lease (the others stand by)") boolean holdsLease,
      @Schema(description = "Batches failed in a row; 0 when the last one succeeded") int consecutiveFailures,
      @Schema(nullable = true, description = "The last failure's message (kept after recovery)") String lastError,
      @Schema(nullable = true, description = "When the last failure happened") Instant lastErrorAt) {}

  public record ReactorListDto(List<ReactorDto> items) {}

  @GET
  @Operation(summary = "Every reactor's checkpoint, lease owner and lag, and its state on this server")
  public Uni<ReactorListDto> list() {
    return reactors.report().map(all -> new ReactorListDto(all.stream().map(ReactorResource::dto).toList()));
  }

  private static ReactorDto dto(Reactors.Report r) {
    ReactorCheckpoints.Status s = r.status().orElse(null);
    FeedReactor.State h = r.here().orElse(null);
    return new ReactorDto(r.name(),
        s == null ? null : s.checkpoint().position(),
        s == null ? null : s.checkpoint().txid(),
        s == null ? null : s.owner(),
        s == null ? null : s.leaseUntil(),
        s == null ? null : s.updatedAt(),
        s == null ? null : s.lag(),
        h == null ? null : new HereDto(h.owner(), h.failuresInARow(), h.lastError(), h.lastErrorAt()));
  }
}
