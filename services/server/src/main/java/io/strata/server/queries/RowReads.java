package io.strata.server.queries;

import io.strata.projections.rowdata.UnitOfWork;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.StateReads;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.BranchShapeRecords;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StoragePools;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rows of a tracked table at any ref: a branch's working state (its overlay over the table), with the
 * change sets that separate its head from the wanted commit undone and redone. For tables in the server's own database, the commit path and the rows
 * are read in one snapshot; a snapshot in which the commit graph lags the log is retried after it
 * catches up (a commit's rows and event land together, its projection just after).
 */
@ApplicationScoped
public class RowReads {
  private final Pool metadata;
  private final StoragePools pools;
  private final StorageBackends backends;
  private final RefResolver resolver;
  private final ReadSnapshots snapshots;
  private final ColumnsAtCommits columnsAtCommits;
  private final MadeTables madeTables;

  @Inject
  public RowReads(Pool metadata, StoragePools pools, RefResolver resolver, ReadSnapshots snapshots,
      StorageBackends backends, ColumnsAtCommits columnsAtCommits, MadeTables madeTables) {
    this.madeTables = madeTables;
    this.columnsAtCommits = columnsAtCommits;
    this.backends = backends;
    this.metadata = metadata;
    this.pools = pools;
    this.resolver = resolver;
    this.snapshots = snapshots;
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
                  : snapshots.inOtherStorage(repository.name(), base, tx -> ReadSnapshots.pathsTo(tx,
                      repository.name(), base, resolved.commit()), paths -> reach.pool().withConnection(c ->
                          reader.page(reach.unit(c), ReadSnapshots.committed(paths, table), limit))));
            } else {
              // in the server's own database the commit graph is read in the same snapshot as the rows
              page = live
                  ? metadata.withConnection(c -> reader.page(StorageBackends.unitOf(c), StatePath.WORKING, limit))
                  : snapshots.inSnapshot(repository.name(), tx -> ReadSnapshots.pathsTo(tx, repository.name(), base,
                      resolved.commit()).chain(paths -> reader.page(StorageBackends.unitOf(tx),
                          ReadSnapshots.committed(paths, table), limit)));
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
      Uni<ReadSnapshots.Reading> reading = backends.reach(repository.name(), table.storage()).chain(reach -> {
        Pool pool = reach.pool();
        Uni<ReadSnapshots.Reading> opened;
        if (live) {
          opened = ReadSnapshots.Reading.open(pool, null, StatePath.WORKING);
        } else if (backends.isServerOwn(table.storage())) {
          opened = snapshots.openLocal(repository.name(), base, table, pool, resolved.commit(), 3);
        } else {
          opened = snapshots.openInOtherStorage(repository.name(), base, table, pool, resolved.commit(), 3);
        }
        return opened.map(r -> r.through(reach));
      });
      return Multi.createFrom().resourceFromUni(() -> reading,
              r -> reader.stream(r.unit(), r.path()))
          .withFinalizer(ReadSnapshots.Reading::close)
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
