-- Tables each repository versions, with what tracking found.
create table strata_meta.tables (
  repository   text not null,
  name         text not null,
  storage      text not null,
  schema_name  text not null,
  table_name   text not null,
  primary_key  text[] not null,
  columns      jsonb not null,
  row_count    bigint not null,
  row_sum      text not null,
  content_hash text not null,
  tracked_at   timestamptz not null,
  primary key (repository, name)
);
