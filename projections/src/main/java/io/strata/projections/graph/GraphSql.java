package io.strata.projections.graph;

/** Statements over the commit graph. Ancestry walks use recursive CTEs pruned by generation. */
final class GraphSql {
  private GraphSql() {}

  static final String INSERT_COMMIT =
      "insert into strata_meta.commits (repository, id, parents, tree, message, author_name, author_email,"
          + " created_at, generation, branch, stats, changes, position, merge, shape_position)"
          + " select $1, $2, $3, $4, $5, $6, $7, $8,"
          + " coalesce((select max(generation) from strata_meta.commits"
          + "   where repository = $1 and id = any($3::text[])), 0) + 1,"
          + " $9, $10::text::jsonb, $11::text::jsonb, $12, $13::text::jsonb,"
          // the position whose shapes are the commit's: its own on the default branch, else its parents'
          // newest (V21)
          + " case when $9 is not distinct from (select default_branch from strata_meta.repositories where name = $1)"
          + "   then $12 else coalesce((select max(shape_position) from strata_meta.commits"
          + "   where repository = $1 and id = any($3::text[])), $12) end"
          // Ids are content addresses: the same id is the same commit (e.g. two branches at the same
          // head committing the same message at the same instant), recorded once.
          + " on conflict (repository, id) do nothing";

  static final String DELETE_COMMITS = "delete from strata_meta.commits where repository = $1";

  static final String COMMIT_COLUMNS =
      "c.id, c.parents, c.tree, c.message, c.author_name, c.author_email, c.created_at, c.generation,"
          + " c.branch, c.stats::text as stats, c.changes::text as changes";

  static final String TREE = "select tree from strata_meta.commits where repository = $1 and id = $2";

  /** Whether commit $2 was made on branch $3 at or after $4. */
  static final String MADE_ON = "select exists (select 1 from strata_meta.commits where repository = $1 and id = $2"
      + " and branch = $3 and created_at >= $4)";

  static final String COMMIT =
      "select " + COMMIT_COLUMNS + " from strata_meta.commits c where c.repository = $1 and c.id = $2";

  /** Ids in [$2, $3): every id starting with a hex prefix (ids are lower-case hex, "C" collation). */
  static final String BY_PREFIX =
      "select c.id from strata_meta.commits c where c.repository = $1 and c.id >= $2 and c.id < $3"
          + " order by c.id limit $4";

  static final String FIRST_PARENT_ANCESTOR =
      "with recursive walk(id, depth) as ("
          + "  select $2::text collate \"C\", 0"
          + "  union all"
          + "  select c.parents[1], w.depth + 1 from walk w"
          + "  join strata_meta.commits c on c.repository = $1 and c.id = w.id"
          + "  where w.depth < $3 and cardinality(c.parents) > 0)"
          + " select id, depth from walk order by depth desc limit 1";

  /**
   * The log from $2, newest first, with optional filters; always one row (the total), with the
   * page's commits joined (null columns when the page is empty).
   */
  static final String LOG =
      "with recursive anc(id) as ("
          + "  select $2::text collate \"C\""
          + "  union"
          + "  select unnest(case when $3 then c.parents[1:1] else c.parents end)"
          + "  from anc join strata_meta.commits c on c.repository = $1 and c.id = anc.id),"
          + " filtered as ("
          + "  select c.* from anc join strata_meta.commits c on c.repository = $1 and c.id = anc.id"
          + "  where ($4::text is null or c.author_name = $4 or c.author_email = $4)"
          + "    and ($5::timestamptz is null or c.created_at >= $5)"
          + "    and ($6::timestamptz is null or c.created_at <= $6)"
          + "    and ($7::text is null or c.changes @> jsonb_build_array(jsonb_build_object('table', $7::text))))"
          + " select t.total, " + COMMIT_COLUMNS
          + " from (select count(*) as total from filtered) t"
          + " left join lateral (select * from filtered"
          + "   order by created_at desc, generation desc, id limit $8 offset $9) c on true"
          + " order by c.created_at desc, c.generation desc, c.id";

