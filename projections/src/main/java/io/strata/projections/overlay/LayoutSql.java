package io.strata.projections.overlay;

/** The statements that read, record and upgrade the layout version of Strata's objects in a database. */
final class LayoutSql {
  private LayoutSql() {}

  /**
   * The version table, locked for the upgrade: a second server upgrading the same database waits and
   * then finds the version already recorded.
   */
  static final String PREPARE = """
      create schema if not exists strata;
      create table if not exists strata.layout (
        version int primary key,
        upgraded_at timestamptz not null default now());
      lock table strata.layout in exclusive mode""";

  /**
   * The recorded version; with none recorded, 1 where Strata's registry exists (a database written by a
   * build before layout versions, the layout of 65f10d3) and 0 where nothing of Strata's is there yet.
   */
  static final String VERSION = """
      select coalesce(
        (select max(version) from strata.layout),
        case when to_regclass('strata.tracked_tables') is null then 0 else 1 end)""";

  /**
   * The tables every database Strata writes into has, as layout 1 left them (and builds before it
   * patched them): the registry of tracked tables (one repository per table), each live branch's
   * objects per table, and the recovery sidecars — the working-log rows a cross-storage commit attempt
   * captured here, kept until the commit is appended (then dropped) or abandoned (then put back).
   */
  static final String BASE = """
      create table if not exists strata.tracked_tables (
        tid text primary key, repository text not null, name text not null,
        schema_name text not null, table_name text not null, tracked_at timestamptz not null default now(),
        unique (schema_name, table_name));
      alter table strata.tracked_tables add column if not exists last_epoch bigint not null default 0;
      create table if not exists strata.branch_overlays (
        tid text not null, bid text not null, branch text not null, view_schema text not null,
        view_name text not null, created_at timestamptz not null default now(), primary key (tid, bid));
      alter table strata.branch_overlays add column if not exists fork_epoch bigint not null default 0;
      create table if not exists strata.commit_sidecars (
        attempt text not null, tid text not null, key jsonb not null, before jsonb,
        primary key (attempt, tid, key))""";

  static final String RECORD = "insert into strata.layout (version) values ($1)";

  /** The tables tracked in this database: tid, schema and table. */
  static final String TRACKED = "select tid, schema_name, table_name from strata.tracked_tables order by tid";

  /**
   * The layout a tracked table was given when it was tracked, as its working log keeps it ($1: the
   * working log; $2: the table): the columns in order, whether each may be NULL in the table, and the
   * position of each key column in the primary key (null: not a key column).
   */
  static final String TRACKED_LAYOUT = """
      select a.attname, format_type(a.atttypid, a.atttypmod), not coalesce(t.attnotnull, false),
             array_position(i.indkey::int2[], a.attnum)
      from pg_attribute a
      join pg_index i on i.indrelid = a.attrelid and i.indisprimary
      left join pg_attribute t on t.attrelid = $2::regclass and t.attname = a.attname and not t.attisdropped
      where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped and a.attname !~ '^__'
      order by a.attnum""";
}
