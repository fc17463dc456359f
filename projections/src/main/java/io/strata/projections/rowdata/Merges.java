package io.strata.projections.rowdata;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Three-way merges of a table's rows into a branch, at O(rows changed on the two sides since the merge
 * base), never O(table): each side is the change sets that lead to it from the base (ours: the target
 * branch's head; theirs: the source). A merge is planned ({@link #plan}: nothing written, what a dry
 * run answers), then applied to the target's working state as staged working changes ({@link #apply}),
 * its conflicts kept beside the table until they are resolved ({@link #resolve}) and the merge ends
 * ({@link #end}).
 *
 * @param <X> the backend's unit of work: every call runs in the caller's
 */
public interface Merges<X> {

  /** How conflicts are settled: kept for the client ({@code THREE_WAY}), or resolved to one side. */
  enum Strategy {
    THREE_WAY, OURS, THEIRS, FAIL_ON_CONFLICT;

    /** The strategy's name on the wire. */
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * What merging a table does to the target: rows inserted, updated and deleted (conflicting rows keep
   * ours and count as nothing), conflicts found, those a strategy did not settle (left to the client),
   * and the SHA-256 of the conflicts' canonical form (null: none).
   */
  record TableMerge(String table, ChangeCounts changes, long conflicts, long unsettled, String conflictsHash) {}

  /**
   * A conflicting row: its key (a JSON array), kind, per conflicting column the three values, and for
   * a {@code constraint} conflict what refused the merged row (the constraint and the database's words).
   */
  record Conflict(String table, String key, String type, List<FieldConflict> fields, String refusedBy) {}

  /** One column of a conflict: its value at the base, on ours and on theirs (JSON, or null for no row). */
  record FieldConflict(String name, String base, String ours, String theirs) {}

  /**
   * Works out the merge of the table into {@code target} from the two sides' change sets (oldest
   * first), keeping the result in {@code tx} for {@link #apply}; conflicts are settled to one side by
   * {@code OURS} and {@code THEIRS}, left (keeping ours) by {@code THREE_WAY} and {@code FAIL_ON_CONFLICT}.
   */
  Uni<TableMerge> plan(X tx, TrackedTable table, BranchRef target, List<String> ours, List<String> theirs,
      Strategy strategy);

  /**
   * The same where the base is not an ancestor of both sides (reverting a commit: the base is that
   * commit, theirs its parent; cherry-picking one: the base is its parent, theirs the commit): each side
   * goes from the base through the merge base of the two, undoing {@code oursUndo} / {@code theirsUndo}
   * (from that merge base to the base) and redoing {@code ours} / {@code theirs}.
   */
  Uni<TableMerge> plan(X tx, TrackedTable table, BranchRef target, List<String> oursUndo, List<String> ours,
      List<String> theirsUndo, List<String> theirs, Strategy strategy);

  /** The first {@code limit} conflicts of the plan, in key order. */
  Uni<List<Conflict>> plannedConflicts(X tx, TrackedTable table, int limit);

  /**
   * Writes the planned merge into the target's working state. A merged row the table refuses (a NOT
   * NULL, CHECK, UNIQUE or foreign-key constraint) is not written: it becomes an unsettled conflict of
   * kind {@code constraint}, keeping ours, whatever the strategy. Answers the merge as applied. Then
   * either {@link #captureApplied} (the merge commits at once) or {@link #keep} (it stops). The caller
   * holds the target's writers off ({@link WorkingState#holdWriters}) and the branch has no working
   * changes in the table.
   */
  Uni<TableMerge> apply(X tx, TrackedTable table, BranchRef target);

  /**
   * Whether {@link #apply} may refuse merged rows (constraints of the table's): a dry run must then write to find
   * them (in a transaction rolled back). A backend without such rules answers its plan as applied without writing.
   */
  default boolean mayRefuseRows() {
    return true;
  }

  /**
   * After {@link #apply}: every row {@code target} shows that fails one of {@code checks} — CHECK constraints the
   * merge carries to it, each with the (stored) names of the columns it names — becomes an unsettled conflict of kind
   * {@code constraint_violation} (what refused it: the check's name), resolved by giving the row values that pass
   * (or deleting it), whatever the strategy. With {@code pendingOnly}, only the checks the target's overlay holds
   * NOT VALID (added by the merge's schema changes: {@link BranchObjects#addPendingRules}); else all of them, and a
   * check naming a column the target does not have yet (a dry run's) is passed over. So does every row the merge
   * wrote that shares the values of a unique rule among them (one the target holds) with another row the target
   * reads, and each such other row: settled once they no longer share them ({@link #settleViolations}). Answers the
   * merge as it is then: {@code applied} (what {@link #apply} answered) when there was nothing to look at.
   */
  Uni<TableMerge> markViolations(X tx, TrackedTable table, BranchRef target, List<HeldCheck> checks,
      boolean pendingOnly, TableMerge applied);

  /**
   * Forgets the kept {@code constraint_violation} conflicts of the merge in progress on {@code target} that {@code
   * uniques} — unique rules the target holds — listed, whose rows no longer share the rule's values with another row
   * the target reads (one of them was given new values or deleted, by a resolution or in SQL); the rest stay.
   * Answers how many it forgot.
   */
  Uni<Long> settleViolations(X tx, TrackedTable table, BranchRef target, List<HeldCheck> uniques);

  /**
   * At the continue of the merge in progress on {@code target}, whose target holds unique rules {@code uniques}: every
   * row it wrote (and its resolutions since) is looked at again by all of them at the end of the calling transaction,
   * which fails (23505) if one shares a rule's values with another row the target reads.
   */
  Uni<Void> recheckWritten(X tx, TrackedTable table, BranchRef target, List<HeldCheck> uniques);

  /** A CHECK (or unique) constraint a merge carries or its target holds, and the stored names of the columns it names. */
  record HeldCheck(io.strata.events.TableShape.Constraint check, List<String> columns) {}

  /**
   * The change set of a merge commit that takes exactly what {@link #apply} wrote: ours against the rows
   * as the table now holds them, stored like a commit's capture; empty when nothing changed.
   */
  Uni<Optional<ChangeSets.Captured>> captureApplied(X tx, TrackedTable table, BranchRef target);

  /**
   * Records what {@link #apply} wrote as the branch's working changes, staged or not, each with its
   * first before-image (ours): for an application that ends there, with no merge in progress (a stash
   * applied). Every conflict was settled or refused beforehand.
   */
  Uni<Void> recordApplied(X tx, TrackedTable table, BranchRef target, boolean staged);

  /**
   * Keeps the applied merge as a merge in progress: what it wrote becomes the branch's staged working
   * changes (a later commit takes them), its unsettled conflicts are kept beside the table (with a
   * read-only view of them where SQL reads the branch), and what it wrote is kept for {@link #abort}.
   */
  Uni<Void> keep(X tx, TrackedTable table, BranchRef target);

  /**
   * Abandons the merge in progress on the table: every row the merge or a resolution wrote that is still
   * as written goes back to ours, recording nothing; a row changed since by anyone else stays as it is
   * (a working change). Answers how many rows stayed. The merge's kept conflicts are forgotten.
   */
  Uni<Long> abort(X tx, TrackedTable table, BranchRef target);

  /** Every kept conflict of the table on {@code target}, in key order, fetched {@code fetch} at a time. */
  Multi<Conflict> conflicts(X tx, TrackedTable table, BranchRef target, int fetch);

  /** How many kept conflicts of the table on {@code target} are left. */
  Uni<Long> remaining(X tx, TrackedTable table, BranchRef target);

  /**
   * Resolves kept conflicts of the table: one row's ({@code key}, a JSON array; null: every row), one
   * column's ({@code field}; null: every conflicting column), taking {@code take} ({@code ours},
   * {@code theirs}, {@code base}, or {@code value}: the JSON {@code value} given). A row-level conflict
   * takes the chosen side's whole row; otherwise the branch's current row takes the chosen values in the
   * resolved columns. The rows are written to the target's working state, staged. Answers how many rows'
   * conflicts were resolved.
   */
  Uni<Long> resolve(X tx, TrackedTable table, BranchRef target, String key, String field, String take,
      String value);

  /** Forgets the kept conflicts of the table on {@code target} (the merge ended); none is not an error. */
  Uni<Void> end(X tx, TrackedTable table, BranchRef target);

  // ---- recovery of merges over tables in another database than the event log's ----

  /**
   * Keeps what this unit of work's merge wrote to the table on {@code target} (after {@link #apply} and
   * {@link #keep} or {@link #captureApplied}; for a fast-forward, after {@link #plan} and {@link
   * WorkingState#advance}) as the recovery sidecar of {@code attempt}, beside the table: per key, ours
   * and the row as stored. The caller commits this unit of work before the merge's event is appended.
   */
  Uni<Void> saveUndo(X tx, TrackedTable table, BranchRef target, String attempt);

  /**
   * Undoes {@code attempt}, a merge whose event was never appended: each row it wrote that is still
   * as written goes back to ours, recording nothing; a row changed since stays, a working change from
   * ours. What it kept of a merge in progress is forgotten. Answers the rows put back.
   */
  Uni<Long> undo(X tx, TrackedTable table, BranchRef target, String attempt);

  /**
   * Sets aside what the merge in progress on {@code target} wrote (what {@link #abort} puts back) as
   * the sidecar of {@code attempt}, a commit that concludes the merge and is not appended yet, and ends
   * the merge on the table.
   */
  Uni<Void> setAside(X tx, TrackedTable table, BranchRef target, String attempt);

  /** Puts back what {@link #setAside} set aside for {@code attempt}, never appended: the merge is in progress again. */
  Uni<Void> restoreSetAside(X tx, TrackedTable table, BranchRef target, String attempt);

  /**
   * The change set that leads from the source (theirs) to the merge commit, stored beside the table, so
   * history can be walked through the merge's second parent: from the sides' change sets and the merge
   * commit's own change set from ours ({@code merged}, null: none). Null when the two states are equal.
   */
  Uni<String> fromSource(X tx, TrackedTable table, List<String> ours, List<String> theirs, String merged);

  /**
   * The same for a merge commit that takes exactly what this unit of work's {@link #apply} wrote to the
   * table (nothing else changed it since): from the plan, without reading the source's change sets again.
   */
  Uni<String> fromSourceOfPlan(X tx, TrackedTable table, List<String> ours);
}
