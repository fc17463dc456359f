package io.strata.server.queries;

import io.strata.projections.rowdata.UnitOfWork;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.StateReads;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.BranchShapeRecords;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StoragePools;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import java.util.function.Function;

/**
 * Rows of a tracked table at any ref: a branch's working state (its overlay over the table), with the
 * change sets that separate its head from the wanted commit undone and redone. For tables in the server's own database, the commit path and the rows
 * are read in one snapshot; a snapshot in which the commit graph lags the log is retried after it
 * catches up (a commit's rows and event land together, its projection just after).
 */
@ApplicationScoped
public class RowReads {
  private static final String LAG =
      "select s.version, coalesce((select version from strata_meta.projector_checkpoints"
          + "  where projector = 'commit-graph' and stream_id = s.stream_id), 0)"
          + " from strata_meta.streams s where s.stream_id = $1";
  /** Branch $2's head. */
  static final String HEAD =
      "select head from strata_meta.branches where repository = $1 and name = $2";
  private final Pool metadata;
  private final StoragePools pools;
  private final StorageBackends backends;
  private final RefResolver resolver;
  private final ProjectionRuntime projections;
  private final StrataConfig config;
  private final ColumnsAtCommits columnsAtCommits;
  private final MadeTables madeTables;

  @Inject
  public RowReads(Pool metadata, StoragePools pools, RefResolver resolver, ProjectionRuntime projections,
      StrataConfig config, StorageBackends backends, ColumnsAtCommits columnsAtCommits, MadeTables madeTables) {
    this.madeTables = madeTables;
    this.columnsAtCommits = columnsAtCommits;
    this.backends = backends;
    this.metadata = metadata;
    this.pools = pools;
    this.resolver = resolver;
    this.projections = projections;
    this.config = config;
  }

  public record RowsPage(List<JsonNode> items, String next) {}

  /** A page of rows as the JSON text PostgreSQL produced (for streaming without re-serialising). */
  public record RawPage(List<String> rows, String next) {}

  public Uni<RowsPage> rows(RepositoryRow repository, TableRow table, String ref, boolean working,
      Map<String, String> filters, String after, int limit) {
    return raw(repository, table, ref, working, filters, after, limit)
        .map(page -> new RowsPage(parse(page.rows()), page.next()));
  }

  public Uni<RawPage> raw(RepositoryRow repository, TableRow table, String ref, boolean working,
      Map<String, String> filters, String after, int limit) {
    String cursor = after == null ? null : decodeCursor(after);
    String target = ref == null ? repository.defaultBranch() : ref;
    return resolver.resolveForRead(repository.name(), target)
        .chain(resolved -> {
          // the read starts from the working state of the branch the ref names (the default branch for
          // tags and commits), and undoes / redoes what separates it from the wanted commit
          String base = resolved.readBase(repository.defaultBranch());
          boolean live = working && resolved.isPlainBranch();
          if (live) {
            MadeTables.requireOn(table, resolved.branch());
          }
          return (live ? Uni.createFrom().voidItem()
                  : madeTables.requireAt(repository.name(), table, resolved.commit(), target))
              .chain(() -> readAs(repository, table, resolved, base).chain(onBase ->
              hidden(repository, resolved.commit(), table, onBase, live, filters).chain(hidden -> {
            Reader reader = new Reader(onBase, BranchRef.of(base, repository.defaultBranch()), filters, cursor);
            Uni<StateReads.Page> page;
            if (!backends.isServerOwn(table.storage())) {
              page = backends.reach(repository.name(), table.storage()).chain(reach -> live
                  ? reach.pool().withConnection(c -> reader.page(reach.unit(c), StatePath.WORKING, limit))
                  : inOtherStorage(repository.name(), base, tx -> pathsTo(tx, repository.name(), base,
                      resolved.commit()), paths -> reach.pool().withConnection(c -> reader.page(reach.unit(c),
                          committed(paths, table), limit))));
            } else {
              // in the server's own database the commit graph is read in the same snapshot as the rows
              page = live
                  ? metadata.withConnection(c -> reader.page(StorageBackends.unitOf(c), StatePath.WORKING, limit))
                  : inSnapshot(repository.name(), tx -> pathsTo(tx, repository.name(), base, resolved.commit())
                      .chain(paths -> reader.page(StorageBackends.unitOf(tx), committed(paths, table), limit)));
            }
            return page.map(p -> hidden.isEmpty() ? p : new StateReads.Page(p.rows().stream()
                .map(row -> ColumnsAtCommits.without(row, hidden)).toList(), p.lastKey()));
          })));
        })
        .onFailure(RowReads::misfit).transform(RowReads::misfitError)
        .onFailure().recoverWithUni(e -> TableShapes.explain(e, backends, table.storage(),
            TrackedTable.of(repository.name(), table)))
        .map(page -> new RawPage(page.rows(), page.rows().size() == limit && page.lastKey() != null
            ? encodeCursor(page.lastKey()) : null));
  }

