package io.strata.projections.log;

import java.util.List;

/** What an append wrote: the stream's new version and the global position of each event. */
public record AppendResult(String streamId, long version, List<Long> positions) {
  public long lastPosition() {
    return positions.get(positions.size() - 1);
  }
}
