package io.strata.projections.refs;

/** Statements over the repositories, branches, reflog and tags projections. */
final class RefSql {
  private RefSql() {}

  static final String INSERT_REPOSITORY =
      "insert into strata_meta.repositories (name, description, default_branch, created_at, created_by)"
          + " values ($1, $2, $3, $4, $5)";
  static final String DELETE_REPOSITORY = "delete from strata_meta.repositories where name = $1";

  static final String INSERT_BRANCH =
      "insert into strata_meta.branches (repository, name, head, protected, created_from, created_at, updated_at)"
          + " values ($1, $2, $3, $4, $5, $6, $6)";
  static final String MOVE_BRANCH =
      "update strata_meta.branches set head = $3, updated_at = $4 where repository = $1 and name = $2";
  static final String PROTECT_BRANCH =
      "update strata_meta.branches set protected = $3, updated_at = $4 where repository = $1 and name = $2";
  static final String DELETE_BRANCH =
      "delete from strata_meta.branches where repository = $1 and name = $2";
  static final String DELETE_BRANCHES = "delete from strata_meta.branches where repository = $1";

  static final String INSERT_REF_LOG =
      "insert into strata_meta.ref_log (repository, branch, stream_version, head, time, reason)"
          + " values ($1, $2, $3, $4, $5, $6)";
  static final String DELETE_REF_LOG = "delete from strata_meta.ref_log where repository = $1";

  static final String INSERT_TAG =
      "insert into strata_meta.tags (repository, name, commit_id, message, tagger_name, tagger_email, created_at)"
          + " values ($1, $2, $3, $4, $5, $6, $7)";
  static final String DELETE_TAG = "delete from strata_meta.tags where repository = $1 and name = $2";
  static final String DELETE_TAGS = "delete from strata_meta.tags where repository = $1";

  static final String REPOSITORY =
      "select r.name, r.description, r.default_branch, r.created_at, b.head"
          + " from strata_meta.repositories r"
          + " left join strata_meta.branches b on b.repository = r.name and b.name = r.default_branch"
          + " where r.name = $1";
  static final String REPOSITORIES =
      "select r.name, r.description, r.default_branch, r.created_at, b.head, count(*) over () as total"
          + " from strata_meta.repositories r"
          + " left join strata_meta.branches b on b.repository = r.name and b.name = r.default_branch"
          + " order by r.name limit $1 offset $2";
  static final String REPOSITORY_COUNT = "select count(*) from strata_meta.repositories";
  /** The same, only of the repositories named in $3 (what a token is granted). */
  static final String REPOSITORIES_AMONG =
      "select r.name, r.description, r.default_branch, r.created_at, b.head, count(*) over () as total"
          + " from strata_meta.repositories r"
          + " left join strata_meta.branches b on b.repository = r.name and b.name = r.default_branch"
          + " where r.name = any($3) order by r.name limit $1 offset $2";
  static final String REPOSITORY_COUNT_AMONG = "select count(*) from strata_meta.repositories where name = any($1)";

  static final String BRANCH_COLUMNS = "name, head, protected, created_from, created_at, updated_at";
  static final String BRANCH =
      "select " + BRANCH_COLUMNS + " from strata_meta.branches where repository = $1 and name = $2";
  static final String BRANCHES =
      "select " + BRANCH_COLUMNS + " from strata_meta.branches where repository = $1"
          + " order by name limit $2 offset $3";
  static final String BRANCH_COUNT = "select count(*) from strata_meta.branches where repository = $1";
  static final String ALL_BRANCHES =
      "select " + BRANCH_COLUMNS + " from strata_meta.branches where repository = $1";

  static final String HEAD_AT =
      "select head from strata_meta.ref_log where repository = $1 and branch = $2 and time <= $3"
          + " order by stream_version desc limit 1";

  static final String TAG_COLUMNS = "name, commit_id, message, tagger_name, tagger_email, created_at";
  static final String TAG =
      "select " + TAG_COLUMNS + " from strata_meta.tags where repository = $1 and name = $2";
  static final String TAGS =
      "select " + TAG_COLUMNS + " from strata_meta.tags where repository = $1 order by name limit $2 offset $3";
  static final String TAG_COUNT = "select count(*) from strata_meta.tags where repository = $1";
}