  /** A read of one table on one branch, with its filters and cursor. */
  private final class Reader {
    private final TrackedTable table;
    private final BranchRef branch;
    private final Map<String, String> filters;
    private final String cursor;

    Reader(TrackedTable table, BranchRef branch, Map<String, String> filters, String cursor) {
      requireColumns(table, filters);
      this.table = table;
      this.branch = branch;
      // the filters name the columns as the branch shows them; the reads, as they are stored
      Map<String, String> stored = new java.util.LinkedHashMap<>();
      filters.forEach((column, value) -> stored.put(table.columnsOnRef().stream().map(c -> c.name())
          .filter(n -> table.shown(n).equals(column)).findFirst().orElse(column), value));
      this.filters = stored;
      this.cursor = cursor;
    }

    Uni<StateReads.Page> page(UnitOfWork unit, StatePath path, int limit) {
      return unit.roles().stateReads().page(unit, table, branch, path, filters, cursor, limit);
    }

    Multi<String> stream(UnitOfWork unit, StatePath path) {
      return unit.roles().stateReads().stream(unit, table, branch, path, filters, cursor, FETCH);
    }
  }

  /**
   * Filters name columns the branch read has (a branch that kept columns of its own: those), as it shows them
   * (a column it renamed: by its new name).
   */
  private static void requireColumns(TrackedTable table, Map<String, String> filters) {
    for (String column : filters.keySet()) {
      if (table.columnsOnRef().stream().noneMatch(c -> table.shown(c.name()).equals(column))) {
        throw new StrataException(ErrorCode.ValidationError, "table '" + table.name() + "' has no column '" + column + "'",
            Map.of("column", column));
      }
    }
  }

  /** Rows a cursor of a stream fetches at a time. */
  private static final int FETCH = 5_000;

