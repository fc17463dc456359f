package io.strata.server.commands;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.CommitRolledBack;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.ChangeSets.Captured;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Storages;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.TableShapes;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.StoragePools;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Commits over tables in other databases (registered storages), all-or-nothing with the event log
 * (docs/architecture.md, "Commits across databases"). The capture there cannot share the append's transaction, so:
 *
 * <ol>
 *   <li>an intent is committed in the metadata database, and the append's transaction locks its row
 *       (a row lock, not an advisory lock: a query through the API may take advisory locks, never
 *       this row's);
 *   <li>in each storage, one transaction captures the staged rows into change sets, removes them from
 *       the working logs and keeps them in a recovery sidecar;
 *   <li>the transaction that appends the commit deletes the intent;
 *   <li>the sidecars are dropped.
 * </ol>
 *
 * <p>The recovery {@link #sweep} settles every state a failure or a crash can leave: an intent nobody
 * holds is a commit never appended, whose captured rows go back into the working logs (and a {@code
 * CommitRolledBack} event says so); a sidecar without an intent belongs to an appended commit and is
 * dropped. It runs at start-up, before a commit captures in a storage, and after one.
 */
@ApplicationScoped
public class CrossStorageCommits {
  private static final Logger LOG = Logger.getLogger(CrossStorageCommits.class);
  private static final String LOCK =
      "select branch, storages from strata_meta.commit_intents where id = $1 for update";
  /** Nothing when the intent's owner still holds it, or when it is gone. */
  private static final String TRY_LOCK = LOCK + " skip locked";
  private static final String INSERT_INTENT =
      "insert into strata_meta.commit_intents (id, repository, branch, storages) values ($1, $2, $3, $4)";
  private static final String DELETE_INTENT = "delete from strata_meta.commit_intents where id = $1";
  private static final String INTENT_EXISTS = "select 1 from strata_meta.commit_intents where id = $1";
  private static final String INTENTS = "select id from strata_meta.commit_intents where repository = $1";
  /** Repositories with an intent left behind, or with tables in other storages (sidecars to drop). */
  private static final String TO_SWEEP = "select repository from strata_meta.commit_intents"
      + " union select repository from strata_meta.tables where storage <> 'local'";

  private final Pool metadata;
  private final StoragePools pools;
  private final TableQueries tables;
  private final CommandProcessor processor;
  private final RefQueries refs;

  private final Vertx vertx;
  private final StrataConfig config;
  private final ChangeSets<SqlConnection> changeSets;
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private volatile long sweepTimer = -1;

  @Inject
  public CrossStorageCommits(Pool metadata, StoragePools pools, TableQueries tables, CommandProcessor processor,
      RefQueries refs, Vertx vertx, StrataConfig config, ChangeSets<SqlConnection> changeSets) {
    this.changeSets = changeSets;
    this.vertx = vertx;
    this.config = config;
    this.refs = refs;
    this.metadata = metadata;
    this.pools = pools;
    this.tables = tables;
    this.processor = processor;
  }

  /**
   * Captures the staged rows of {@code remote} tables (none in storage {@code local}) for a commit
   * appended by {@code tx}: when {@code tx} commits, the capture stands; when it does not, a sweep puts
   * the rows back.
   */
  public Uni<List<Captured>> capture(SqlConnection tx, String repository, String defaultBranch,
      String branch, List<TableRow> remote, boolean all) {
    if (remote.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    String attempt = UUID.randomUUID().toString();
    Map<String, List<TableRow>> byStorage = new LinkedHashMap<>();
    remote.forEach(t -> byStorage.computeIfAbsent(t.storage(), s -> new ArrayList<>()).add(t));
    List<Captured> captured = new ArrayList<>();
    return rollBackAbandoned(repository, true)
        .chain(() -> metadata.preparedQuery(INSERT_INTENT).execute(Tuple.of(attempt, repository, branch,
            byStorage.keySet().toArray(String[]::new))))
        .chain(() -> tx.preparedQuery(LOCK).execute(Tuple.of(attempt)))
        .invoke(held -> {
          if (held.size() == 0) { // a sweep found it unheld in the instant between its insert and this lock
            throw new StrataException(ErrorCode.ConcurrentWrite, "the commit's attempt was rolled back by"
                + " recovery before it started; nothing was captured: try again");
          }
        })
        .chain(() -> Multi.createFrom().iterable(byStorage.entrySet())
            .onItem().transformToUniAndConcatenate(storage -> pools.pool(repository, storage.getKey())
                .chain(pool -> pool.withTransaction(c -> Multi.createFrom().iterable(storage.getValue())
                        .onItem().transformToUniAndConcatenate(t -> TableShapes.requireUnchanged(c, t.toEvent())
                            .chain(() -> changeSets.capture(c, TrackedTable.of(repository, t),
                                BranchRef.of(branch, defaultBranch), all, attempt)))
                        .collect().asList()))
                .invoke(list -> list.forEach(o -> o.ifPresent(captured::add)))
                .call(() -> Failpoints.hit("commit.storage-captured")))
            .collect().last())
        .chain(() -> tx.preparedQuery(DELETE_INTENT).execute(Tuple.of(attempt)))
        .map(done -> captured);
  }

  /** Settles a repository's commit attempts after a commit that captured in other storages, whatever its outcome. */
  public Uni<Void> settle(String repository) {
    return Failpoints.hit("commit.appended").chain(() -> sweep(repository, false))
        .onFailure().invoke(e -> LOG.warnf("recovery sweep of repository %s failed; it runs again at the next"
            + " commit there and at start-up: %s", repository, e.getMessage()))
        .onFailure().recoverWithNull();
  }

  /**
   * At start-up, once projections have caught up (the default observer priority) and before requests:
   * every commit attempt a crash interrupted is settled.
   */
  void onStart(@Observes @Priority(3000) StartupEvent e) {
    try {
      sweepAll().await().atMost(Duration.ofSeconds(60));
    } catch (RuntimeException failure) {
      LOG.warnf("start-up recovery sweep incomplete (a storage unreachable?); it runs again at the next commit"
          + " of the repository concerned and every %s: %s", config.recovery().sweepInterval(), failure.getMessage());
    }
    sweepTimer = vertx.setPeriodic(config.recovery().sweepInterval().toMillis(), timer -> sweepPeriodically());
  }

  /** No sweep starts while the pools it needs are closing. */
  void onStop(@Observes ShutdownEvent e) {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
  }

  /** The periodic sweep (non-blocking, on the event loop); one at a time: a slow one is not overtaken. */
  private void sweepPeriodically() {
    if (!sweeping.compareAndSet(false, true)) {
      return;
    }
    sweepAll().subscribe().with(done -> sweeping.set(false), failure -> {
      sweeping.set(false);
      LOG.warnf("periodic recovery sweep failed: %s", failure.getMessage());
    });
  }

  /** The sweep of every repository with an intent left behind or tables in other storages. */
  public Uni<Void> sweepAll() {
    return metadata.query(TO_SWEEP).execute()
        .chain(rows -> {
          List<String> repositories = new ArrayList<>();
          rows.forEach(r -> repositories.add(r.getString(0)));
          // one unreachable storage must not keep the others' attempts unsettled
          return Multi.createFrom().iterable(repositories)
              .onItem().transformToUniAndConcatenate(r -> sweep(r, false)
                  .onFailure().invoke(e -> LOG.warnf("recovery sweep of repository %s incomplete: %s", r,
                      e.getMessage()))
                  .onFailure().recoverWithNull())
              .collect().last();
        })
        .replaceWithVoid();
  }

  /** Rolls back the repository's abandoned attempts, then drops the sidecars of its appended commits. */
  Uni<Void> sweep(String repository, boolean wait) {
    return rollBackAbandoned(repository, wait).chain(() -> dropAppendedSidecars(repository));
  }

  /** Rolls back the repository's attempts nobody holds (waiting for those in flight when {@code wait}). */
  private Uni<Void> rollBackAbandoned(String repository, boolean wait) {
    return metadata.preparedQuery(INTENTS).execute(Tuple.of(repository))
        .chain(rows -> {
          List<String> attempts = new ArrayList<>();
          rows.forEach(r -> attempts.add(r.getString(0)));
          return Multi.createFrom().iterable(attempts)
              .onItem().transformToUniAndConcatenate(attempt -> rollBack(repository, attempt, wait))
              .collect().last()
              .replaceWithVoid();
        });
  }

  private Uni<Void> rollBack(String repository, String attempt, boolean wait) {
    return metadata.withTransaction(tx -> tx.preparedQuery(wait ? LOCK : TRY_LOCK).execute(Tuple.of(attempt))
        .chain(intent -> {
          if (intent.size() == 0) { // still in flight (skip locked), or settled meanwhile
            return Uni.createFrom().item(Optional.<CommitRolledBack>empty());
          }
          Row i = intent.iterator().next();
          List<String> storages = List.of(i.getArrayOfStrings(1));
          return putBack(repository, attempt, i.getString(0), storages)
              .call(() -> tx.preparedQuery(DELETE_INTENT).execute(Tuple.of(attempt)))
              .map(Optional::ofNullable);
        }))
        .chain(rolledBack -> rolledBack.isEmpty() ? Uni.createFrom().voidItem() : record(repository, rolledBack.get()));
  }

  /** Puts the attempt's captured working-log rows back in each storage, and drops its sidecars there. */
  private Uni<CommitRolledBack> putBack(String repository, String attempt, String branch, List<String> storages) {
    List<String> restoredTables = new ArrayList<>();
    long[] rows = {0};
    return refs.repository(repository).chain(found -> {
      if (found.isEmpty()) {
        return Uni.createFrom().nullItem(); // deleted since, with every object beside its tables
      }
      String defaultBranch = found.get().defaultBranch();
      return tables.tables(repository)
          .chain(tracked -> Multi.createFrom().iterable(storages)
              .onItem().transformToUniAndConcatenate(storage -> pools.pool(repository, storage)
                  .chain(pool -> pool.withTransaction(c -> Multi.createFrom().iterable(tracked)
                      .filter(t -> t.storage().equals(storage))
                      .onItem().transformToUniAndConcatenate(t -> changeSets.restore(c, TrackedTable.of(repository, t),
                              BranchRef.of(branch, defaultBranch), attempt)
                          .invoke(n -> {
                            if (n > 0) {
                              restoredTables.add(t.name());
                              rows[0] += n;
                            }
                          }))
                      .collect().last()
                      .chain(() -> changeSets.forgetAttempt(c, attempt)))))
              .collect().last())
          .map(done -> {
            LOG.infof("rolled back commit attempt %s of %s/%s: %d working-log rows of %s put back", attempt,
                repository, branch, rows[0], restoredTables);
            return new CommitRolledBack(branch, attempt, storages, restoredTables, rows[0]);
          });
    });
  }

  private Uni<Void> record(String repository, CommitRolledBack event) {
    CommandContext ctx = new CommandContext(new Actor("strata-recovery", null, null), null, null, null, event.attempt(), true);
    return processor.execute(repository, new Commands.RecordRollback(event), ctx,
            (events, position, after, time) -> new Answer.Reply(204, null))
        .onFailure().invoke(e -> LOG.warnf("could not record the rollback of attempt %s: %s", event.attempt(),
            e.getMessage()))
        .onFailure().recoverWithNull()
        .replaceWithVoid();
  }

  /** Drops the sidecars, in the repository's storages, of attempts whose intent is gone: appended commits. */
  private Uni<Void> dropAppendedSidecars(String repository) {
    return tables.tables(repository)
        .chain(tracked -> Multi.createFrom().iterable(tracked.stream().map(TableRow::storage)
                .filter(s -> !Storages.LOCAL.equals(s)).distinct().toList())
            .onItem().transformToUniAndConcatenate(storage -> pools.pool(repository, storage)
                .chain(pool -> pool.withConnection(c -> changeSets.keptAttempts(c, tracked.stream()
                        .filter(t -> t.storage().equals(storage)).map(t -> TrackedTable.of(repository, t)).toList())
                    .chain(attempts -> Multi.createFrom().iterable(attempts)
                        .onItem().transformToUniAndConcatenate(attempt -> metadata.preparedQuery(INTENT_EXISTS)
                            .execute(Tuple.of(attempt))
                            .chain(intent -> intent.size() > 0
                                ? Uni.createFrom().voidItem() // in flight, or to roll back
                                : changeSets.forgetAttempt(c, attempt)))
                        .collect().last()
                        .replaceWithVoid()))))
            .collect().last())
        .replaceWithVoid();
  }
}
