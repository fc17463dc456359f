package io.strata.server.domain;

import io.strata.events.BranchHeadMoved;
import io.strata.events.CommitCreated;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.events.TableChange;
import io.strata.events.TablePlaced;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableTracked;
import io.strata.events.TableUntracked;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tracked tables as the default branch has them: their place, shape and content, and per table the newest DDL
 * command a recorded schema change covers. Part of {@link RepositoryState}, which answers for them.
 */
final class TrackedTables {
  private final Map<String, TableTracked> tables = new HashMap<>();
  /** Per table, the newest DDL command (its id in the table's database) a recorded schema change covers. */
  private final Map<String, Long> ddlRecorded = new HashMap<>();

  /** A copy that later evolutions of this one leave alone. */
  TrackedTables copy() {
    TrackedTables c = new TrackedTables();
    c.tables.putAll(tables);
    c.ddlRecorded.putAll(ddlRecorded);
    return c;
  }

  /** Folds one event in: the tables tracked, placed, reshaped and untracked, and the default branch's content. */
  void evolve(StrataEvent event, String defaultBranch) {
    if (event instanceof RepositoryDeleted) {
      tables.clear();
      ddlRecorded.clear();
    } else if (event instanceof CommitCreated e) {
      // the tracked tables' content is the default branch's; other branches' commits carry their own
      for (TableChange c : e.branch() != null && e.branch().equals(defaultBranch) ? e.changes()
          : List.<TableChange>of()) {
        TableTracked t = tables.get(c.table());
        if (t != null) {
          tables.put(c.table(), t.withContent(c.rowCount(), c.rowSum()));
        }
      }
    } else if (event instanceof BranchHeadMoved e) {
      for (BranchHeadMoved.TableContent c : e.branch().equals(defaultBranch) ? e.tables()
          : List.<BranchHeadMoved.TableContent>of()) {
        TableTracked t = tables.get(c.table());
        if (t != null) {
          tables.put(c.table(), t.withContent(c.rowCount(), c.rowSum()));
        }
      }
    } else if (event instanceof TableTracked e) {
      tables.put(e.name(), e);
      ddlRecorded.remove(e.name());
    } else if (event instanceof TableSchemaChanged e && e.branch().equals(defaultBranch)) {
      tables.computeIfPresent(e.name(), (n, t) -> t.withShape(e.shape()));
      ddlRecorded.put(e.name(), e.ddlThrough());
    } else if (event instanceof TablePlaced e) {
      tables.computeIfPresent(e.name(), (n, t) -> e.shape() == null ? t.placed(e.schema(), e.table())
          : t.placed(e.schema(), e.table()).withShape(e.shape()));
    } else if (event instanceof TableUntracked e) {
      tables.remove(e.name());
      ddlRecorded.remove(e.name());
    }
  }

  /** Restores them from the projections. */
  void restore(Map<String, TableTracked> tables, Map<String, Long> ddlRecorded) {
    this.tables.putAll(tables);
    this.ddlRecorded.putAll(ddlRecorded);
  }

  /** The tables by name (the map itself: the state's answer). */
  Map<String, TableTracked> all() {
    return tables;
  }

  long ddlRecordedThrough(String table) {
    return ddlRecorded.getOrDefault(table, 0L);
  }
}