  /**
   * A table's rows at a ref, after the row {@code after} (a cursor of a page, or null), streamed in
   * key order as PostgreSQL's JSON text: one query in one snapshot of the table's database, matching
   * the metadata snapshot the ref was resolved in (see {@link StateReads#stream}).
   */
  public Multi<String> stream(RepositoryRow repository, TableRow table, String ref, boolean working,
      Map<String, String> filters, String after) {
    String cursor = after == null ? null : decodeCursor(after);
    String target = ref == null ? repository.defaultBranch() : ref;
    return resolver.resolveForRead(repository.name(), target).onItem().transformToMulti(resolved -> {
      String base = resolved.readBase(repository.defaultBranch());
      boolean live = working && resolved.isPlainBranch();
      if (live) {
        MadeTables.requireOn(table, resolved.branch());
      }
      return (live ? Uni.createFrom().voidItem()
              : madeTables.requireAt(repository.name(), table, resolved.commit(), target))
          .chain(() -> readAs(repository, table, resolved, base)).onItem().transformToMulti(onBase ->
          hidden(repository, resolved.commit(), table, onBase, live, filters).onItem().transformToMulti(hidden -> {
      Reader reader = new Reader(onBase, BranchRef.of(base, repository.defaultBranch()), filters, cursor);
      Uni<Reading> reading = backends.reach(repository.name(), table.storage()).chain(reach -> {
        Pool pool = reach.pool();
        Uni<Reading> opened;
        if (live) {
          opened = Reading.open(pool, null, StatePath.WORKING);
        } else if (backends.isServerOwn(table.storage())) {
          opened = openLocal(repository.name(), base, table, pool, resolved.commit(), 3);
        } else {
          opened = openInOtherStorage(repository.name(), base, table, pool, resolved.commit(), 3);
        }
        return opened.map(r -> r.through(reach));
      });
      return Multi.createFrom().resourceFromUni(() -> reading,
              r -> reader.stream(r.unit(), r.path()))
          .withFinalizer(Reading::close)
          .map(row -> ColumnsAtCommits.without(row, hidden));
      }));
    }).onFailure(RowReads::misfit).transform(RowReads::misfitError)
        .onFailure().recoverWithMulti(e -> TableShapes.<String>explain(e, backends, table.storage(),
            TrackedTable.of(repository.name(), table)).toMulti());
  }

  /**
   * The table as a read at {@code resolved} sees it, through branch {@code base}: a branch named as such shows
   * its columns under the names it shows them now; a commit (or tag), under those its branch showed when it was
   * made (of the columns the read has).
   */
  private Uni<TrackedTable> readAs(RepositoryRow repository, TableRow table, RefResolver.Resolved resolved,
      String base) {
    TrackedTable onBase = TrackedTable.on(repository.name(), table, base);
    if (resolved.isPlainBranch()) {
      return Uni.createFrom().item(onBase);
    }
    return BranchShapeRecords.renamedAt(metadata, repository.name(), resolved.commit()).map(all -> {
      // a name the read shows for another of its columns: neither is renamed (the commit's shape had no such)
      return onBase.withRenamed(io.strata.server.domain.ShownNames.consistent(all.getOrDefault(table.name(), Map.of()),
          onBase.columnsOnRef().stream().map(c -> c.name()).toList()));
    });
  }

  /**
   * The columns a read at {@code commit} leaves out (see {@link ColumnsAtCommits}), as the read names them:
   * none for a branch's working state. A filter on one of them is refused: the commit's rows did not have it.
   */
  private Uni<Set<String>> hidden(RepositoryRow repository, String commit, TableRow table, TrackedTable onBase,
      boolean live, Map<String, String> filters) {
    return (live ? Uni.createFrom().item(Set.<String>of())
        : columnsAtCommits.hiddenAt(repository.name(), repository.defaultBranch(), commit, table.name(),
            onBase.columnsOnRef()))
        .map(hidden -> hidden.stream().map(onBase::shown).collect(java.util.stream.Collectors.toSet()))
        .invoke(hidden -> filters.keySet().stream().filter(hidden::contains).findFirst().ifPresent(column -> {
          throw new StrataException(ErrorCode.ValidationError, "table '" + table.name() + "' had no column '" + column
              + "' at commit " + commit, Map.of("column", column));
        }));
  }

  /** A filter's, key's or cursor's value the column's type does not take: the client's to fix. */
  private static boolean misfit(Throwable e) {
    // every data exception here comes from a client's value: 22P02 form, 22003 range, 22007/22008 times...
    return PgErrors.kind(e) == PgErrors.Kind.REJECTED_DATA;
  }

  private static Throwable misfitError(Throwable e) {
    return StrataException.badRequest("a key or cursor value does not fit the column's type");
  }

