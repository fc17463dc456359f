-- Reactors: consumers of the event feed that act outside this database (the Kafka relay, the webhook
-- dispatcher). Each has one row: its checkpoint in the feed (the txid and position of the last event
-- it finished with, V13__event_feed_order.sql) and a lease. One server holds a reactor's lease at a
-- time; it renews the lease while it runs, and another server takes it over once it lapses (the owner
-- died). The checkpoint moves only after the reactor's side effect succeeded, by a compare-and-set on
-- the owner: a server that lost the lease cannot move it.
create table strata_meta.reactors (
  name        text primary key,
  txid        bigint not null default 0,
  position    bigint not null default 0,
  owner       text,
  lease_until timestamptz,
  updated_at  timestamptz not null default now()
);
