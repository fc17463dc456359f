-- The columns live branches show under another name (rename_column on a branch: the column keeps the name it
-- is stored under, in the table and the branch's objects): per branch, stored name -> shown name.
alter table strata_meta.tables add column branch_renamed jsonb not null default '[]';
-- The same for a commit's branch when the commit was made (null: it renamed none).
alter table strata_meta.commit_added add column renamed jsonb;
