-- The metaData.id of a tracked Delta table when Strata tracked it (on its default branch's ref): a table removed and
-- made anew at its path by another engine has another, and Strata refuses to read it as the one it versioned (its
-- recorded versions would read the new table's). Null for tables tracked before: recorded by the recovery sweep.
alter table strata_meta.delta_refs add column table_id text;
