-- Delta versions a unit of work is writing, journalled (committed on their own) before each is written: a unit whose
-- transaction commits deletes its rows in that transaction; one rolled back puts its rows back and deletes them; one
-- whose process died leaves them, and the recovery sweep at start puts back the rows of the versions written under
-- the unit's transaction ids (found in the log's commitInfo) that nobody changed since. A live unit holds an advisory
-- lock on its id for its transaction: the sweep of another server passes its intents by.
create table strata_meta.delta_intents (
  unit           text not null,
  root           text not null,
  before_version bigint not null,
  key            text[] not null,
  at             timestamptz not null default now(),
  primary key (unit, root, before_version)
);
