package io.strata.server.domain;

import io.smallrye.mutiny.Uni;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.refs.RefRows.BranchRow;
import io.strata.projections.refs.RefRows.RepositoryRow;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The projected repository or branch a request names, or its 404: one place for every layer. */
@ApplicationScoped
public class Existing {
  private final RefQueries refs;

  @Inject
  public Existing(RefQueries refs) {
    this.refs = refs;
  }

  public Uni<RepositoryRow> repository(String name) {
    return refs.repository(name).map(r -> r.orElseThrow(() -> StrataException.repositoryNotFound(name)));
  }

  public Uni<BranchRow> branch(String repository, String name) {
    return refs.branch(repository, name).map(b -> b.orElseThrow(() -> StrataException.branchNotFound(name)));
  }
}
