-- The columns a commit's branch read of each table when the commit was made, by name in order, where the
-- branch had columns of its own (it dropped columns of the table, added its own, or kept its columns when
-- the table gained one): a commit's shape is the table's recorded shape then, in those columns. Null for
-- rows filed before (their branch read the table's columns and those it had added).
alter table strata_meta.commit_added add column columns jsonb;
