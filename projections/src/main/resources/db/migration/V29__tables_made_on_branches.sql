-- Tables made through Strata on a branch and not yet in the default branch (table.made_on_branch): the branch it
-- was made on, its place on the default branch and the live branches that have it; null for every other table.
-- placed_position: where a made table reached the default branch (table.placed).
alter table strata_meta.tables add column made_on text, add column made_schema text, add column made_table text,
  add column made_branches text[], add column placed_position bigint;

-- The made tables each commit's branch had when the commit was made: the shapes at a commit name a table made on
-- a branch only there (or once it reached the default branch).
create table strata_meta.commit_made (
  repository text not null,
  commit_id text not null,
  table_name text not null,
  primary key (repository, commit_id, table_name)
);
