package io.strata.events;

import java.util.List;

/**
 * A branch's working changes (staged and not) were saved as a stash, and the branch put back at its
 * head: per table, the change set stored beside the table that leads from {@code head} to the working
 * state saved, and the tables whose shape on the branch ({@code schemaTables}: columns it added, dropped,
 * renamed or redefined, checks) it holds too, recorded as a commit's are under {@link #schemaKey} and put back
 * to the head's by the schema changes appended after it (none in a v1 stash). The branch's stashes are a stack,
 * the newest first.
 */
public record StashCreated(String branch, String id, String message, String head, Author author,
    List<StashedTable> tables, List<String> schemaTables) implements StrataEvent {
  public StashCreated {
    tables = List.copyOf(tables);
    schemaTables = schemaTables == null ? List.of() : List.copyOf(schemaTables);
  }

  /** A stash of rows alone. */
  public StashCreated(String branch, String id, String message, String head, Author author, List<StashedTable> tables) {
    this(branch, id, message, head, author, tables, List.of());
  }

  /** The key its record of the branch's shapes has among commits' ({@code strata_meta.commit_added}). */
  public String schemaKey() {
    return schemaKey(branch, id);
  }

  /**
   * The key of stash {@code id}'s record of branch {@code branch}'s shapes: {@code stash:<branch>:<id>} (a branch's
   * name has no colon), so that the branch's stashes' records are found by its prefix when it is deleted.
   */
  public static String schemaKey(String branch, String id) {
    return "stash:" + branch + ":" + id;
  }

  /** One table's stashed changes: their change set (claim check) and counts. */
  public record StashedTable(String table, String changeSet, long inserted, long updated, long deleted) {}

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
