package io.strata.projections.rowdata;

/** A branch's working changes of one table, net, split by staged and unstaged. */
public record WorkingStatus(ChangeCounts staged, ChangeCounts unstaged) {}
