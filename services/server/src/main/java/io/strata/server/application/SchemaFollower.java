package io.strata.server.application;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.ShapeDiff;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.events.TableTracked;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.projections.rowdata.Tracking.FollowedDdl;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.auth.Grants;
import io.strata.server.domain.ColumnLayouts;
import io.strata.server.domain.Commands;
import io.strata.server.domain.TableCommand;
import io.strata.server.runtime.CoalescedRounds;
import io.strata.server.runtime.PeriodicJob;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.Vertx;
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
import org.jboss.logging.Logger;

/**
 * Records the DDL that tracked tables' databases let through (their DDL guard followed it: an index, a
 * constraint, a default) as {@code table.schema_changed} events on the default branch: at start-up
 * (what was done while the server was stopped) and every {@code strata.schema.follow-interval}.
 *
 * <p>Per table, the commands filed since the last round and the table's shape are read in one
 * transaction, the shape is recorded through the repository's command queue (its decider records
 * nothing when the recorded shape is that one already: another server came first, or the DDL changed
 * nothing Strata records), and only then are the commands forgotten. A crash in between files nothing
 * twice: the next round finds the shape recorded and only forgets.
 */
@ApplicationScoped
public class SchemaFollower {
  private static final Logger LOG = Logger.getLogger(SchemaFollower.class);
  private static final Actor ACTOR = Actor.system("strata-ddl", Grants.UNRESTRICTED);

  private final TableQueries tables;
  private final StorageBackends backends;
  private final CommandProcessor processor;
  private final StrataConfig config;
  private final PeriodicJob periodic;
  private final CoalescedRounds readRounds = new CoalescedRounds(this::followRepository);

  @Inject
  public SchemaFollower(TableQueries tables, StorageBackends backends, CommandProcessor processor, Vertx vertx,
      StrataConfig config) {
    this.tables = tables;
    this.backends = backends;
    this.processor = processor;
    this.config = config;
    this.periodic = new PeriodicJob(vertx, "recording the DDL databases followed", this::followAll);
  }

  /** After the recovery sweep at start-up (priority 3000), before requests. */
  void onStart(@Observes @Priority(3100) StartupEvent e) {
    Duration every = config.schema().followInterval();
    periodic.start(Duration.ofMillis(1), every);
  }

  void onStop(@Observes ShutdownEvent e) {
    periodic.stop();
  }

  /**
   * One round over every storage in use: the server's own database once for every repository (its
   * guard files every repository's DDL in one place), each registered storage per repository. One
   * unreachable storage does not hold up the others.
   */
  public Uni<Void> followAll() {
    return StoragesInUse.each(tables, backends, (repository, poolOf, storage) ->
        logged(follow(repository, poolOf, storage), storage, repository == null ? "every repository" : repository));
  }

  private static <T> Uni<T> logged(Uni<T> round, String storage, String repository) {
    return round.onFailure().invoke(f -> LOG.warnf("could not record the DDL followed in storage %s of %s: %s",
            storage, repository, f.getMessage()))
        .onFailure().recoverWithNull();
  }

  /**
   * Records the DDL followed on {@code repository}'s tables so far: a commit or merge calls it first, so
   * that DDL made before it is recorded before it (the commit records the shape after that DDL).
   */
  public Uni<Void> followRepository(String repository) {
    return followRepositoryRecording(repository).replaceWithVoid();
  }

  /** {@link #followRepository}, answering whether this round recorded a schema change. */
  private Uni<Boolean> followRepositoryRecording(String repository) {
    return tables.tables(repository)
        .chain(tracked -> Multi.createFrom().iterable(tracked.stream().map(TableRow::storage).distinct().toList())
            // a storage out of reach holds up no commit of the others: its DDL waits for the next round
            .onItem().transformToUniAndConcatenate(storage -> logged(follow(repository, repository, storage), storage,
                repository).map(recorded -> recorded != null && recorded))
            .collect().asList())
        .map(recorded -> recorded.contains(true));
  }

  /**
   * {@link #followRepository} (in a round begun after the call, shared with the readers asking
   * meanwhile), then waits until the projections show what it recorded (its commands do not wait, as a
   * server's own): for a read that compares the recorded shapes with the tables.
   */
  public Uni<Void> followRepositoryForReads(String repository) {
    // readers asking at once share rounds: one running and one queued per repository
    return readRounds.await(repository).chain(() -> processor.caughtUp(repository));
  }

