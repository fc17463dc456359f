-- A delivery no longer keeps its own copy of the CloudEvent it sends: the event log holds the event at
-- the delivery's position for good, and the sender serialises it from there (once per event, kept in
-- memory for all the endpoints it goes to). Ten endpoints meant ten copies of every event's JSON,
-- written again by every state change of the delivery.
alter table strata_meta.webhook_deliveries drop column payload;
