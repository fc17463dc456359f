-- What Strata keeps of each tracked Delta Lake table, in its own database (docs/delta.md): per branch, the table root
-- it reads and writes (the table's own for the default branch, a shallow clone's under _strata/ for another), the
-- state of its last commit (a root and a version: a commit of the branch, or the state it was forked from) and up to
-- which version of its root its working changes are staged; the default branch's row keeps the key the table is
-- tracked by.
create table strata_meta.delta_refs (
  repository     text not null,
  table_name     text not null,
  branch         text not null,
  root           text not null,
  base_root      text not null,
  base_version   bigint not null,
  staged_version bigint,
  key            text[],
  primary key (repository, table_name, branch)
);

-- A commit's change of a Delta table: from one state to another (a root and a version each), content-addressed. Its
-- rows are read from the files the two states differ in.
create table strata_meta.delta_change_sets (
  id           text primary key,
  repository   text not null,
  table_name   text not null,
  from_root    text not null,
  from_version bigint not null,
  to_root      text not null,
  to_version   bigint not null
);
create index delta_change_sets_table on strata_meta.delta_change_sets (repository, table_name);

-- What a commit attempt captured, kept until it is appended or put back: the branch's ref as it was before.
create table strata_meta.delta_kept_attempts (
  attempt        text not null,
  repository     text not null,
  table_name     text not null,
  branch         text not null,
  base_root      text not null,
  base_version   bigint not null,
  staged_version bigint,
  primary key (attempt, repository, table_name, branch)
);

-- What a move of a branch's working state (a reset, a merge's writes) whose event is not appended yet wrote, kept
-- to undo it if the event never is: the root's version before and the one written, and the branch's ref before.
create table strata_meta.delta_undo (
  attempt         text not null,
  repository      text not null,
  table_name      text not null,
  branch          text not null,
  root            text not null,
  before_version  bigint not null,
  written_version bigint not null,
  base_root       text not null,
  base_version    bigint not null,
  staged_version  bigint,
  primary key (attempt, repository, table_name, branch)
);

-- A Delta merge in progress on a branch (attempt ''), or set aside for a commit not appended yet (its attempt): its
-- unsettled conflicts, in key order, and the rows it and its resolutions wrote (what an abort puts back to ours).
create table strata_meta.delta_conflicts (
  repository text not null,
  table_name text not null,
  branch     text not null,
  attempt    text not null,
  ordinal    bigint not null,
  key        text not null,
  type       text not null,
  fields     text not null,
  base_row   text,
  ours_row   text,
  theirs_row text,
  primary key (repository, table_name, branch, attempt, key)
);
create table strata_meta.delta_written (
  repository text not null,
  table_name text not null,
  branch     text not null,
  attempt    text not null,
  key        text not null,
  ours_row   text,
  written    text,
  primary key (repository, table_name, branch, attempt, key)
);
