package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.projections.storage.StorageQueries;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.api.Dtos.StorageDto;
import io.strata.server.application.CommandContext;
import io.strata.server.application.StorageCommands;
import io.strata.server.domain.Storages;
import io.strata.events.StorageAdded;
import io.strata.server.runtime.DeltaStores;
import io.strata.server.runtime.PasswordSources;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/repositories/{repo}/storage")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Storage")
public class StorageResource {
  @Inject StorageCommands commands;
  @Inject CommandContexts contexts;
  @Inject StorageQueries storages;
  @Inject Repositories repositories;
  @Inject PasswordSources passwords;
  @Inject DeltaStores deltas;

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @POST
  @Operation(summary = "Register a storage: a PostgreSQL connection (type postgresql, the default; the password named"
      + " by password_env or password_file) or a place Delta Lake tables live (type delta: url file:///directory or"
      + " s3://bucket/prefix; for S3 endpoint, region, path_style and the keys named by access_key_env with"
      + " secret_key_env or secret_key_file)")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.StorageDto.class)))
  public Uni<Response> add(@PathParam("repo") String repo,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.AddStorage.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.AddStorage b = Bodies.read(body, Requests.AddStorage.class);
    CommandContext ctx = contexts.of(request, b);
    StorageAdded storage;
    if (StorageAdded.DELTA.equals(b.type())) {
      requireAbsent("delta", "host", b.host(), "port", b.port(), "database", b.database(), "username", b.username(),
          "password_env", b.passwordEnv(), "password_file", b.passwordFile());
      storage = Storages.validateDelta(b.name(), b.url(), b.endpoint(), b.region(), b.pathStyle(), b.accessKeyEnv(),
          b.secretKeyEnv(), b.secretKeyFile());
      deltas.check(storage.delta());
    } else {
      requireAbsent("postgresql", "endpoint", b.endpoint(), "region", b.region(), "path_style", b.pathStyle(),
          "access_key_env", b.accessKeyEnv(), "secret_key_env", b.secretKeyEnv(), "secret_key_file", b.secretKeyFile());
      storage = Storages.validate(b.name(), b.type(), b.url(), b.host(), b.port(), b.database(), b.username(),
          b.passwordEnv(), b.passwordFile());
      passwords.check(storage.passwordEnv(), storage.passwordFile());
    }
    return repositories.require(repo)
        .chain(() -> commands.add(repo, storage, ctx, Answers.storageAdded()))
        .map(r -> contexts.respond(r, ctx));
  }

  /** A field of the other storage type given: refused by the name of the first (422), rather than ignored. */
  private static void requireAbsent(String type, Object... namesAndValues) {
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (namesAndValues[i + 1] != null) {
        String field = (String) namesAndValues[i];
        throw io.strata.server.domain.StrataException.invalid(field, field + " does not go with a " + type + " storage");
      }
    }
  }

  @Requires(Permission.READ)
  @GET
  @Operation(summary = "List storage connections, 'local' (the server's own database) first")
  public Uni<PageDto<StorageDto>> list(@PathParam("repo") String repo) {
    return repositories.require(repo).chain(() -> storages.storages(repo)).map(rows -> {
      List<StorageDto> items = new ArrayList<>();
      items.add(StorageDto.local());
      rows.forEach(r -> items.add(StorageDto.of(r)));
      return new PageDto<>(items, items.size(), false);
    });
  }

  @Requires(Permission.READ)
  @GET
  @Path("/{name}")
  @Operation(summary = "Get a storage connection")
  public Uni<StorageDto> get(@PathParam("repo") String repo, @PathParam("name") String name) {
    if (Storages.LOCAL.equals(name)) {
      return repositories.require(repo).map(r -> StorageDto.local());
    }
    return repositories.require(repo).chain(() -> storages.storage(repo, name))
        .map(s -> s.map(StorageDto::of).orElseThrow(() -> Storages.notFound(name)));
  }

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @DELETE
  @Path("/{name}")
  @Operation(summary = "Remove a storage connection (409 while a tracked table uses it)")
  public Uni<Response> remove(@PathParam("repo") String repo, @PathParam("name") String name,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return commands.remove(repo, name, ctx, Answers.noContent()).map(r -> contexts.respond(r, ctx));
  }
}
