package io.strata.projections.overlay;

import io.strata.events.TableShape;

/**
 * The statements of the table's own unique constraints on a branch ({@link PgOwnUniques}): which the table has, which a
 * branch's overlay holds (registered {@code own} with {@link BranchUniquesSql#hold}), and whether the rows a new
 * branch starts from share the values of one.
 */
final class OwnUniquesSql {
  private OwnUniquesSql() {}

  /** The registry's key of the table's own unique constraint {@code name} (no rule of a branch's is named so). */
  static String ownKey(String name) {
    return "table:" + name;
  }

  /** The name of the table's own unique constraint registered under {@code key} ({@link #ownKey}). */
  static String ownName(String key) {
    return key.substring("table:".length());
  }

  /**
   * The table's own unique constraints a new branch holds, as {@code (name, definition)} rows of table $1 (regclass
   * text): plain {@code UNIQUE (a, b)} ones ({@link BranchUniquesSql#holdable}: not deferrable, nulls distinct, no
   * INCLUDE) whose columns' types compare with PostgreSQL's own equality (or are enums). The constraint's index is
   * the lookup index among the table's rows.
   */
  static final String TABLE_UNIQUES = """
      select k.conname::text, pg_get_constraintdef(k.oid) from pg_constraint k
       where k.conrelid = $1::regclass and k.contype = 'u' and not k.condeferrable
         and not exists (select 1 from unnest(k.conkey) n join pg_attribute a on a.attrelid = k.conrelid and a.attnum = n
                         join pg_type t on t.oid = a.atttypid left join pg_type d on d.oid = nullif(t.typbasetype, 0)
                        where coalesce(d.typnamespace, t.typnamespace) <> 'pg_catalog'::regnamespace
                          and coalesce(d.typtype, t.typtype) <> 'e')
       order by k.conname""";

  /** The table's own unique constraints {@code b}'s overlay holds: {@code (rule, columns)} rows. */
  static String own(OverlaySql b) {
    return "select rule, columns from strata.unique_rules where overlay = " + OverlaySql.literal(b.overlay())
        + " and own order by rule";
  }

  /** The table's own unique constraints {@code b}'s overlay holds that name any column of $1 (text[]). */
  static String ownNaming(OverlaySql b) {
    return "select rule from strata.unique_rules where overlay = " + OverlaySql.literal(b.overlay())
        + " and own and columns && $1::text[] order by rule";
  }

  /** The rules {@code b}'s overlay holds (their registry keys). */
  static String held(OverlaySql b) {
    return "select rule from strata.unique_rules where overlay = " + OverlaySql.literal(b.overlay());
  }

  /**
   * Takes the locks a hold on {@code b}'s overlay needs against the writers of the table (its default branch's), of the
   * overlay (the branch's) and of the pre-image log, each waited for at most {@code timeout}: one row, false past it
   * (nothing taken), as {@code strata.lock_against_writers_within} answers rather than raises.
   */
  static String lockAgainstWritersWithin(OverlaySql b, java.time.Duration timeout) {
    return "select strata.lock_against_writers_within(array_remove(array[to_regclass(" + OverlaySql.literal(b.table())
        + "), to_regclass(" + OverlaySql.literal(b.overlay()) + "), to_regclass(" + OverlaySql.literal(b.preimages())
        + ")], null), " + OverlaySql.literal(Math.max(1, timeout.toMillis()) + "ms") + ")";
  }

  /** Strata's query $1 of one boolean, answering null where it runs past the statement timeout. */
  static final String EXISTS_WITHIN = "select strata.exists_within($1)";

  /**
   * Notes that branch $2 of table $1 (its tid) owes a hold of the table's own unique constraints ({@code
   * BranchObjects.holdTableUniques} passed it over): due in 10 s when it owed none, or none any more (past its last
   * attempt: a new reason to hold, a constraint gained or a move, tries again); one owed already keeps its turn ({@link
   * #DUE} set it when it claimed the attempt).
   */
  static final String OWE = """
      insert into strata.unique_holds_owed as o (tid, branch) values ($1, $2)
      on conflict (tid, branch) do update set attempts = 1, next_at = now() + interval '10 seconds'
       where o.next_at = 'infinity'::timestamptz""";

  /**
   * Notes that branch $2 of table $1 owes a hold now, whatever was owed before (a hard move changed the rows it reads:
   * holding may succeed where it could not), when it holds fewer of the table's unique constraints than it may.
   */
  static final String OWE_NOW = """
      insert into strata.unique_holds_owed as o (tid, branch, next_at) values ($1, $2, now())
      on conflict (tid, branch) do update set attempts = 1, next_at = now()""";

  /** Branch $2 of table $1 owes no hold of the table's own unique constraints (it holds them, or it is gone). */
  static final String PAID = "delete from strata.unique_holds_owed where tid = $1 and branch = $2";

  /** Table $1 (untracked) is owed no hold on any branch. */
  static final String FORGIVEN = "delete from strata.unique_holds_owed where tid = $1";

  /**
   * Claims the holds owed that are due, at most 100, the longest due first, each attempt counted and the next due
   * twice as late as the last (10 s, 20 s, … at most an hour; none after the eighth) before it is made, so that an
   * attempt that fails whichever way (its command refused, its transaction rolled back) is not made again at once,
   * and another server skips the rows claimed: {@code (repository, table, branch)} rows.
   */
  static final String DUE = """
      update strata.unique_holds_owed o set attempts = o.attempts + 1,
        next_at = case when o.attempts + 1 >= 8 then 'infinity'::timestamptz
                       else now() + least(3600, 10 * power(2, o.attempts)) * interval '1 second' end
        from strata.tracked_tables t
       where t.tid = o.tid
         and (o.tid, o.branch) in (select d.tid, d.branch from strata.unique_holds_owed d
                                    where d.next_at <= now()
                                      and exists (select 1 from strata.tracked_tables k where k.tid = d.tid)
                                    order by d.next_at, d.tid, d.branch limit 100 for update skip locked)
      returning t.repository, t.name, o.branch""";

  /**
   * Whether a row the branch of {@code b} reads other than the table's own shares {@code rule}'s values (all not null)
   * with another row it reads: the rows its overlay holds (a new branch's start, where it differs from the table) and
   * those it reads from the pre-image log (rows the default branch changed since the branch's fork: a branch made
   * before the constraint reads them as they were). The table's own rows keep to its constraint. Looked up as the
   * check looks up a transaction's (one index probe each).
   */
  static String sharedByOverlay(OverlaySql b, TableShape.Constraint rule) {
    return sharedAmong(b, rule, "select " + b.keyList(null) + " from " + b.overlay() + " where not __deleted"
        + " union select " + b.keyList(null) + " from " + b.preimages() + " where __epoch >= " + b.forkEpoch());
  }

  /**
   * Whether a row the calling transaction wrote on {@code b}'s overlay (the keys its recorder noted, {@link
   * BranchUniquesSql#touched}: there) shares {@code rule}'s values (all not null) with another row the branch reads.
   */
  static String sharedByTouched(OverlaySql b, TableShape.Constraint rule) {
    return sharedAmong(b, rule, "select " + b.keyList(null) + " from " + BranchUniquesSql.touched(b));
  }

  /** Whether a row of the keys {@code keys} yields shares {@code rule}'s values with another row the branch reads. */
  private static String sharedAmong(OverlaySql b, TableShape.Constraint rule, String keys) {
    UniqueLookupSql lookup = new UniqueLookupSql(b, rule);
    return "with " + lookup.rowsOf(keys) + " select exists (select 1 from m where " + lookup.notNull() + " and ("
        + lookup.shared() + "))";
  }
}
