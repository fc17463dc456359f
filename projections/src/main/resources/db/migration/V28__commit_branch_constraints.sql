-- The CHECK constraints a commit's branch had added to a table when the commit was made (add_constraint on a
-- branch; null: none). A live branch's are kept with the columns it added (strata_meta.tables.branch_added, key
-- 'constraints').
alter table strata_meta.commit_added add column constraints jsonb;
