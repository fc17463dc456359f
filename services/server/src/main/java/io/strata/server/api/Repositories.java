package io.strata.server.api;

import io.smallrye.mutiny.Uni;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.server.domain.StrataException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Reads under /repositories/{repo} first make sure the repository exists (404 otherwise). */
@ApplicationScoped
public class Repositories {
  @Inject RefQueries refs;

  public Uni<RepositoryRow> require(String repo) {
    return refs.repository(repo).map(r -> r.orElseThrow(() -> StrataException.repositoryNotFound(repo)));
  }
}
