-- A random identity of this metadata database. A storage registered by host and port may be this very
-- database under another name; Strata reads the identity through the storage's connection to know,
-- and then holds tracking there to the rules of 'local' (STRATA_LOCAL_SCHEMAS).
create table strata_meta.server_identity (id text primary key);
insert into strata_meta.server_identity values (gen_random_uuid()::text);
