-- The schema changes Strata made to tracked Delta tables themselves (a merge giving the default branch's table the
-- columns a branch added), filed in the transaction of the unit that wrote them, as PostgreSQL's DDL guard files
-- DDL: the schema follower records each table's shape after them as table.schema_changed, then forgets them.
create table strata_meta.delta_followed_ddl (
  id          bigserial primary key,
  repository  text not null,
  table_name  text not null,
  schema_name text not null,
  path        text not null,
  command     text not null,
  object      text not null,
  actor       text not null,
  at          timestamptz not null default now()
);
create index delta_followed_ddl_repository on strata_meta.delta_followed_ddl (repository);