  /**
   * A stream at a commit of a table in the metadata database: the path is read in the stream's own
   * transaction, so in its snapshot, once the commit graph there has caught up with the log (else the
   * transaction is given back until it has). One connection per stream, whatever their number.
   */
  private Uni<Reading> openLocal(String repository, String base, TableRow table, Pool pool, String commit,
      int attempts) {
    return Reading.open(pool, null, null).chain(open -> open.tx().connection().preparedQuery(LAG)
        .execute(Tuple.of(repository))
        .onFailure().call(open::close)
        .chain(rows -> {
          var r = rows.iterator().next();
          if (r.getLong(1) < r.getLong(0) && attempts > 1) {
            long version = r.getLong(0);
            return open.close()
                .chain(() -> projections.awaitVersion(repository, version, config.consistency().waitTimeout()))
                .chain(() -> openLocal(repository, base, table, pool, commit, attempts - 1));
          }
          return pathsTo(open.tx().connection(), repository, base, commit)
              .map(paths -> new Reading(open.tx(), committed(paths, table)))
              .onFailure().call(open::close);
        }));
  }

  /**
   * A stream at a commit of a table in another database: its snapshot there is taken between two
   * looks at the branch; when neither sees a commit of it under way and its head did not move, the
   * path read at the second matches that snapshot.
   */
  private Uni<Reading> openInOtherStorage(String repository, String base, TableRow table, Pool pool, String commit,
      int attempts) {
    return metadata.preparedQuery(UNSETTLED).execute(Tuple.of(repository, base)).chain(before -> {
      var b = before.iterator().next();
      return Reading.open(pool, null, null).chain(open -> inSnapshot(repository, tx -> tx.preparedQuery(UNSETTLED)
              .execute(Tuple.of(repository, base))
              .chain(after -> {
                var a = after.iterator().next();
                boolean settled = !b.getBoolean(1) && !a.getBoolean(1) && b.getString(0).equals(a.getString(0));
                return settled ? pathsTo(tx, repository, base, commit).map(paths -> committed(paths, table))
                    : Uni.createFrom().<StatePath>nullItem();
              }))
          .onFailure().call(open::close)
          .chain(path -> {
            if (path != null) {
              return Uni.createFrom().item(new Reading(open.tx(), path));
            }
            return open.close().chain(() -> attempts > 1 ? openInOtherStorage(repository, base, table, pool, commit,
                attempts - 1) : Uni.createFrom().failure(new StrataException(ErrorCode.StorageUnavailable, "branch '"
                + base + "' kept committing as the read began; retry")));
          }));
    });
  }

  /** A transaction to stream in, and the path to read there. */
  private record Reading(ReadTransaction tx, StatePath path, StorageBackends.Reach reach) {
    Reading(ReadTransaction tx, StatePath path) {
      this(tx, path, null);
    }

    static Uni<Reading> open(Pool pool, String snapshot, StatePath path) {
      return ReadTransaction.open(pool, snapshot).map(tx -> new Reading(tx, path));
    }

    /** The same reading, its units made as {@code reach} makes them (a Delta storage's, or PostgreSQL's). */
    Reading through(StorageBackends.Reach reach) {
      return new Reading(tx, path, reach);
    }

    UnitOfWork unit() {
      return reach.unit(tx.connection());
    }

    Uni<Void> close() {
      return tx.close();
    }
  }

  /**
   * A read at a commit of tables in another database, which no metadata snapshot covers: {@code plan}
   * resolves what to read in a metadata snapshot, {@code read} reads it; a commit of branch {@code
   * base} that started meanwhile (its head moved, or its intent is there) may have changed the working
   * log under the read, which is then done again.
   */
  public <P, T> Uni<T> inOtherStorage(String repository, String base,
      Function<SqlConnection, Uni<P>> plan, Function<P, Uni<T>> read) {
    return inOtherStorage(repository, base, plan, read, 3);
  }

