-- Every shape a tracked table was recorded with, at the log position that recorded it: when it was
-- tracked (table.tracked; shape null for v1 events, whose columns and key are all that is known), after
-- each followed schema change (table.schema_changed), and its untracking (tracked false). The shape at
-- a commit is the newest one recorded at or before the newest commit of the default branch the commit
-- reaches: DDL changes the table itself, the default branch's working state, and other branches keep
-- the shape they forked with until a merge brings them a newer one.
create table strata_meta.table_shape_history (
  repository  text not null,
  name        text not null,
  position    bigint not null,
  tracked     boolean not null,
  shape       jsonb,
  columns     jsonb not null,
  primary_key text[] not null,
  primary key (repository, name, position)
);

-- the tables tracked and untracked before this version, from their events (since their repository's
-- last deletion: a repository created again under the same name starts afresh)
insert into strata_meta.table_shape_history (repository, name, position, tracked, shape, columns, primary_key)
select e.stream_id, e.data ->> 'name', e.position, e.type like 'io.strata.table.tracked.v%',
       nullif(e.data -> 'shape', 'null'::jsonb), coalesce(e.data -> 'columns', '[]'::jsonb),
       array(select jsonb_array_elements_text(coalesce(e.data -> 'primary_key', '[]'::jsonb)))
from strata_meta.events e
where (e.type like 'io.strata.table.tracked.v%' or e.type like 'io.strata.table.untracked.v%')
  and e.position > coalesce((select max(d.position) from strata_meta.events d
                             where d.stream_id = e.stream_id and d.type like 'io.strata.repository.deleted.v%'), 0);
