package io.strata.projections.rowdata.merge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.projections.rowdata.Merges.Strategy;

/**
 * How a strategy settles one key's conflict: {@code ours} keeps the merged row (ours in every
 * conflicting field), {@code theirs} takes theirs' values in the conflicting fields of a
 * {@code modify_modify} and theirs' whole row otherwise; {@code three_way} and {@code
 * fail_on_conflict} leave it to the client (the merged row keeps ours; the latter's merge then stops
 * without writing).
 */
public final class Settlement {
  private Settlement() {}

  /** One key's part in a merge: what it writes, and whether its conflict (if any) was settled. */
  public record KeyMerge(ObjectNode ours, RowMerge.Outcome outcome, boolean settled) {
    public ObjectNode merged() {
      return outcome.merged();
    }

    public boolean unsettled() {
      return outcome.conflicts() && !settled;
    }
  }

  /** Whether {@code strategy} settles conflicts itself. */
  public static boolean settles(Strategy strategy) {
    return strategy == Strategy.OURS || strategy == Strategy.THEIRS;
  }

  /** The key's merge under {@code strategy}, from its outcome ({@link RowMerge#merge}). */
  public static KeyMerge settle(ObjectNode ours, ObjectNode theirs, RowMerge.Outcome outcome, Strategy strategy) {
    if (!outcome.conflicts() || !settles(strategy)) {
      return new KeyMerge(ours, outcome, false);
    }
    if (strategy == Strategy.OURS) {
      return new KeyMerge(ours, outcome, true);
    }
    ObjectNode merged;
    if (outcome.kind() == ConflictKind.MODIFY_MODIFY) {
      merged = outcome.merged().deepCopy();
      for (String f : outcome.fields()) {
        merged.set(f, theirs.get(f));
      }
    } else {
      merged = theirs;
    }
    return new KeyMerge(ours, new RowMerge.Outcome(merged, outcome.kind(), outcome.fields()), true);
  }

  /** {@link RowMerge#merge} then {@link #settle}: one key's whole decision. */
  public static KeyMerge decide(ObjectNode base, ObjectNode ours, ObjectNode theirs, MergeColumns columns,
      Strategy strategy) {
    return settle(ours, theirs, RowMerge.merge(base, ours, theirs, columns), strategy);
  }
}
