package io.strata.server.queries;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.StorageAdded;
import io.strata.projections.overlay.OverlaySql;
import io.strata.projections.overlay.QueryAccess;
import io.strata.projections.overlay.TableReader;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.Sql;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.Storages;
import io.strata.server.runtime.StoragePools;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgBuilder;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Read-only SQL over a ref ({@code POST /query}). The repository's tables resolve, by their names, to
 * their state at the ref (common table expressions over views of the branch's states, and at older
 * refs the state functions' rows that differ). The statement
 * runs in the database holding the tables, on its own connection as the repository's restricted login
 * role, in a read-only transaction, with a statement timeout and a row limit: it cannot write, and
 * cannot read any table, Strata object or other repository's data. In the server's own database it
 * shares the metadata snapshot the ref was resolved in; in another, it is checked afterwards that no
 * commit of the branch ran meanwhile, as row reads there are.
 */
@ApplicationScoped
public class SqlQueries {
  public static final int DEFAULT_LIMIT = 10_000;
  public static final int MAX_LIMIT = 100_000;
  public static final int MAX_SQL = 65_536;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final TableQueries tables;
  private final RefResolver resolver;
  private final RowReads reads;
  private final StoragePools storagePools;
  private final Map<String, String> passwords = new ConcurrentHashMap<>();
  private final Map<String, Pool> pools = new ConcurrentHashMap<>();
  private final Map<String, String> granted = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();

  @Inject
  public SqlQueries(Vertx vertx, TableQueries tables, RefResolver resolver, RowReads reads,
      StoragePools storagePools) {
    this.storagePools = storagePools;
    this.vertx = vertx;
    this.tables = tables;
    this.resolver = resolver;
    this.reads = reads;
  }

  public record Result(List<String> columns, List<JsonNode> rows, boolean truncated) {}

  public Uni<Result> run(RepositoryRow repository, String sql, String ref, boolean working, int limit) {
    String statement = trimmed(sql);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw StrataException.invalid("limit", "must be 1 to " + MAX_LIMIT);
    }
    String repo = repository.name();
    return Uni.combine().all().unis(tables.tables(repo), resolver.resolve(repo, ref == null ? repository.defaultBranch() : ref))
        .asTuple()
        .chain(t -> {
          String storage = storageFor(t.getItem1(), statement);
          List<TableRow> tracked = t.getItem1().stream().filter(x -> x.storage().equals(storage)).toList();
          RefResolver.Resolved resolved = t.getItem2();
          String base = resolved.branch() != null ? resolved.branch() : repository.defaultBranch();
          String bid = base.equals(repository.defaultBranch()) ? null : OverlaySql.branchId(repo, base);
          boolean live = working && resolved.isPlainBranch();
          java.util.function.Function<SqlConnection, Uni<List<TableReader.Path>>> plan =
              tx -> paths(tx, repo, tracked, base, resolved.commit(), live);
          return storagePools.registration(repo, storage).chain(registration -> storagePools.pool(repo, registration)
              .chain(data -> Multi.createFrom().iterable(tracked)
                  .onItem().transformToUniAndConcatenate(x -> io.strata.server.commands.TableShapes.requireUnchanged(data,
                      x.toEvent()))
                  .collect().last()
                  .chain(() -> access(repo, registration, data, tracked))
                  .chain(pool -> {
                    if (registration == null) {
                      // the server's own database: the query shares the snapshot the ref was resolved in
                      return reads.inSnapshot(repo, tx -> plan.apply(tx)
                          .chain(paths -> tx.query("select pg_export_snapshot()").execute()
                              .map(rows -> rows.iterator().next().getString(0))
                              .chain(snapshot -> execute(pool, snapshot, wrap(repo, tracked, paths, bid, statement), limit))));
                    }
                    return reads.inOtherStorage(repo, base, plan,
                        paths -> execute(pool, null, wrap(repo, tracked, paths, bid, statement), limit));
                  })));
        });
  }

  /**
   * The storage whose database a query runs in: the one holding the repository's tables, or, when
   * they span several, the one holding the tables the statement names (a join across databases cannot
   * run in either); a statement naming none runs where the server's own tables are.
   */
  static String storageFor(List<TableRow> tracked, String statement) {
    java.util.Set<String> storages = tracked.stream().map(TableRow::storage)
        .collect(Collectors.toCollection(java.util.TreeSet::new));
    if (storages.size() <= 1) {
      return storages.isEmpty() ? Storages.LOCAL : storages.iterator().next();
    }
    Map<String, String> named = new java.util.TreeMap<>();
    for (TableRow t : tracked) {
      if (java.util.regex.Pattern.compile("(?<![\\w$])" + java.util.regex.Pattern.quote(t.name()) + "(?![\\w$])",
          java.util.regex.Pattern.CASE_INSENSITIVE).matcher(statement).find()) {
        named.put(t.name(), t.storage());
      }
    }
    java.util.Set<String> used = new java.util.TreeSet<>(named.values());
    if (used.size() > 1) {
      throw new StrataException(ErrorCode.ValidationError, "a query reads the tables of one storage, and this one names"
          + " tables in " + used + ": query each storage's tables on their own", Map.of("storages", named));
    }
    return used.isEmpty() ? (storages.contains(Storages.LOCAL) ? Storages.LOCAL : storages.iterator().next())
        : used.iterator().next();
  }

  private static String trimmed(String sql) {
    if (sql == null || sql.isBlank()) {
      throw StrataException.invalid("sql", "is required");
    }
    if (sql.length() > MAX_SQL) {
      throw StrataException.invalid("sql", "is longer than " + MAX_SQL + " characters");
    }
    String s = sql.strip();
    while (s.endsWith(";")) {
      s = s.substring(0, s.length() - 1).strip();
    }
    return s;
  }

  private static Uni<List<TableReader.Path>> paths(SqlConnection tx, String repo, List<TableRow> tracked, String base,
      String commit, boolean live) {
    if (live) {
      return Uni.createFrom().item(tracked.stream().map(t -> TableReader.Path.WORKING).toList());
    }
    return RowReads.pathsTo(tx, repo, base, commit)
        .map(paths -> tracked.stream().map(t -> RowReads.committed(paths, t)).toList());
  }

  /** The user's statement under CTEs that name the repository's tables as their state at the ref. */
  private static String wrap(String repo, List<TableRow> tracked, List<TableReader.Path> paths, String bid,
      String statement) {
    List<String> ctes = new ArrayList<>();
    for (int i = 0; i < tracked.size(); i++) {
      TableRow t = tracked.get(i);
      TableReader.Path p = paths.get(i);
      OverlaySql table = OverlaySql.of(repo, t).onBranch(bid);
      String state;
      if (p.isWorking()) {
        state = table.workView(); // a branch's working state or head: views the planner sees into
      } else if (p.undo().isEmpty() && p.redo().isEmpty()) {
        state = table.headView();
      } else {
        state = "(" + table.stateAtRef("(" + (bid == null ? "null" : "'" + bid + "'") + ", " + array(p.undo()) + ", "
            + array(p.redo()) + ", " + p.undoWorkingLog() + ")") + ")";
      }
      ctes.add(Sql.quote(t.name()) + " as (select * from " + state + " s)");
    }
    return (ctes.isEmpty() ? "" : "with " + String.join(", ", ctes) + " ") + "select * from (\n" + statement + "\n) q";
  }

  private static String array(List<String> changeSets) {
    for (String c : changeSets) {
      if (!c.matches("[0-9a-f]{64}")) {
        throw new IllegalStateException("not a change set id: " + c);
      }
    }
    return changeSets.stream().map(c -> "'" + c + "'").collect(Collectors.joining(",", "array[", "]::text[]"));
  }

  /** Runs the query read-only, in {@code snapshot} (an exported one of the same database) if given. */
  private Uni<Result> execute(Pool pool, String snapshot, String query, int limit) {
    return ReadTransaction.open(pool, snapshot).chain(read -> {
          SqlConnection c = read.connection();
          return c.query("set local statement_timeout = " + TIMEOUT.toMillis()).execute()
              .chain(() -> c.preparedQuery("select * from (" + query + ") d limit 0").execute())
              .chain(described -> c.preparedQuery("select row_to_json(d.*)::text from (" + query + ") d limit "
                      + (limit + 1)).execute()
                  .map(rows -> {
                    List<JsonNode> out = new ArrayList<>(Math.min(rows.rowCount(), limit));
                    for (Row r : rows) {
                      if (out.size() == limit) {
                        break;
                      }
                      out.add(values(r.getString(0)));
                    }
                    return new Result(described.columnsNames(), out, rows.rowCount() > limit);
                  }))
              .eventually(read::close);
        })
        .onFailure(e -> !(e instanceof StrataException)).transform(SqlQueries::translate);
  }

  /**
   * The restricted pool of a repository in the database of {@code storage} (null: the server's own),
   * its role granted there the state functions of {@code tracked}.
   */
  private Uni<Pool> access(String repo, StorageAdded storage, Pool data, List<TableRow> tracked) {
    String password = passwords.computeIfAbsent(repo, r -> {
      byte[] bytes = new byte[24];
      random.nextBytes(bytes);
      return HexFormat.of().formatHex(bytes);
    });
    String place = repo + "\u0000" + (storage == null ? Storages.LOCAL : storage.name());
    String signature = tracked.stream().map(t -> OverlaySql.tableId(repo, t.name()) + ":" + t.columns().hashCode())
        .sorted().collect(Collectors.joining(","));
    Uni<Void> grant = signature.equals(granted.get(place))
        ? Uni.createFrom().voidItem()
        : QueryAccess.grant(data, repo, tracked.stream().map(t -> OverlaySql.of(repo, t)).toList(), password)
            .invoke(() -> granted.put(place, signature))
            .onFailure(e -> PgErrors.hasState(e, "42501")).transform(e -> new StrataException(ErrorCode.ValidationError,
                "the query endpoint needs a database user that may create roles (CREATEROLE) in storage '"
                    + (storage == null ? Storages.LOCAL : storage.name()) + "'", Map.of()));
    Pool existing = pools.get(place);
    if (existing != null) {
      return grant.replaceWith(existing);
    }
    Uni<PgConnectOptions> options = storage == null
        ? Uni.createFrom().item(() -> PgConnectOptions.fromUri(ConfigProvider.getConfig()
            .getValue("quarkus.datasource.reactive.url", String.class).replaceFirst("^vertx-reactive:", "")))
        : storagePools.connectOptions(storage);
    return grant.chain(() -> options).map(o -> pools.computeIfAbsent(place, k -> PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(2).setName("query-" + k.replace('\u0000', '-')))
        .connectingTo(new PgConnectOptions(o).setUser(QueryAccess.role(repo)).setPassword(password))
        .using(vertx).build()));
  }

  /** Closes the restricted pools of a deleted repository. */
  public void forget(String repository) {
    String prefix = repository + "\u0000";
    granted.keySet().removeIf(k -> k.startsWith(prefix));
    pools.keySet().stream().filter(k -> k.startsWith(prefix)).toList().forEach(k -> {
      Pool pool = pools.remove(k);
      if (pool != null) {
        pool.close().subscribe().with(ok -> {}, e -> {});
      }
    });
  }

  @PreDestroy
  void closeAll() {
    pools.values().forEach(p -> p.close().subscribe().with(ok -> {}, e -> {}));
  }

  /** A row's values in column order: row_to_json keeps the order and any duplicate column names. */
  private static JsonNode values(String rowJson) {
    com.fasterxml.jackson.databind.node.ArrayNode values = EventCodec.mapper().createArrayNode();
    try (com.fasterxml.jackson.core.JsonParser p = EventCodec.mapper().createParser(rowJson)) {
      p.nextToken(); // the row object
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        p.nextToken();
        values.add((JsonNode) EventCodec.mapper().readTree(p));
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return values;
  }

  /** What the database refused in the statement is the client's to fix: 422 with the database's reason. */
  private static Throwable translate(Throwable e) {
    if (PgErrors.hasState(e, "57014")) {
      return new StrataException(ErrorCode.ValidationError, "the query ran longer than " + TIMEOUT.toSeconds()
          + " s and was cancelled", Map.of("timeout_seconds", TIMEOUT.toSeconds()));
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.vertx.pgclient.PgException pg && pg.getSqlState() != null
          && List.of("42", "22", "25", "0A", "54", "21", "2B", "3F", "44", "2F", "38", "39", "P0", "55")
              .contains(pg.getSqlState().substring(0, 2))) {
        return new StrataException(ErrorCode.ValidationError, "the query was refused: " + pg.getErrorMessage(),
            Map.of("sqlstate", pg.getSqlState()));
      }
    }
    return e;
  }
}
