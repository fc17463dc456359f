-- Projections of the metadata: repositories, branch heads and their reflog, the commit graph, tags.
-- Written only by projectors; rebuilt by replaying the log.

create table strata_meta.repositories (
  name           text primary key,
  description    text,
  default_branch text not null,
  created_at     timestamptz not null,
  created_by     text not null
);

create table strata_meta.branches (
  repository   text not null,
  name         text not null,
  head         text collate "C" not null,
  protected    boolean not null,
  created_from text,
  created_at   timestamptz not null,
  updated_at   timestamptz not null,
  primary key (repository, name)
);

-- Every move of every branch head (null head = deleted): answers <branch>@{<timestamp>}.
create table strata_meta.ref_log (
  repository     text not null,
  branch         text not null,
  stream_version bigint not null,
  head           text collate "C",
  time           timestamptz not null,
  reason         text not null,
  primary key (repository, branch, stream_version)
);

create table strata_meta.commits (
  repository   text not null,
  id           text collate "C" not null,
  parents      text[] collate "C" not null,
  tree         text not null,
  message      text not null,
  author_name  text not null,
  author_email text not null,
  created_at   timestamptz not null,
  -- 1 + the largest generation of the parents: lets ancestry walks stop early.
  generation   integer not null,
  branch       text,
  stats        jsonb not null,
  changes      jsonb not null,
  position     bigint not null,
  primary key (repository, id)
);
create index commits_created_at on strata_meta.commits (repository, created_at desc);

create table strata_meta.tags (
  repository   text not null,
  name         text not null,
  commit_id    text collate "C" not null,
  message      text,
  tagger_name  text not null,
  tagger_email text not null,
  created_at   timestamptz not null,
  primary key (repository, name)
);
