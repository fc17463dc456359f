-- Delta Lake storages (type 'delta'): where their tables live and how S3 is reached (never a secret, only where to
-- read it), as the event recorded it. PostgreSQL storages keep host, port, database and user; a Delta one has none.
alter table strata_meta.storages add column delta jsonb;
alter table strata_meta.storages alter column host drop not null;
alter table strata_meta.storages alter column database drop not null;
alter table strata_meta.storages alter column username drop not null;
