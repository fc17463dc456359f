-- Per commit, the log position whose recorded table shapes are the commit's: its own when it is a commit
-- of the default branch (DDL changes the table itself, the default branch's working state), else the
-- newest such position among its parents' (a branch keeps the shapes it forked with until a merge
-- brings it newer ones). Written with the commit from its parents' values, so that the shapes at a
-- commit are found with one lookup instead of a walk of the history back to the default branch.
alter table strata_meta.commits add column shape_position bigint;

do $$
declare c record;
begin
  for c in select m.repository, m.id, m.parents, m.branch, m.position, r.default_branch
           from strata_meta.commits m left join strata_meta.repositories r on r.name = m.repository
           order by m.position loop
    update strata_meta.commits set shape_position = case
        when c.branch is not distinct from c.default_branch then c.position
        else coalesce((select max(p.shape_position) from strata_meta.commits p
                       where p.repository = c.repository and p.id = any(c.parents)), c.position) end
      where repository = c.repository and id = c.id;
  end loop;
end $$;

alter table strata_meta.commits alter column shape_position set not null;