  /**
   * Records the DDL followed on {@code repository}'s tables (every repository's when null) in {@code
   * storage}, reached as {@code poolOf}'s storage of that name. The filed commands and the tables' shapes
   * are read in one snapshot (a command filed in between is in both or in neither); a table the
   * metadata does not know yet (its tracking not projected) keeps its commands for the next round.
   * Answers whether it recorded a change.
   */
  private Uni<Boolean> follow(String repository, String poolOf, String storage) {
    return backends.beginRead(poolOf, storage).chain(open -> read(open.unit(), repository)
            .onTermination().call(open::rollback))
        .chain(found -> Multi.createFrom().iterable(found)
            .onItem().transformToUniAndConcatenate(f -> record(f).chain(outcome -> outcome == Recorded.NOT_SETTLED
                ? Uni.createFrom().item(false)
                : backends.inOwnTransaction(poolOf, storage, unit -> unit.roles().tracking()
                    .forgetFollowedDdl(unit, f.ddl().stream().map(FollowedDdl::id).toList()))
                    .replaceWith(outcome == Recorded.CHANGE)))
            .collect().asList())
        .map(recorded -> recorded.contains(true));
  }

  /** What a recording did: settled nothing (the table's tracking not projected yet), nothing to record, a change. */
  private enum Recorded { NOT_SETTLED, NOTHING, CHANGE }

  private static Uni<List<Followed>> read(UnitOfWork unit, String repository) {
    return unit.roles().tracking().followedDdl(unit, repository).chain(followed -> {
      Map<List<String>, List<FollowedDdl>> byTable = new LinkedHashMap<>();
      followed.forEach(f -> byTable.computeIfAbsent(List.of(f.repository(), f.table()), t -> new ArrayList<>()).add(f));
      return Multi.createFrom().iterable(byTable.values())
          .onItem().transformToUniAndConcatenate(ddl -> {
            FollowedDdl first = ddl.get(0);
            return unit.roles().tracking().shape(unit, first.schema(), first.relation())
                .chain(shape -> unit.roles().tracking()
                    .versionedColumns(unit, first.repository(), first.table(), first.schema(), first.relation())
                    .map(versioned -> new Followed(first.repository(), first.table(), shape, ddl,
                        shape.isPresent() && ColumnLayouts.same(shape.get().tableColumns(), versioned))));
          })
          .collect().asList();
    });
  }

  /** A table's filed commands and its shape, read in one snapshot; whether its versioning follows its columns. */
  private record Followed(String repository, String table, Optional<TableShape> shape, List<FollowedDdl> ddl,
      boolean columnsFollowed) {}

  /**
   * Records the table's shape after its followed commands; answers whether they are settled (recorded,
   * or nothing to record) and may be forgotten. The command carries the newest command's id: a round
   * that read fewer commands (another server's, or one overtaken) records nothing over a newer shape.
   */
  private Uni<Recorded> record(Followed f) {
    String repository = f.repository();
    if (f.shape().isEmpty()) {
      return Uni.createFrom().item(Recorded.NOTHING); // the table is gone: nothing to record
    }
    List<TableSchemaChanged.Statement> statements = f.ddl().stream()
        .map(d -> new TableSchemaChanged.Statement(d.command(), d.object(), d.actor(), d.at())).toList();
    long through = f.ddl().stream().mapToLong(FollowedDdl::id).max().orElse(0);
    CommandContext ctx = new CommandContext(ACTOR, null, null, null, UUID.randomUUID().toString(), true);
    return tables.table(repository, f.table())
        .chain(row -> row.isEmpty() ? Uni.createFrom().item(Recorded.NOT_SETTLED)
            // in the queue: the migration is written from the shape recorded when the change is decided
            : processor.execute(repository, Footprint.everything(), (tx, state) -> {
              TableTracked t = state.tables().get(f.table());
              // branches made before the table had a unique constraint it gained hold it from now on
              return TableUniquesOnBranches.holdGained(backends, tx, state, repository, t, f.shape().get(),
                      config.schema().migrationLockTimeout())
                  .replaceWith(new TableCommand.RecordSchemaChange(f.table(), f.shape().get(), statements,
                      through, f.columnsFollowed(),
                      t == null ? List.of() : migration(backends, repository, t, f.shape().get())));
            }, ctx, Answer.NONE)
                .map(done -> done.version() > 0 ? Recorded.CHANGE : Recorded.NOTHING));
  }

  /**
   * The statements that turn table {@code t}'s recorded shape into {@code now}, in the storages' dialect
   * (written without database work): what {@code table.schema_changed} carries as its migration.
   */
  static List<String> migration(StorageBackends backends, String repository, TableTracked t, TableShape now) {
    return backends.sqlRoles().tracking().migration(TrackedTable.of(repository, t),
        ShapeDiff.between(t.knownShape(), now));
  }
}
