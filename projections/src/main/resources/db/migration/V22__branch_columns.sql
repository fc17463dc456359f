-- Per tracked table, the live branches whose columns are not the table's (a branch that read the table
-- when it gained columns keeps the ones it had): [{"branch": …, "columns": [{name, type, nullable}, …]}, …],
-- as the newest table.schema_changed recorded them, less the branches deleted since.
alter table strata_meta.tables add column branch_columns jsonb not null default '[]';
