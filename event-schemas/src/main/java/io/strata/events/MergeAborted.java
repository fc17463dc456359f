package io.strata.events;

import java.util.List;

/** The merge in progress on {@code branch} was abandoned: the tables it wrote are back at the branch's head. */
public record MergeAborted(String branch, String sourceCommit, List<String> tables) implements StrataEvent {
  public MergeAborted {
    tables = List.copyOf(tables);
  }

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
