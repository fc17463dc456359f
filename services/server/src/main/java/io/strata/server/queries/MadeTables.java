package io.strata.server.queries;

import io.smallrye.mutiny.Uni;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a table made on a branch (and not yet in the default branch) is: on the branches that have it, and at the
 * commits their branches made while they had it. Everywhere else it is not tracked (404), as a table is not at a
 * commit made before it was tracked.
 */
@ApplicationScoped
public class MadeTables {
  private final TableQueries tables;

  @Inject
  public MadeTables(TableQueries tables) {
    this.tables = tables;
  }

  /** Refuses (404) a read or write of {@code table} on live branch {@code branch} when the branch does not have it. */
  public static void requireOn(TableRow table, String branch) {
    if (!table.on(branch)) {
      throw notOn(table, "branch '" + branch + "'");
    }
  }

  /**
   * Refuses (404) a read of {@code table} at commit {@code commit} (the ref {@code ref} names) when it lacks it: a
   * table made on a branch, not yet in the default branch. Once placed, a commit made where it was not reads it empty,
   * as a commit made before a table was tracked does.
   */
  public Uni<Void> requireAt(String repository, TableRow table, String commit, String ref) {
    if (table.made() == null) {
      return Uni.createFrom().voidItem();
    }
    return tables.madeAt(repository, List.of(commit)).invoke(made -> {
      if (made.absent().getOrDefault(commit, Set.of()).contains(table.name())) {
        throw notOn(table, "'" + ref + "'");
      }
    }).replaceWithVoid();
  }

  /**
   * The tables of {@code all} that a read at commit {@code commit} — or of live branch {@code branch}, when not null
   * — has: every table but those made on a branch it does not have.
   */
  public Uni<List<TableRow>> presentAt(String repository, List<TableRow> all, String commit, String branch) {
    if (all.stream().allMatch(t -> t.made() == null && t.placedPosition() == null)) {
      return Uni.createFrom().item(all);
    }
    if (branch != null) {
      return Uni.createFrom().item(all.stream().filter(t -> t.on(branch)).toList());
    }
    return tables.madeAt(repository, List.of(commit)).map(made -> all.stream()
        .filter(t -> !made.absent().getOrDefault(commit, Set.of()).contains(t.name())).toList());
  }

  private static StrataException notOn(TableRow table, String where) {
    return new StrataException(ErrorCode.TableNotFound, "table '" + table.name() + "' is not on " + where + ": it was"
        + " made on branch '" + table.made().branch() + "' and is on " + String.join(", ", table.made().branches())
        + " only, until a merge brings it", Map.of("table", table.name()));
  }
}
