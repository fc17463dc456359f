package io.strata.projections.rowdata;

import com.fasterxml.jackson.annotation.JsonIgnore;

/** Rows inserted, updated and deleted: by working changes, a write, a commit or between two states. */
public record ChangeCounts(long inserted, long updated, long deleted) {
  public static final ChangeCounts NONE = new ChangeCounts(0, 0, 0);

  @JsonIgnore // not a field of the API's counts
  public boolean isEmpty() {
    return inserted == 0 && updated == 0 && deleted == 0;
  }
}
