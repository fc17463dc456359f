-- The table's own columns a commit's branch defined otherwise when the commit was made (alter_column of a
-- table's column on a branch: NOT NULL set or dropped, a default set or dropped), as it defined them (null:
-- none). A live branch's are kept with the columns it added (strata_meta.tables.branch_added, key
-- 'redefined').
alter table strata_meta.commit_added add column redefined jsonb;
