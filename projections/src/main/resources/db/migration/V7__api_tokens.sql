-- API tokens (STRATA_AUTH=token). Server access configuration, not repository history: kept here,
-- not in the event log (a rebuild replays the log and must neither need nor resurrect credentials).
-- Only the SHA-256 (hex) of a token's secret is stored; the secret is shown once, when it is created.
-- A revoked token keeps its row (revoked_at, revoked_by): the table is its own audit trail, and a
-- name is never reused, so the actor "token:<name>" on events names one token forever.
create table strata_meta.api_tokens (
  id           text primary key,
  name         text not null unique,
  role         text not null check (role in ('reader', 'writer', 'admin')),
  repositories text[] not null,
  token_hash   text not null unique,
  expires_at   timestamptz,
  created_at   timestamptz not null default now(),
  created_by   text not null,
  revoked_at   timestamptz,
  revoked_by   text
);
