package io.strata.server.api;

import io.smallrye.mutiny.Uni;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.server.domain.Existing;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Reads under /repositories/{repo} first make sure the repository exists (404 otherwise). */
@ApplicationScoped
public class Repositories {
  @Inject Existing existing;

  public Uni<RepositoryRow> require(String repo) {
    return existing.repository(repo);
  }
}
