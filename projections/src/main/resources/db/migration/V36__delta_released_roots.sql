-- The roots of Delta branch tables whose refs were forgotten (the branch deleted), recorded in the transaction that
-- forgot them: the recovery sweep deletes each once nothing can reach it (docs/delta.md, Garbage), and forgets the
-- record once the root is gone or a commit reaches it for good; one it kept is looked at again a grace period after
-- it was (checked_at), not at every sweep.
create table strata_meta.delta_released_roots (
  repository  text not null,
  table_name  text not null,
  root        text not null,
  released_at timestamptz not null default now(),
  checked_at  timestamptz,
  primary key (repository, table_name, root)
);

-- The root of the branch's table a commit attempt captured from: an attempt put back after its branch was deleted and
-- made anew under its name leaves the new branch's ref alone.
alter table strata_meta.delta_kept_attempts add column root text;
