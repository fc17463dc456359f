package io.strata.projections.rowdata;

import java.util.List;

/**
 * How a wanted state of a table differs from a branch's working state: the change sets to undo and
 * to redo (oldest first), and whether the branch's working changes are undone too. A commit's state,
 * read from a branch, is the branch's working state with such a path applied: O(changes), never
 * O(table).
 */
public record StatePath(List<String> undo, List<String> redo, boolean undoWorkingChanges) {
  /** The working state itself. */
  public static final StatePath WORKING = new StatePath(List.of(), List.of(), false);

  public StatePath {
    undo = List.copyOf(undo);
    redo = List.copyOf(redo);
  }

  public boolean isWorking() {
    return undo.isEmpty() && redo.isEmpty() && !undoWorkingChanges;
  }
}
