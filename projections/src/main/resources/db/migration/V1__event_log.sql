-- The event log: the only source of truth. One stream per repository.

-- The head of every stream. Appends update it in the same transaction as they insert events, which
-- (a) makes the expected-version check a single row-level compare-and-set and (b) tells feed readers
-- which streams have events beyond their checkpoints.
create table strata_meta.streams (
  stream_id  text primary key,
  version    bigint not null check (version >= 0),
  updated_at timestamptz not null default now()
);

create table strata_meta.events (
  position       bigint generated always as identity primary key,
  stream_id      text not null,
  stream_version bigint not null check (stream_version >= 1),
  event_id       uuid not null unique,
  type           text not null,
  subject        text not null,
  time           timestamptz not null,
  actor          text not null,
  correlation_id text,
  causation_id   text,
  data           jsonb not null,
  constraint events_stream_version_unique unique (stream_id, stream_version)
);

-- Answers of commands sent with an Idempotency-Key, written in the append transaction.
create table strata_meta.idempotency_keys (
  key         text primary key,
  fingerprint text not null,
  stream_id   text not null,
  status      int not null,
  response    text,
  position    bigint not null,
  created_at  timestamptz not null default now()
);

-- Where each projector stands in each stream; updated in the projector's own transaction.
create table strata_meta.projector_checkpoints (
  projector  text not null,
  stream_id  text not null,
  version    bigint not null,
  updated_at timestamptz not null default now(),
  primary key (projector, stream_id)
);
