-- Commits in flight that capture rows in another database (a registered storage). An intent is
-- written, and committed, before the capture there, and deleted by the transaction that appends the
-- commit: one left behind is a commit that was never appended, whose captured working changes the
-- recovery sweep puts back (ARCHITECTURE.md §4, point 5). Its owner holds a transaction-level
-- advisory lock on it while the commit is in flight.
create table strata_meta.commit_intents (
  id         text primary key,
  repository text not null,
  branch     text not null,
  storages   text[] not null,
  created_at timestamptz not null default now()
);
create index commit_intents_repository on strata_meta.commit_intents (repository);
