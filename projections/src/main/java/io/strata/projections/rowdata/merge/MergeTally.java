package io.strata.projections.rowdata.merge;

import io.strata.projections.rowdata.ChangeCounts;
import java.util.Collection;

/**
 * What a table's merge does to the target, from its keys' merges: rows inserted (ours had none),
 * updated (the merged row differs from ours) and deleted; conflicts found, and those no strategy
 * settled. A conflicting row keeps ours wherever it is unsettled, so it counts as no change there.
 */
public record MergeTally(ChangeCounts changes, long conflicts, long unsettled) {

  public static MergeTally of(Collection<Settlement.KeyMerge> keys) {
    long inserted = 0;
    long updated = 0;
    long deleted = 0;
    long conflicts = 0;
    long unsettled = 0;
    for (Settlement.KeyMerge k : keys) {
      if (k.ours() == null && k.merged() != null) {
        inserted++;
      } else if (k.ours() != null && k.merged() == null) {
        deleted++;
      } else if (k.ours() != null && !JsonValues.same(k.ours(), k.merged())) {
        updated++;
      }
      if (k.outcome().conflicts()) {
        conflicts++;
      }
      if (k.unsettled()) {
        unsettled++;
      }
    }
    return new MergeTally(new ChangeCounts(inserted, updated, deleted), conflicts, unsettled);
  }

  /** Whether the merge must stop for the client (or, under {@code fail_on_conflict}, fail). */
  public boolean stops() {
    return unsettled > 0;
  }
}
