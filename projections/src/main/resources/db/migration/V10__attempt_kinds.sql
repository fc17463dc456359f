-- What an intent stands for (ARCHITECTURE.md §4, point 5): a commit capturing rows in another
-- database ('commit', put back if never appended), a merge writing there ('merge', undone if never
-- appended), or the abort of a merge in progress, whose rows there are put back after its event is
-- appended ('abort', completed by recovery if the server stops first).
alter table strata_meta.commit_intents add column kind text not null default 'commit';
