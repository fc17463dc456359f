-- A merge commit's merge (source, base, strategy, and per table the change set from its second
-- parent): history walks through either parent of a merge.
alter table strata_meta.commits add column merge jsonb;

-- The merges in progress, one per branch at most: the MergeStarted event that began each, and how
-- many conflicts are left.
create table strata_meta.merges (
  repository text not null,
  branch     text not null,
  started    jsonb not null,
  remaining  bigint not null,
  started_at timestamptz not null,
  primary key (repository, branch)
);
