package io.strata.projections.rowdata.merge;

import io.strata.events.TableColumn;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the merge needs to know of a table's columns: those of type jsonb, whose objects merge key by
 * key, and the derived ones (stored generated columns), never compared because writing the merged row
 * computes them from the others.
 */
public record MergeColumns(Set<String> json, Set<String> derived) {
  public static final MergeColumns PLAIN = new MergeColumns(Set.of(), Set.of());

  public MergeColumns {
    json = Set.copyOf(json);
    derived = Set.copyOf(derived);
  }

  /** The jsonb columns of {@code columns}, and {@code derived} as the derived ones. */
  public static MergeColumns of(List<TableColumn> columns, Set<String> derived) {
    return new MergeColumns(
        columns.stream().filter(c -> c.type().equals("jsonb")).map(TableColumn::name)
            .collect(Collectors.toSet()), derived);
  }
}
