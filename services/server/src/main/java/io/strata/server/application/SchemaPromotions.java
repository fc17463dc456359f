package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaMerge;
import io.strata.server.domain.StrataException;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A branch's schema changes carried by a merge, before its rows: the columns the merge's schema merge
 * ({@link SchemaMerges}) gives the target — those the source (a branch, or the branch a commit was made on)
 * added through Strata since the merge base, or settled as theirs — and, on another branch, the columns it
 * added that the source redefined or dropped. Another branch takes them as the source did (zero-copy,
 * {@code table.branch_schema_changed} for it); into the default branch they are added to the tables
 * themselves, online — one ALTER TABLE per table, all of a storage's in one transaction, each waiting at
 * most {@code STRATA_SCHEMA_MIGRATION_LOCK_TIMEOUT} for its lock (else the merge is refused with 409 and
 * nothing changed) and rewriting no row (PostgreSQL keeps a constant default in the catalog). The DDL guard
 * follows them in that transaction, like any column an application adds, and the follower records each as
 * {@code table.schema_changed} on the default branch (the statement {@code ALTER TABLE} on the table, by
 * Strata's database user) before the merge reads the tables. A storage's tables have either their old
 * shapes or their new ones: a crash before the transaction commits (failpoint {@code promotion.altered})
 * leaves the old, after it (failpoint {@code promotion.committed}) the new ones, recorded by the follower
 * when the server starts again, and no merge, which a retry completes (PromotionKillNineIT).
 */
@ApplicationScoped
public class SchemaPromotions {
  private final RepositoryStateLoader loader;
  private final StorageBackends backends;
  private final SchemaFollower follower;
  private final StrataConfig config;
  private final BranchSchemaCommands branchSchemas;
  private final CarriedConstraints checks;

  @Inject
  public SchemaPromotions(RepositoryStateLoader loader, StorageBackends backends, SchemaFollower follower,
      StrataConfig config, BranchSchemaCommands branchSchemas, CarriedConstraints checks) {
    this.branchSchemas = branchSchemas;
    this.checks = checks;
    this.loader = loader;
    this.backends = backends;
    this.follower = follower;
    this.config = config;
  }

  /**
   * Before a merge into {@code target} whose schema merge ({@link SchemaMerges}) settled as {@code settled}:
   * gives the target the columns it gains (see the class comment) and waits until they are recorded. Nothing
   * for a dry run. Answers whether the merge brings columns added through Strata into the default branch's
   * tables (they gained them now, or before an interrupted merge's retry), or changed their columns' NOT NULL
   * rules and defaults: its merge then makes a merge commit, which reads them; refused before anything changes
   * when the merge may only fast-forward.
   */
  Uni<Boolean> beforeMerge(String repository, String target, String source, String sourceCommit, boolean dryRun,
      boolean fastForwardOnly, SchemaMerges.Settled settled, CommandContext ctx) {
    if (dryRun) {
      // what the default branch's table would refuse of the unique constraints the merge makes its own
      return uniques(settled.checks().adds()).isEmpty() ? Uni.createFrom().item(false)
          : loader.load(repository).chain(state -> !state.exists() || !target.equals(state.defaultBranch())
              ? Uni.createFrom().item(false)
              : requireUnshared(repository, source, target, state, uniques(settled.checks().adds())).replaceWith(false));
    }
    // (the table's columns a branch kept out are taken only by a merge or a cherry-pick, from its source's commit)
    Map<String, List<String>> takes = sourceCommit == null ? Map.of() : settled.takes();
    if (settled.brought().isEmpty() && settled.drops().isEmpty() && settled.alters().isEmpty()
        && settled.renames().isEmpty() && settled.redefines().isEmpty() && settled.checks().isEmpty()
        && takes.isEmpty()) {
      return Uni.createFrom().item(false);
    }
    return loader.load(repository).chain(state -> {
      if (!state.exists() || state.branch(target) == null) {
        return Uni.createFrom().item(false);
      }
      boolean intoDefault = target.equals(state.defaultBranch());
      Map<String, List<TableShape.Column>> carried = settled.brought();
      if (fastForwardOnly && intoDefault && carried.isEmpty() && !settled.checks().adds().isEmpty()) {
        String table = settled.checks().adds().keySet().iterator().next();
        throw new StrataException(ErrorCode.NotFastForward, "merging '" + source + "' adds checks or indexes to table '"
            + table
            + "' of '" + target + "', which its head then records in a merge commit: fast_forward only cannot be"
            + " honoured", Map.of("table", table, "branch", target));
      }
      if (fastForwardOnly && intoDefault && carried.isEmpty() && !settled.redefines().isEmpty()) {
        String table = settled.redefines().keySet().iterator().next();
        throw new StrataException(ErrorCode.NotFastForward, "merging '" + source + "' gives columns "
            + settled.redefines().get(table).stream().map(TableShape.Column::name).toList() + " of table '" + table
            + "' of '" + target + "' its NOT NULL rules and defaults, which its head then records in a merge commit:"
            + " fast_forward only cannot be honoured", Map.of("table", table, "branch", target));
      }
      if (fastForwardOnly && intoDefault && !carried.isEmpty()) {
        // also when the table has them already (a promotion interrupted after its ALTER): a fast-forward
        // would make main's head a commit older than the shape that reads them
        String table = carried.keySet().iterator().next();
        throw new StrataException(ErrorCode.NotFastForward, "merging '" + source + "' adds columns "
            + carried.get(table).stream().map(TableShape.Column::name).toList() + " to table '" + table + "' of '"
            + target + "', whose head then records them in a merge commit: fast_forward only cannot be honoured",
            Map.of("table", table, "branch", target));
      }
      // a table untracked since the schema merge read it takes nothing
      Map<String, List<TableShape.Column>> pending = new TreeMap<>(settled.adds());
      pending.keySet().retainAll(state.tables().keySet());
      Map<String, List<String>> dropping = new TreeMap<>(settled.drops());
      dropping.keySet().retainAll(state.tables().keySet());
      Map<String, List<SchemaMerge.Change>> altering = new TreeMap<>(settled.alters());
      altering.keySet().retainAll(state.tables().keySet());
      Map<String, Map<String, String>> renaming = new TreeMap<>(settled.renames());
      renaming.keySet().retainAll(state.tables().keySet());
      Map<String, List<TableShape.Column>> redefining = new TreeMap<>(settled.redefines());
      redefining.keySet().retainAll(state.tables().keySet());
      Map<String, List<TableShape.Constraint>> checking = new TreeMap<>(settled.checks().adds());
      checking.keySet().retainAll(state.tables().keySet());
      Map<String, List<String>> unchecking = new TreeMap<>(settled.checks().drops());
      unchecking.keySet().retainAll(state.tables().keySet());
      Map<String, List<String>> taking = new TreeMap<>(takes);
      taking.keySet().retainAll(state.tables().keySet());
      if (pending.isEmpty() && dropping.isEmpty() && altering.isEmpty() && renaming.isEmpty()
          && redefining.isEmpty() && checking.isEmpty() && unchecking.isEmpty() && taking.isEmpty()) {
        return Uni.createFrom().item(intoDefault && !carried.isEmpty());
      }
      if (!target.equals(state.defaultBranch())) {
        // another branch redefines those the source redefined (first: a value that does not convert refuses
        // the merge), drops those it dropped, and takes those it added as it did: zero-copy, recorded for it
        CommandContext own = ctx.issued(false);
        // first the table's own columns it kept out while the table gained them and the source reads (read from the
        // table again, the rows it holds taking the source's values); then the table's columns defined as the source
        // defines them (a null among the target's rows in a column made NOT NULL refuses the merge)
        return Multi.createFrom().iterable(taking.entrySet())
            .onItem().transformToUniAndConcatenate(e -> branchSchemas.takeCarried(repository, target, e.getKey(),
                e.getValue(), sourceCommit, own))
            .collect().last()
            .chain(() -> Multi.createFrom().iterable(unchecking.entrySet())
            .onItem().transformToUniAndConcatenate(e -> checks.dropCarried(repository, target, e.getKey(),
                e.getValue(), own))
            .collect().last())
            .chain(() -> Multi.createFrom().iterable(redefining.entrySet())
            .onItem().transformToUniAndConcatenate(e -> branchSchemas.redefineCarried(repository, target, e.getKey(),
                e.getValue(), own))
            .collect().last())
            .chain(() -> Multi.createFrom().iterable(altering.entrySet())
            .onItem().transformToUniAndConcatenate(e -> branchSchemas.alterCarried(repository, target, e.getKey(),
                e.getValue(), own))
            .collect().last())
            .chain(() -> Multi.createFrom().iterable(dropping.entrySet())
            .onItem().transformToUniAndConcatenate(e -> branchSchemas.dropCarried(repository, target, e.getKey(),
                e.getValue(), own))
            .collect().last())
            .chain(() -> Multi.createFrom().iterable(pending.entrySet())
                .onItem().transformToUniAndConcatenate(e -> branchSchemas.addDefined(repository, target, e.getKey(),
                    e.getValue(), false, own, Answer.NONE))
                .collect().last())
            // then shows the columns under the names the source gave them since the base
            .chain(() -> Multi.createFrom().iterable(renaming.entrySet())
                .onItem().transformToUniAndConcatenate(e -> branchSchemas.renameCarried(repository, target, e.getKey(),
                    e.getValue(), own))
                .collect().last())
            // then holding the rows it writes to the checks the source added: pending until the merge concludes,
            // the rows it holds that fail one are the merge's constraint_violation conflicts
            .chain(() -> Multi.createFrom().iterable(checking.entrySet())
                .onItem().transformToUniAndConcatenate(e -> checks.addCarried(repository, target, e.getKey(),
                    e.getValue(), own))
                .collect().last())
            .replaceWith(false);
      }
      // the indexes the source added are built on the tables once the transactions below have given them their
      // columns, each CONCURRENTLY (writers go on; outside any transaction, which cannot hold such a build); the
      // guard follows each as DDL on the table, so a merge retried after a refusal finds them built
      Map<String, List<TableShape.Constraint>> indexing = new TreeMap<>();
      checking.forEach((table, rules) -> {
        List<TableShape.Constraint> indexes = rules.stream().filter(r -> TableShape.INDEX.equals(r.kind())).toList();
        if (!indexes.isEmpty()) {
          indexing.put(table, indexes);
        }
      });
      // the unique constraints too, CONCURRENTLY then ADD CONSTRAINT … USING INDEX, before the merge's rows (which the
      // table then holds to them: a row that shares values is a constraint conflict of the merge)
      Map<String, List<TableShape.Constraint>> uniquing = uniques(checking);
      checking.replaceAll((table, rules) -> rules.stream().filter(r -> !TableShape.INDEX.equals(r.kind())
          && !io.strata.server.domain.BranchConstraints.UNIQUE.equals(r.kind())).toList());
      checking.values().removeIf(List::isEmpty);
      // one transaction per storage: its tables gain their columns (and take the source's NOT NULL rules and
      // defaults of theirs) together or not at all
      Map<String, Map<String, List<TableShape.Column>>> byStorage = new TreeMap<>();
      pending.forEach((table, columns) -> byStorage.computeIfAbsent(state.tables().get(table).storage(),
          k -> new TreeMap<>()).put(table, columns));
      Map<String, Map<String, List<TableShape.Constraint>>> checkingByStorage = new TreeMap<>();
      checking.forEach((table, checks) -> {
        checkingByStorage.computeIfAbsent(state.tables().get(table).storage(), k -> new TreeMap<>()).put(table, checks);
        byStorage.computeIfAbsent(state.tables().get(table).storage(), k -> new TreeMap<>());
      });
      Map<String, Map<String, List<TableShape.Column>>> redefiningByStorage = new TreeMap<>();
      redefining.forEach((table, columns) -> {
        redefiningByStorage.computeIfAbsent(state.tables().get(table).storage(), k -> new TreeMap<>()).put(table, columns);
        byStorage.computeIfAbsent(state.tables().get(table).storage(), k -> new TreeMap<>());
      });
      // the table's rows sharing a unique constraint's values refuse the merge before anything changes (the build
      // looks again)
      return requireUnshared(repository, source, target, state, uniquing)
          .chain(() -> Multi.createFrom().iterable(byStorage.entrySet())
          .onItem().transformToUniAndConcatenate(s -> backends.inOwnTransaction(repository, s.getKey(), tx ->
              Multi.createFrom().iterable(s.getValue().entrySet())
                  .onItem().transformToUniAndConcatenate(e -> alter(tx, repository, source, target,
                      state.tables().get(e.getKey()), e.getValue()))
                  .collect().last()
                  .chain(() -> Multi.createFrom().iterable(redefiningByStorage.getOrDefault(s.getKey(), Map.of())
                          .entrySet())
                      .onItem().transformToUniAndConcatenate(e -> redefine(tx, repository, source, target,
                          state.tables().get(e.getKey()), e.getValue()))
                      .collect().last())
                  .chain(() -> Multi.createFrom().iterable(checkingByStorage.getOrDefault(s.getKey(), Map.of())
                          .entrySet())
                      .onItem().transformToUniAndConcatenate(e -> check(tx, repository, source, target,
                          state.tables().get(e.getKey()), e.getValue()))
                      .collect().last())
                  .chain(() -> Failpoints.hit("promotion.altered")))
              .chain(() -> Failpoints.hit("promotion.committed")))
          .collect().last()
          // then the indexes, over the columns the tables have now (one the branch added, a wider type)
          .chain(() -> Multi.createFrom().iterable(indexing.entrySet())
              .onItem().transformToUniAndConcatenate(e -> index(repository, source, target,
                  state.tables().get(e.getKey()), e.getValue()))
              .collect().last())
          .chain(() -> Multi.createFrom().iterable(uniquing.entrySet())
              .onItem().transformToUniAndConcatenate(e -> unique(repository, source, target,
                  state.tables().get(e.getKey()), e.getValue()))
              .collect().last())
          .chain(() -> follower.followRepositoryForReads(repository)))
          .replaceWith(true);
    });
  }

  /** What merging {@code source} into {@code target} does with {@code uniques}, as a refusal starts. */
  private static String makesOwn(String source, String target, TableTracked t, List<TableShape.Constraint> uniques) {
    return "merging '" + source + "' into '" + target + "' makes unique constraints "
        + uniques.stream().map(TableShape.Constraint::name).toList() + " table '" + t.name() + "''s own";
  }

  /** The unique constraints among {@code rules} (per table), of tables that have any. */
  private static Map<String, List<TableShape.Constraint>> uniques(Map<String, List<TableShape.Constraint>> rules) {
    Map<String, List<TableShape.Constraint>> uniques = new TreeMap<>();
    rules.forEach((table, list) -> {
      List<TableShape.Constraint> of = list.stream().filter(io.strata.server.domain.BranchConstraints::isUnique).toList();
      if (!of.isEmpty()) {
        uniques.put(table, of);
      }
    });
    return uniques;
  }

  /**
   * Looks at the rows of each table of {@code uniquing} (tracked still) for two that share the values of a unique
   * constraint the merge makes its own and it does not have yet: refused (422, naming their keys), nothing changed.
   */
  private Uni<Void> requireUnshared(String repository, String source, String target, RepositoryState state,
      Map<String, List<TableShape.Constraint>> uniquing) {
    return Multi.createFrom().iterable(uniquing.entrySet())
        .filter(e -> state.tables().containsKey(e.getKey()))
        .onItem().transformToUniAndConcatenate(e -> {
          TableTracked t = state.tables().get(e.getKey());
          String takes = makesOwn(source, target, t, e.getValue()) + ", and ";
          return refusals(backends.beginRead(repository, t.storage()).chain(open -> open.unit().roles().tracking()
                  .requireUnshared(open.unit(), TrackedTable.of(repository, t), e.getValue())
                  .onTermination().call(open::rollback)),
              takes, t, target, "change the rows on '" + target + "' first (nothing changed)", "add them");
        })
        .collect().last().replaceWithVoid();
  }

  /**
   * Builds the indexes {@code indexes} (the source's) on table {@code t}, CONCURRENTLY, outside any transaction:
   * writers go on meanwhile. A lock or an older transaction held longer than the migration lock timeout refuses the
   * merge (409); so does a name another object of the table's schema has (422). The columns the merge gave the
   * table before stay (recorded as its DDL), as do indexes built before the refusal: a retry completes the merge.
   */
  private Uni<Void> index(String repository, String source, String target, TableTracked t,
      List<TableShape.Constraint> indexes) {
    String takes = "merging '" + source + "' into '" + target + "' builds indexes "
        + indexes.stream().map(TableShape.Constraint::name).toList() + " on table '" + t.name() + "' (CONCURRENTLY,"
        + " after its other schema changes, which stay), and ";
    return refusals(backends.withoutTransaction(repository, t.storage(), conn -> conn.roles().tracking()
            .buildIndexes(conn, TrackedTable.of(repository, t), indexes, config.schema().migrationLockTimeout())),
        takes, t, target, "rename one of them first", "build them");
  }

  /**
   * Makes the unique constraints {@code uniques} (the source's) table {@code t}'s own: each index built CONCURRENTLY,
   * outside any transaction, then added as the constraint. Rows of the table that share the values refuse the merge
   * (422, the index not left behind); so does a name another object has; a lock held longer than the migration lock
   * timeout refuses it (409). Constraints made before the refusal stay (recorded as the table's DDL): a retry takes
   * them as the table's.
   */
  private Uni<Void> unique(String repository, String source, String target, TableTracked t,
      List<TableShape.Constraint> uniques) {
    String takes = makesOwn(source, target, t, uniques) + " (an index built CONCURRENTLY, after its other schema"
        + " changes, which stay), and ";
    return refusals(backends.withoutTransaction(repository, t.storage(), conn -> conn.roles().tracking()
            .promoteUniques(conn, TrackedTable.of(repository, t), uniques, config.schema().migrationLockTimeout())),
        takes, t, target, "change the rows (or the name) on '" + target + "' first", "add them");
  }

  /**
   * The answers of a promotion built outside a transaction ({@code takes}: what it does, as a refusal starts): a lock
   * held too long, 409; what the table refused ({@code change}: what to do first), or Strata's user was refused
   * ({@code asOwner}: what the table's owner does instead), 422.
   */
  private static Uni<Void> refusals(Uni<?> work, String takes, TableTracked t, String target, String change,
      String asOwner) {
    return lockTimed(work.onFailure(Tracking.IndexRefused.class).transform(f -> new StrataException(
        ErrorCode.ValidationError, takes + f.getMessage() + "; " + change + ", then merge again",
        Map.of("table", t.name(), "branch", target))), takes, t, target, asOwner).replaceWithVoid();
  }

  /**
   * The refusals every change of the table a promotion makes shares ({@code takes}: what it does, as a refusal
   * starts): a lock held longer than the migration lock timeout, 409; Strata's user refused ({@code asOwner}: what
   * the table's owner does instead), 422.
   */
  private static <T> Uni<T> lockTimed(Uni<T> work, String takes, TableTracked t, String target, String asOwner) {
    return work
        .onFailure(Tracking.Busy.class).transform(f -> new StrataException(ErrorCode.ConcurrentWrite,
            takes + f.getMessage() + "; retry when the table's long transactions are done",
            Map.of("table", t.name(), "branch", target)))
        .onFailure(f -> PgErrors.kind(f) == PgErrors.Kind.PRIVILEGE).transform(f -> new StrataException(
            ErrorCode.ValidationError, takes + "the database refused Strata's user: " + PgErrors.message(f)
                + "; " + asOwner + " with DDL as the table's owner (the guard follows it), then merge",
            Map.of("table", t.name())));
  }

  /**
   * Gives table {@code t}'s columns the NOT NULL rules and defaults {@code columns} define (the source's), in
   * {@code tx}, lock-timed; a null among the table's rows in a column made NOT NULL refuses the merge (409).
   */
  private Uni<Void> redefine(UnitOfWork tx, String repository, String source, String target, TableTracked t,
      List<TableShape.Column> columns) {
    String takes = "merging '" + source + "' into '" + target + "' gives columns "
        + columns.stream().map(TableShape.Column::name).toList() + " of table '" + t.name() + "' the types, NOT NULL"
        + " rules and defaults '" + source + "' has first, and ";
    return lockTimed(tx.roles().tracking()
        .redefineColumns(tx, TrackedTable.of(repository, t), columns, config.schema().migrationLockTimeout()),
            takes, t, target, "change them")
        .onFailure(f -> "23502".equals(PgErrors.sqlState(f))).transform(f -> new StrataException(
            ErrorCode.ValidationError, takes + "the table refused: " + PgErrors.message(f) + " (rows of '" + target
                + "' the merge does not bring); give them values first; nothing changed",
            Map.of("table", t.name(), "branch", target)))
        // a new type: a value of the table's it would read otherwise; an object of someone else's reading the column
        .onFailure(f -> PgErrors.hasStateClass(f, "22")).transform(f -> new StrataException(ErrorCode.ValidationError,
            takes + "the table's rows refused the type: " + PgErrors.message(f) + "; nothing changed",
            Map.of("table", t.name(), "branch", target)))
        .onFailure(f -> "2BP01".equals(PgErrors.sqlState(f)) || "0A000".equals(PgErrors.sqlState(f)))
        .transform(f -> new StrataException(ErrorCode.ValidationError, takes + "other objects read the column: "
            + PgErrors.message(f) + "; drop them first (they are made again around a new type only for Strata's own"
            + " views); nothing changed", Map.of("table", t.name(), "branch", target)));
  }

  /**
   * Adds the CHECK constraints {@code checks} (the source's) to table {@code t} in {@code tx}, lock-timed; a row of
   * the table that fails one refuses the merge (409, its key listed as a {@code constraint_violation}).
   */
  private Uni<Void> check(UnitOfWork tx, String repository, String source, String target, TableTracked t,
      List<TableShape.Constraint> checks) {
    String takes = "merging '" + source + "' into '" + target + "' adds checks "
        + checks.stream().map(TableShape.Constraint::name).toList() + " to table '" + t.name() + "' first, and ";
    return lockTimed(tx.roles().tracking().addChecks(tx, TrackedTable.of(repository, t), checks,
            config.schema().migrationLockTimeout())
        .onFailure(io.strata.projections.rowdata.BranchObjects.CheckFailed.class)
        .transform(f -> CarriedConstraints.violation(t.name(), target,
            (io.strata.projections.rowdata.BranchObjects.CheckFailed) f)), takes, t, target, "add them");
  }

  /** Adds {@code columns} to table {@code t} in {@code tx}, lock-timed; refusals say why and what to do. */
  private Uni<Void> alter(UnitOfWork tx, String repository, String source, String target, TableTracked t,
      List<TableShape.Column> columns) {
    String adds = "merging '" + source + "' into '" + target + "' adds columns "
        + columns.stream().map(TableShape.Column::name).toList() + " to table '" + t.name() + "' first, and ";
    return lockTimed(tx.roles().tracking()
        .addColumns(tx, TrackedTable.of(repository, t), columns, config.schema().migrationLockTimeout()),
            adds, t, target, "add them");
  }
}
