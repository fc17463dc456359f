-- Storage connections registered with each repository (no passwords: only where to read them).
create table strata_meta.storages (
  repository    text not null,
  name          text not null,
  type          text not null,
  host          text not null,
  port          integer not null,
  database      text not null,
  username      text not null,
  password_env  text,
  password_file text,
  created_at    timestamptz not null,
  primary key (repository, name)
);
