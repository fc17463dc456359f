package io.strata.projections.delta;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.RowDataRoles;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Delta Lake's unit of work: the place the tables live ({@link DeltaStorage}), the worker pool every blocking Delta
 * call runs on (Kernel reads and writes synchronously: never on an event loop), and a connection, in its opener's
 * transaction, to the database where Strata keeps what it knows of the tables (their branches' refs and change
 * sets, {@code strata_meta.delta_*}). A Delta version, once written, cannot be withdrawn with the transaction: the
 * roles write data first and record it last, so a rolled-back unit leaves at worst a version Strata sees as a
 * working change (docs/delta.md, §7).
 */
public record DeltaUnit(SqlConnection metadata, DeltaStorage storage, Executor io, Map<String, Object> planned,
    List<Written> written, Map<String, Long> clones, Pool journal, String id,
    java.util.concurrent.atomic.AtomicInteger writes, java.util.concurrent.atomic.AtomicBoolean putBack)
    implements UnitOfWork {

  /** A Delta version this unit wrote to a root: from {@code before} to {@code after}, rows by {@code key}. */
  public record Written(String root, long before, long after, List<String> key) {}
  /** The Delta backend's roles; those not built yet refuse with {@link DeltaUnsupported}. */
  public static final RowDataRoles ROLES = new RowDataRoles(
      PartialRole.of(io.strata.projections.rowdata.Tracking.class, new DeltaTracking()),
      PartialRole.of(io.strata.projections.rowdata.BranchObjects.class, new DeltaBranchObjects()),
      PartialRole.of(io.strata.projections.rowdata.WorkingState.class, new DeltaWorkingState()),
      PartialRole.of(io.strata.projections.rowdata.ChangeSets.class, new DeltaChangeSets()),
      PartialRole.of(io.strata.projections.rowdata.StateReads.class, new DeltaStateReads()),
      PartialRole.of(io.strata.projections.rowdata.QueryAccess.class, new Object()),
      PartialRole.of(io.strata.projections.rowdata.Merges.class, new DeltaMerges()),
      PartialRole.of(io.strata.projections.rowdata.TableMaking.class, new DeltaTableMaking()));

  public DeltaUnit {
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(io, "io");
  }

  /** A unit on {@code metadata}'s transaction; {@code planned} holds what a merge planned for its apply, per table. */
  public DeltaUnit(SqlConnection metadata, DeltaStorage storage, Executor io) {
    this(metadata, storage, io, null);
  }

  /**
   * As above, journalling the versions it writes in {@code journal} (the same database, its own transactions), so that
   * those of a unit whose process died are put back by the recovery sweep ({@link DeltaRecovery}); null: not
   * journalled (a failure of the process leaves them as working changes).
   */
  public DeltaUnit(SqlConnection metadata, DeltaStorage storage, Executor io, Pool journal) {
    this(metadata, storage, io, new java.util.concurrent.ConcurrentHashMap<>(),
        java.util.Collections.synchronizedList(new java.util.ArrayList<>()),
        new java.util.concurrent.ConcurrentHashMap<>(), journal,
        java.util.UUID.randomUUID().toString(), new java.util.concurrent.atomic.AtomicInteger(),
        new java.util.concurrent.atomic.AtomicBoolean());
  }

  /** How long a unit waits for its journal before writing: a database that does not answer stops the write. */
  private static final java.time.Duration JOURNAL_WAIT = java.time.Duration.ofSeconds(30);

  /**
   * Before this unit writes a version to {@code root} at {@code before} (rows by {@code key}): journals the intent
   * (committed on its own, under the advisory lock on the unit's id its transaction holds from its first write), and
   * deletes it in the unit's transaction, so that it is gone exactly when the unit commits. Answers the Delta
   * transaction id to write the version under: the unit's id and a count. Blocking: on the unit's worker pool only.
   * Only a unit in a transaction writes (the server's Delta writes all run in commands' units): outside one, the lock
   * and the intent would not outlive their statements.
   */
  String writing(String root, long before, List<String> key) {
    String transaction = id + "." + writes.incrementAndGet();
    if (journal == null) {
      return transaction;
    }
    if (writes.get() == 1) {
      metadata.preparedQuery("select pg_advisory_xact_lock(hashtextextended($1, 0))")
          .execute(Tuple.of(DeltaRecovery.LOCK_PREFIX + id))
          .await().atMost(JOURNAL_WAIT);
    }
    if (planned.putIfAbsent("intent " + root + " " + before, Boolean.TRUE) != null) {
      return transaction; // journalled already (a write at the same version again): its row is this unit's
    }
    Tuple intent = Tuple.of(id, root, before,
        key.toArray(String[]::new));
    journal.preparedQuery("insert into strata_meta.delta_intents (unit, root, before_version, key) values ($1, $2,"
            + " $3, $4) on conflict do nothing")
        .execute(intent).await().atMost(JOURNAL_WAIT);
    metadata.preparedQuery("delete from strata_meta.delta_intents where unit = $1 and root = $2 and before_version"
            + " = $3").execute(Tuple.of(id, root, before)).await().atMost(JOURNAL_WAIT);
    return transaction;
  }

  /** Notes a version this unit wrote, which {@link #compensate} takes back if the unit's transaction is not committed. */
  void wrote(String root, long before, long after, List<String> key) {
    if (after > before) {
      written.add(new Written(root, before, after, key));
    }
  }

  /** Notes a branch's clone this unit wrote at {@code root}, of {@code files} files (a large one is checkpointed). */
  void cloned(String root, long files) {
    clones.put(root, files);
  }

  /**
   * After the unit's transaction committed: the checkpoints its versions left due are written in the background, on
   * the unit's worker pool ({@link DeltaCheckpoints}). Never fails; a unit rolled back writes none.
   */
  public void committed() {
    List<Written> all;
    synchronized (written) {
      all = new java.util.ArrayList<>(written);
    }
    if (!all.isEmpty() || !clones.isEmpty()) {
      DeltaCheckpoints.schedule(this, DeltaCheckpoints.due(all, clones), io);
    }
  }

  /**
   * Takes back, newest first, what this unit wrote to Delta tables (a version cannot be withdrawn, but its rows can be
   * put back): each key a version changed that nobody changed since gets its row from before; for a unit whose
   * transaction is rolled back, so that the tables agree with Strata's refs again. Never fails: what it cannot take
   * back stays a working change of its branch.
   */
  public Uni<Void> compensate() {
    List<Written> all;
    synchronized (written) {
      all = new java.util.ArrayList<>(written);
      written.clear();
    }
    if (all.isEmpty()) {
      putBack.set(true);
      return Uni.createFrom().voidItem();
    }
    java.util.Collections.reverse(all);
    return blocking(() -> {
      for (Written w : all) {
        DeltaStates.undoKeys(this, w.root(), w.before(), w.after(), w.key());
      }
      return null;
    }).invoke(() -> putBack.set(true)).onFailure().recoverWithNull().replaceWithVoid();
  }

  /**
   * After {@link #compensate} and the rollback of the unit's transaction (which held its intents' rows locked): forgets
   * its intents, what it wrote being put back. Never fails: an intent left is the recovery sweep's, which finds nothing
   * of it to put back.
   */
  public Uni<Void> forgetIntents() {
    // what was not put back (or a commit that failed, nothing put back) keeps its intents for the recovery sweep
    return journal == null || writes.get() == 0 || !putBack.get() ? Uni.createFrom().voidItem()
        : journal.preparedQuery("delete from strata_meta.delta_intents where unit = $1").execute(Tuple.of(id))
            .replaceWithVoid().onFailure().recoverWithNull();
  }

  @Override
  public RowDataRoles roles() {
    return ROLES;
  }

  /** The Delta unit {@code unit} is; refuses a unit of another backend. */
  public static DeltaUnit of(UnitOfWork unit) {
    if (unit instanceof DeltaUnit delta) {
      return delta;
    }
    throw new IllegalArgumentException("not a Delta unit of work: " + (unit == null ? "null" : unit.getClass().getName()));
  }

  /** The tracked table itself (its default branch's root). */
  DeltaTable table(TrackedTable table) {
    return identified(storage.table(table.table()));
  }

  /** The table at {@code root}: the tracked table's, or one of its branches' under {@code _strata/}. */
  DeltaTable at(String root) {
    DeltaTable table = storage.tableAt(root);
    return DeltaStorage.isBranchRoot(root) ? table : identified(table);
  }

  /**
   * {@code table} (a tracked table's own root), each snapshot it loads checked to be of the table Strata tracked there:
   * the {@code metaData.id} recorded on its default branch's ref ({@link DeltaRefs#identity}), read once per unit. A
   * table removed and made anew at its path by another engine has another id, and its versions are not those Strata
   * recorded: {@link DeltaStateGone}. A root not tracked (yet), or tracked before ids were recorded, is not checked.
   */
  private DeltaTable identified(DeltaTable table) {
    return table.checkedBy((t, snapshot) -> {
      String root = t.root().toString();
      Object tracked = planned.get(IDENTITY + root);
      if (tracked == null) {
        try {
          tracked = DeltaRefs.identity(metadata, root).await().atMost(java.time.Duration.ofSeconds(30)).orElse("");
        } catch (RuntimeException e) {
          // the unit's connection is done with (a checkpoint after its commit): the unit's own reads checked it
          return;
        }
        planned.putIfAbsent(IDENTITY + root, tracked);
      }
      String found = snapshot.getMetadata().getId();
      if (!"".equals(tracked) && !tracked.equals(found)) {
        throw DeltaStateGone.madeAnew(root, (String) tracked, found);
      }
    });
  }

  /** The key {@link #planned} keeps a root's tracked identity under ("": none recorded). */
  private static final String IDENTITY = "identity:";

  /** {@code work} on the unit's worker pool. */
  <T> Uni<T> blocking(Callable<T> work) {
    return blocking(io, work);
  }

  /** {@code work} on {@code io}, a worker pool: Delta's blocking calls never run on an event loop. */
  public static <T> Uni<T> blocking(Executor io, Callable<T> work) {
    return Uni.createFrom().item(() -> {
      try {
        return work.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }).runSubscriptionOn(io);
  }
}
