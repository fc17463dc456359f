-- The full shape of each tracked table as recorded when it was tracked (table.tracked.v2): columns with
-- defaults, generation and identity, constraints and indexes. Null for tables tracked before shapes
-- were recorded, whose columns and key are all that is known.
alter table strata_meta.tables add column shape jsonb;
