-- Per tracked table, the columns live branches added through Strata (table.branch_schema_changed):
-- [{"branch": …, "columns": [{name, type, nullable, collation, default_value, generated, identity}, …]}, …],
-- the newest event's list per branch, less the branches deleted since. Rows a branch has not written read
-- such a column as its constant default (default_value).
alter table strata_meta.tables add column branch_added jsonb not null default '[]';