  /** Every ancestor of $2 (itself included) in log order: ids, times and generations only. */
  static final String ANCESTRY =
      "with recursive anc(id) as ("
          + "  select $2::text collate \"C\""
          + "  union"
          + "  select unnest(case when $3 then c.parents[1:1] else c.parents end)"
          + "  from anc join strata_meta.commits c on c.repository = $1 and c.id = anc.id)"
          + " select c.id, c.created_at, c.generation from anc"
          + " join strata_meta.commits c on c.repository = $1 and c.id = anc.id"
          + " order by c.created_at desc, c.generation desc, c.id";

  static final String COMMITS_BY_ID =
      "select " + COMMIT_COLUMNS + " from strata_meta.commits c where c.repository = $1 and c.id = any($2::text[])";

  /**
   * The commits a path from $2 back to its ancestor $3 can pass through: those reachable from $2 whose
   * generation is above $3's (and their parents), with their parents, change sets and merges.
   */
  static final String PATH_CANDIDATES =
      "with recursive target as ("
          + "  select generation from strata_meta.commits where repository = $1 and id = $3),"
          + " walk(id) as ("
          + "  select $2::text collate \"C\""
          + "  union"
          + "  select unnest(c.parents) from walk join strata_meta.commits c on c.repository = $1 and c.id = walk.id"
          + "  where c.generation > (select generation from target))"
          + " select c.id, c.parents, c.changes::text, c.merge::text from walk"
          + " join strata_meta.commits c on c.repository = $1 and c.id = walk.id";

  /**
   * The merge base of $2 and $3: of their common ancestors, the one of the highest generation (never an
   * ancestor of another common ancestor), then the newest, then the smallest id. With several lowest
   * common ancestors (criss-cross merges) the choice is deterministic.
   */
  static final String MERGE_BASE =
      "with recursive a(id) as (select $2::text collate \"C\" union"
          + "   select unnest(c.parents) from a join strata_meta.commits c on c.repository = $1 and c.id = a.id),"
          + " b(id) as (select $3::text collate \"C\" union"
          + "   select unnest(c.parents) from b join strata_meta.commits c on c.repository = $1 and c.id = b.id)"
          + " select c.id from (select id from a intersect select id from b) m"
          + " join strata_meta.commits c on c.repository = $1 and c.id = m.id"
          + " order by c.generation desc, c.created_at desc, c.id limit 1";

  static final String COMPARE =
      "with recursive"
          + " base(id) as (select $2::text collate \"C\" union"
          + "   select unnest(c.parents) from base join strata_meta.commits c on c.repository = $1 and c.id = base.id),"
          + " head(id) as (select $3::text collate \"C\" union"
          + "   select unnest(c.parents) from head join strata_meta.commits c on c.repository = $1 and c.id = head.id)"
          + " select"
          + "  (select c.id from (select id from base intersect select id from head) m"
          + "     join strata_meta.commits c on c.repository = $1 and c.id = m.id"
          + "     order by c.generation desc, c.created_at desc, c.id limit 1) as merge_base,"
          + "  (select count(*) from (select id from head except select id from base) a) as ahead,"
          + "  (select count(*) from (select id from base except select id from head) b) as behind";

  /** Whether $2 is reachable from (or equal to) any of the commits $3. */
  static final String REACHABLE =
      "with recursive target as ("
          + "  select generation from strata_meta.commits where repository = $1 and id = $2),"
          + " walk(id) as ("
          + "  select unnest($3::text[]) collate \"C\""
          + "  union"
          + "  select unnest(c.parents) from walk join strata_meta.commits c on c.repository = $1 and c.id = walk.id"
          + "  where c.generation > (select generation from target))"
          + " select exists(select 1 from walk where id = $2)";
}
