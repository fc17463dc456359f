-- Webhooks: endpoints that receive the event feed over HTTP (Standard Webhooks signatures, CloudEvents
-- bodies). The "webhooks" reactor (V14) reads the feed and enqueues a delivery per matching endpoint;
-- senders deliver each endpoint's queue one delivery at a time, in feed order. Everything a sender
-- needs is here, so a restart (or a crash) loses nothing: a pending delivery is retried by whichever
-- server holds the endpoint's lease next.
create table strata_meta.webhook_endpoints (
  id                    text primary key,
  url                   text not null,
  description           text,
  -- null = no filter on that dimension
  filter_repositories   text[],
  filter_types          text[],
  filter_branches       text[],
  -- The signing secret (whsec_...). Kept in clear because signing needs it (as Standard Webhooks
  -- senders do); it is answered only at creation and rotation.
  secret                text not null,
  -- after a rotation, the old secret still signs (beside the new one) until previous_secret_until
  previous_secret       text,
  previous_secret_until timestamptz,
  -- events appended after this position are the endpoint's; older ones are not sent to it
  start_position        bigint not null,
  enabled               boolean not null default true,
  disabled_reason       text,
  disabled_at           timestamptz,
  -- the first failed attempt since the last success: the endpoint is disabled when it gets too old
  failing_since         timestamptz,
  -- the sender delivering to this endpoint now: one at a time, across servers
  lease_owner           text,
  lease_until           timestamptz,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now()
);

create table strata_meta.webhook_deliveries (
  id              bigint generated always as identity primary key,
  endpoint_id     text not null references strata_meta.webhook_endpoints (id) on delete cascade,
  -- the event's place in the feed: deliveries of one endpoint go in (feed_txid, position) order
  feed_txid       bigint not null,
  position        bigint not null,
  event_id        uuid not null,
  event_type      text not null,
  repository      text not null,
  -- the CloudEvent JSON, as sent on every attempt
  payload         text not null,
  state           text not null default 'pending' check (state in ('pending', 'delivered', 'failed')),
  attempts        int not null default 0,
  next_attempt_at timestamptz not null default now(),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  -- a batch the reactor reads again (after a failure) enqueues nothing twice
  unique (endpoint_id, position)
);

-- an endpoint's head: its oldest pending delivery
create index webhook_deliveries_pending on strata_meta.webhook_deliveries (endpoint_id, feed_txid, position)
  where state = 'pending';

create table strata_meta.webhook_attempts (
  id          bigint generated always as identity primary key,
  delivery_id bigint not null references strata_meta.webhook_deliveries (id) on delete cascade,
  at          timestamptz not null,
  -- null when no answer came (timeout, connection refused, refused address)
  status_code int,
  latency_ms  int not null,
  error       text
);

create index webhook_attempts_of_delivery on strata_meta.webhook_attempts (delivery_id, id);
