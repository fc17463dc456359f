-- Idempotency-Keys expire (STRATA_IDEMPOTENCY_TTL, 24 h by default): lookups ignore older answers and
-- a periodic purge deletes them, oldest first by this index. Keys are stored scoped to the repository
-- and the operation (a hash of both with the client's key), so keys stored before this version no
-- longer match anything and go with the first purge after their lifetime.
create index idempotency_keys_created_at on strata_meta.idempotency_keys (created_at);
