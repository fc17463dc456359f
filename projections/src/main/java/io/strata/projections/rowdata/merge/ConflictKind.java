package io.strata.projections.rowdata.merge;

import java.util.Locale;

/** How a key conflicts (the seed's record conflict types), named on the wire in lower case. */
public enum ConflictKind {
  /** Both sides changed the row, some field differently. */
  MODIFY_MODIFY,
  /** Theirs deleted the row, ours changed it. */
  DELETE_MODIFY,
  /** Ours deleted the row, theirs changed it. */
  MODIFY_DELETE,
  /** Both sides added a row with the key, different rows. */
  ADD_ADD,
  /** The table refused the merged row (a constraint): only a backend writing it finds this. */
  CONSTRAINT;

  /** The kind's name on the wire ({@code modify_modify}, …). */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a resolution takes one side's whole row (every kind but {@code modify_modify}). */
  public boolean rowLevel() {
    return this != MODIFY_MODIFY;
  }
}
