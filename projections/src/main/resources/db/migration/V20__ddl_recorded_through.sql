-- Per tracked table, the newest DDL command (its id in the table's database) that a recorded schema
-- change (table.schema_changed) covers: a later recording of older commands is no change.
alter table strata_meta.tables add column ddl_through bigint not null default 0;
