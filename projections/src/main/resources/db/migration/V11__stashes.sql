-- Each branch's stashes (a stack: the newest has the highest stream version): the StashCreated event
-- that saved each, until it is popped, dropped, or its branch deleted.
create table strata_meta.stashes (
  repository text not null,
  branch     text not null,
  id         text not null,
  seq        bigint not null,
  created    jsonb not null,
  created_at timestamptz not null,
  primary key (repository, id)
);
create index stashes_branch on strata_meta.stashes (repository, branch, seq);
