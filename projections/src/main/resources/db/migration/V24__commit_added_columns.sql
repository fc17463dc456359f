-- Per commit made on a branch that had added columns through Strata, per table, those columns (their
-- definitions, as strata_meta.tables.branch_added had them when the commit was made): what a hard reset of
-- a branch to the commit gives the branch back.
create table strata_meta.commit_added (
  repository text not null,
  commit_id text not null,
  table_name text not null,
  added jsonb not null,
  primary key (repository, commit_id, table_name)
);