  private <P, T> Uni<T> inOtherStorage(String repository, String base,
      Function<SqlConnection, Uni<P>> plan, Function<P, Uni<T>> read,
      int attempts) {
    String[] head = new String[1];
    return inSnapshot(repository, tx -> tx.preparedQuery(UNSETTLED).execute(Tuple.of(repository, base))
            .chain(rows -> {
              head[0] = rows.iterator().next().getString(0);
              return plan.apply(tx);
            }))
        .chain(planned -> read.apply(planned))
        .chain(result -> metadata.preparedQuery(UNSETTLED).execute(Tuple.of(repository, base)).chain(rows -> {
          var r = rows.iterator().next();
          if (head[0].equals(r.getString(0)) && !r.getBoolean(1)) {
            return Uni.createFrom().item(result);
          }
          if (attempts <= 1) {
            return Uni.createFrom().failure(new StrataException(ErrorCode.StorageUnavailable, "branch '" + base
                + "' kept committing during the read; retry"));
          }
          return inOtherStorage(repository, base, plan, read, attempts - 1);
        }));
  }

  /** A branch's head, and whether a cross-storage commit attempt of the repository is in flight (or left behind). */
  private static final String UNSETTLED =
      "select head, exists (select 1 from strata_meta.commit_intents where repository = $1)"
          + " from strata_meta.branches where repository = $1 and name = $2";

  /**
   * Runs {@code work} in a repeatable-read snapshot of the metadata database in which the commit graph
   * has caught up with the log (a commit's rows and event land together, its projection just after):
   * a snapshot that lags is retried once the projection caught up.
   */
  public <T> Uni<T> inSnapshot(String repository, Function<SqlConnection, Uni<T>> work) {
    return inSnapshot(repository, work, 3);
  }

  private <T> Uni<T> inSnapshot(String repository, Function<SqlConnection, Uni<T>> work,
      int attempts) {
    long[] lag = new long[1];
    return metadata.withTransaction(tx -> tx.query("set transaction isolation level repeatable read").execute()
            .chain(() -> tx.preparedQuery(LAG).execute(Tuple.of(repository)))
            .chain(rows -> {
              var r = rows.iterator().next();
              if (r.getLong(1) < r.getLong(0) && attempts > 1) {
                lag[0] = r.getLong(0);
                return Uni.createFrom().<Optional<T>>item(Optional.empty()); // lags: retry
              }
              return work.apply(tx).map(Optional::ofNullable);
            }))
        .chain(result -> lag[0] == 0
            ? Uni.createFrom().item(result.orElse(null))
            : projections.awaitVersion(repository, lag[0], config.consistency().waitTimeout())
                .chain(() -> inSnapshot(repository, work, attempts - 1)));
  }

  /** The change sets that separate branch {@code base}'s head from {@code commit}, read in {@code tx}. */
  public static Uni<CommitGraph.Paths> pathsTo(SqlConnection tx, String repository, String base, String commit) {
    return tx.preparedQuery(HEAD).execute(Tuple.of(repository, base))
        .map(rows -> rows.iterator().next().getString(0))
        .chain(head -> CommitGraph.pathsBetween(tx, repository, head, commit));
  }

  /** From a branch's working state to a commit for one table: its working log, then the change sets. */
  public static StatePath committed(CommitGraph.Paths paths, TableRow table) {
    return new StatePath(paths.undo(table.name()), paths.redo(table.name()), true);
  }

  private static List<JsonNode> parse(List<String> rows) {
    List<JsonNode> items = new ArrayList<>(rows.size());
    for (String row : rows) {
      try {
        items.add(EventCodec.mapper().readTree(row));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    return items;
  }

  private static String encodeCursor(String keyJson) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(keyJson.getBytes(StandardCharsets.UTF_8));
  }

  private static String decodeCursor(String cursor) {
    try {
      String json = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (!EventCodec.mapper().readTree(json).isObject()) {
        throw new IllegalArgumentException();
      }
      return json;
    } catch (IllegalArgumentException | JsonProcessingException e) {
      throw StrataException.badRequest("'after' is not a cursor this server gave out");
    }
  }
}
