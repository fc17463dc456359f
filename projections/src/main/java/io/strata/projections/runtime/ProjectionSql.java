package io.strata.projections.runtime;

/** Statements of the projector runtime. */
final class ProjectionSql {
  private ProjectionSql() {}

  static final String ENSURE_CHECKPOINTS =
      "insert into strata_meta.projector_checkpoints (projector, stream_id, version)"
          + " select p, $2, 0 from unnest($1::text[]) as p on conflict do nothing";

  /** Row locks make one runtime (of possibly several servers) own a stream's batch at a time. */
  static final String LOCK_CHECKPOINTS =
      "select projector, version from strata_meta.projector_checkpoints"
          + " where stream_id = $2 and projector = any($1::text[]) for update";

  static final String MOVE_CHECKPOINTS =
      "update strata_meta.projector_checkpoints set version = greatest(version, $3), updated_at = now()"
          + " where projector = any($1::text[]) and stream_id = $2";

  static final String LOWEST_CHECKPOINTS =
      "select stream_id, min(version) from strata_meta.projector_checkpoints"
          + " where projector = any($1::text[]) group by stream_id having count(*) = $2";

  static final String DELETE_CHECKPOINTS =
      "delete from strata_meta.projector_checkpoints where projector = any($1::text[])";

  static final String LOCK_FOR_REBUILD =
      "lock table strata_meta.projector_checkpoints in exclusive mode";

  static final String INSERT_CHECKPOINTS =
      "insert into strata_meta.projector_checkpoints (projector, stream_id, version)"
          + " select p, $2, $3 from unnest($1::text[]) as p";

  static final String STREAMS = "select stream_id, version from strata_meta.streams order by stream_id";

  static String digest(String table) {
    return "select count(*), md5(coalesce(string_agg(t::text, E'\\n' order by t::text), ''))"
        + " from " + table + " t";
  }
}
