package io.strata.projections.rowdata;

/**
 * One backend's implementation of every row-data role, all working in its {@link UnitOfWork}: what
 * the registry of storages gives for each storage kind.
 */
public record RowDataRoles(
    Tracking<UnitOfWork> tracking,
    BranchObjects<UnitOfWork> branchObjects,
    WorkingState<UnitOfWork> workingState,
    ChangeSets<UnitOfWork> changeSets,
    StateReads<UnitOfWork> stateReads,
    QueryAccess<UnitOfWork> queryAccess,
    Merges<UnitOfWork> merges,
    TableMaking<UnitOfWork> tableMaking) {}
