-- An Idempotency-Key replays only into the branch incarnation it wrote to: a branch deleted and created
-- again under its name is a new scope. The incarnation (the creation time of the branch the request
-- names, null for a request that names none) is kept with the answer; a key whose branch was re-created
-- since is taken over by the next request instead of replaying what landed on the branch that was.
alter table strata_meta.idempotency_keys add column branch_incarnation text;
