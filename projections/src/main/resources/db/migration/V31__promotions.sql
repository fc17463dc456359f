-- Every promotion policy a repository was given (promotion.policy_set), newest last: the one in force is the row of
-- the highest stream version. The event's data is kept whole, with who set it and when, for the policy's history.
create table strata_meta.promotion_policies (
  repository text not null,
  stream_version bigint not null,
  position bigint not null,
  policy_set jsonb not null,
  digest text not null,
  actor text,
  set_at timestamptz not null,
  primary key (repository, stream_version)
);

-- The events of every promotion request (opened, evaluated, check runs, approvals, merged, rejected), in log order:
-- the command side folds them into the requests' state, and the queries answer a request from its own.
create table strata_meta.promotion_events (
  repository text not null,
  stream_version bigint not null,
  number int not null,
  type text not null,
  data jsonb not null,
  actor text,
  recorded_at timestamptz not null,
  primary key (repository, stream_version)
);
create index promotion_events_number on strata_meta.promotion_events (repository, number, stream_version);
