package io.strata.projections;

import io.strata.projections.graph.CommitGraphProjector;
import io.strata.projections.promotion.PromotionEventsProjector;
import io.strata.projections.promotion.PromotionPoliciesProjector;
import io.strata.projections.refs.BranchHeadsProjector;
import io.strata.projections.refs.MergesProjector;
import io.strata.projections.refs.RebasesProjector;
import io.strata.projections.refs.StashesProjector;
import io.strata.projections.refs.RepositoriesProjector;
import io.strata.projections.refs.TagsProjector;
import io.strata.projections.runtime.Projector;
import io.strata.projections.storage.StoragesProjector;
import io.strata.projections.tables.TablesProjector;
import java.util.List;

/** The projectors of the metadata database, run as one group (one transaction per batch). */
public final class MetadataProjectors {
  private MetadataProjectors() {}

  public static List<Projector> all() {
    return List.of(
        new RepositoriesProjector(), new BranchHeadsProjector(), new CommitGraphProjector(), new TagsProjector(),
        new StoragesProjector(), new TablesProjector(), new MergesProjector(), new StashesProjector(),
        new RebasesProjector(), new PromotionPoliciesProjector(), new PromotionEventsProjector());
  }
}
