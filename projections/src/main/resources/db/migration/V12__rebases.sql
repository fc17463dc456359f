-- The rebases in progress, one per branch at most: the RebaseStarted event that began each, and how
-- many of its commits were replayed or skipped since.
create table strata_meta.rebases (
  repository text not null,
  branch     text not null,
  started    jsonb not null,
  done       int not null,
  started_at timestamptz not null,
  primary key (repository, branch)
);
