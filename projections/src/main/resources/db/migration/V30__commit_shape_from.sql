-- Per commit made on a branch other than the default one, per table, the log position of the table's recorded
-- shape (strata_meta.table_shape_history) the branch read its columns from when the commit was made, where that is
-- not the shape the commit's shape_position gives: a branch created after DDL on the default branch and before its
-- next commit reads the table's new columns, a branch that kept its columns when the table gained some reads them as
-- the table had them before, and a branch that took columns in a merge reads the table's newer shape. Rows filed
-- before V30 have none: their shape is the one at shape_position.
create table strata_meta.commit_shape_from (
  repository text not null,
  commit_id text not null,
  table_name text not null,
  position bigint not null,
  primary key (repository, commit_id, table_name)
);
