-- The feed's order (GET /api/v1/events, the Kafka relay, webhooks): commit order, by transaction id.
--
-- Positions come from a sequence when an event is inserted, not when it commits: a reader polling
-- by position alone would skip an event whose transaction commits after a later position was read.
-- Each event records the transaction that appended it; a feed reader reads only events whose
-- transaction is older than every transaction still running (pg_snapshot_xmin of its snapshot),
-- in (txid, position) order, after the (txid, position) of the last event it read. Every transaction
-- below that horizon has ended, so no event can appear behind the cursor: nothing is skipped.
--
-- Within a stream that order is also the stream's version order: an append requires its transaction
-- id to be above the one that last advanced the stream (streams.last_txid), or it conflicts and the
-- command is decided again in a new transaction (a newer id).
alter table strata_meta.events add column txid bigint not null default (pg_current_xact_id()::text::bigint);
create index events_feed_order on strata_meta.events (txid, position);
create index events_stream_feed_order on strata_meta.events (stream_id, txid, position);

alter table strata_meta.streams add column last_txid bigint not null default 0;
