package io.strata.server.queries;

import io.strata.projections.rowdata.UnitOfWork;
import io.strata.server.runtime.StorageBackends;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.StorageAdded;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.Sql;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.QueryAccess;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.Storages;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.QueryRoleGrants;
import io.strata.server.runtime.ServerDatabase;
import io.strata.server.runtime.StoragePools;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Cursor;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

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
  public static final int MAX_SQL = 65_536;
  private static final Logger LOG = Logger.getLogger(SqlQueries.class);
  /** Rows fetched from the cursor at first, and at most: after the first, as many as fit the bytes left. */
  private static final int FIRST_FETCH = 16;
  private static final int MAX_FETCH = 256;

  private final Vertx vertx;
  private final TableQueries tables;
  private final RefResolver resolver;
  private final ReadSnapshots reads;
  private final ColumnsAtCommits columnsAtCommits;
  private final MadeTables madeTables;
  private final StoragePools storagePools;
  private final Map<String, String> passwords = new ConcurrentHashMap<>();
  /** How long past its statement timeout the server waits before cancelling a statement itself. */
  private static final Duration TIMEOUT_GRACE = Duration.ofSeconds(1);

  private final QueryRoleGrants grants;
  private final QueryConnections connections;
  private final StrataConfig.Query limits;
  private final QueryAccess.Limits roleLimits;
  private final QueryAccess<UnitOfWork> access;
  private final SecureRandom random = new SecureRandom();

  @Inject
  public SqlQueries(Vertx vertx, TableQueries tables, RefResolver resolver, ReadSnapshots reads,
      StoragePools storagePools, QueryConnections connections, QueryRoleGrants grants, StrataConfig config,
      StorageBackends backends, ColumnsAtCommits columnsAtCommits, MadeTables madeTables) {
    this.madeTables = madeTables;
    this.columnsAtCommits = columnsAtCommits;
    this.access = backends.sqlRoles().queryAccess();
    this.connections = connections;
    this.grants = grants;
    this.limits = config.query();
    this.roleLimits = new QueryAccess.Limits(limits.workMem(), limits.tempFileLimit());
    this.storagePools = storagePools;
    this.vertx = vertx;
    this.tables = tables;
    this.resolver = resolver;
    this.reads = reads;
  }

  @org.eclipse.microprofile.openapi.annotations.media.Schema(name = "QueryResult")
  public record Result(List<String> columns, List<JsonNode> rows, boolean truncated) {}

  public Uni<Result> run(RepositoryRow repository, String sql, String ref, boolean working, int limit) {
    return run(repository, sql, ref, working, limit, limits.timeout());
  }

  /**
   * {@link #run(RepositoryRow, String, String, boolean, int)} within {@code timeout} (at most the configured query
   * timeout): a promotion's check runs under its own.
   */
  public Uni<Result> run(RepositoryRow repository, String sql, String ref, boolean working, int limit,
      Duration timeout) {
    Duration within = timeout.compareTo(limits.timeout()) < 0 ? timeout : limits.timeout();
    String statement = trimmed(sql);
    if (limit < 1 || limit > limits.maxRows()) {
      throw StrataException.invalid("limit", "must be 1 to " + limits.maxRows());
    }
    String repo = repository.name();
    return Uni.combine().all().unis(tables.tables(repo), resolver.resolveForRead(repo, ref == null ? repository.defaultBranch() : ref))
        .asTuple()
        // a table made on a branch the ref does not have is not there (as one tracked after its commit)
        .chain(t -> madeTables.presentAt(repo, t.getItem1(), t.getItem2().commit(),
                working && t.getItem2().isPlainBranch() ? t.getItem2().branch() : null)
            .map(present -> io.smallrye.mutiny.tuples.Tuple2.of(present, t.getItem2())))
        .chain(t -> {
          String storage = storageFor(t.getItem1(), statement);
          List<TableRow> tracked = t.getItem1().stream().filter(x -> x.storage().equals(storage)).toList();
          RefResolver.Resolved resolved = t.getItem2();
          String base = resolved.readBase(repository.defaultBranch());
          BranchRef on = BranchRef.of(base, repository.defaultBranch());
          boolean live = working && resolved.isPlainBranch();
          Function<SqlConnection, Uni<List<StatePath>>> plan =
              tx -> paths(tx, repo, tracked, base, resolved.commit(), live);
          // at a commit of the default branch's history made before a table gained columns: the columns it had
          List<Set<String>> hidden = new ArrayList<>();
          Uni<Void> hiddenRead = live ? Uni.createFrom().voidItem() : Multi.createFrom().iterable(tracked)
              .onItem().transformToUniAndConcatenate(x -> columnsAtCommits.hiddenAt(repo, repository.defaultBranch(),
                  resolved.commit(), x.name(), TrackedTable.on(repo, x, base).columnsOnRef()))
              .collect().asList().invoke(hidden::addAll).replaceWithVoid();
          // a commit's rows show the names its branch showed then (a branch's, those it shows now: its views')
          Map<String, Map<String, String>> renamedAt = resolved.isPlainBranch() ? null : new java.util.HashMap<>();
          Uni<Void> renamedRead = resolved.isPlainBranch() ? Uni.createFrom().voidItem()
              : tables.renamedAt(repo, resolved.commit()).invoke(renamedAt::putAll).replaceWithVoid();
          return hiddenRead.chain(() -> renamedRead).chain(() -> storagePools.registration(repo, storage)).chain(registration -> storagePools.pool(repo, registration)
              .chain(data -> Multi.createFrom().iterable(tracked)
                  .onItem().transformToUniAndConcatenate(x -> data.withConnection(c -> TableShapes.requireUnchanged(
                      StorageBackends.unitOf(c), TrackedTable.of(repo, x))))
                  .collect().last()
                  .chain(() -> access(repo, registration, data, tracked))
                  .chain(options -> {
                    if (registration == null) {
                      // the server's own database: the query shares the snapshot the ref was resolved in
                      return reads.inSnapshot(repo, tx -> plan.apply(tx)
                          .chain(paths -> tx.query("select pg_export_snapshot()").execute()
                              .map(rows -> rows.iterator().next().getString(0))
                              .chain(snapshot -> execute(options, snapshot, within, wrap(repo, tracked, paths, on, hidden, renamedAt,
                                  statement), limit))));
                    }
                    return reads.inOtherStorage(repo, base, plan,
                        paths -> execute(options, null, within, wrap(repo, tracked, paths, on, hidden, renamedAt, statement),
                            limit));
                  })));
        });
  }

  /**
   * The storage whose database a query runs in: the one holding the repository's tables, or, when
   * they span several, the one holding the tables the statement names (a join across databases cannot
   * run in either); a statement naming none runs where the server's own tables are.
   */
  static String storageFor(List<TableRow> tracked, String statement) {
    Set<String> storages = tracked.stream().map(TableRow::storage)
        .collect(Collectors.toCollection(TreeSet::new));
    if (storages.size() <= 1) {
      return storages.isEmpty() ? Storages.LOCAL : storages.iterator().next();
    }
    Map<String, String> named = new TreeMap<>();
    for (TableRow t : tracked) {
      if (Pattern.compile("(?<![\\w$])" + Pattern.quote(t.name()) + "(?![\\w$])",
          Pattern.CASE_INSENSITIVE).matcher(statement).find()) {
        named.put(t.name(), t.storage());
      }
    }
    Set<String> used = new TreeSet<>(named.values());
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

  private static Uni<List<StatePath>> paths(SqlConnection tx, String repo, List<TableRow> tracked, String base,
      String commit, boolean live) {
    if (live) {
      return Uni.createFrom().item(tracked.stream().map(t -> StatePath.WORKING).toList());
    }
    return ReadSnapshots.pathsTo(tx, repo, base, commit)
        .map(paths -> tracked.stream().map(t -> ReadSnapshots.committed(paths, t)).toList());
  }

  /** The user's statement under CTEs that name the repository's tables as their state at the ref. */
  private String wrap(String repo, List<TableRow> tracked, List<StatePath> paths, BranchRef on,
      List<Set<String>> hidden, Map<String, Map<String, String>> renamedAt, String statement) {
    // renamedAt: per table, the names the commit read showed its columns under (null: a branch, its own)
    List<String> ctes = new ArrayList<>();
    for (int i = 0; i < tracked.size(); i++) {
      TableRow t = tracked.get(i);
      TrackedTable table = TrackedTable.on(repo, t, on.name());
      String state = access.relationAt(table, on, paths.get(i));
      Set<String> left = hidden.isEmpty() ? Set.of() : hidden.get(i);
      // the relation shows the reading branch's names; a commit's rows are named as its branch named them then
      List<String> stored = table.columnsOnRef().stream().map(c -> c.name()).toList();
      // a name the read shows for another of its columns: neither is renamed (the commit's shape had no such)
      Map<String, String> then = renamedAt == null ? table.refRenamed()
          : io.strata.server.domain.ShownNames.consistent(renamedAt.getOrDefault(t.name(), Map.of()), stored);
      boolean renamedOtherwise = stored.stream().anyMatch(c -> !table.shown(c).equals(then.getOrDefault(c, c)));
      String columns = left.isEmpty() && !renamedOtherwise ? "*" : stored.stream()
          .filter(c -> !left.contains(c))
          .map(c -> "s." + Sql.quote(table.shown(c)) + " as " + Sql.quote(then.getOrDefault(c, c)))
          .collect(Collectors.joining(", "));
      ctes.add(Sql.quote(t.name()) + " as (select " + columns + " from " + state + " s)");
    }
    return (ctes.isEmpty() ? "" : "with " + String.join(", ", ctes) + " ") + "select * from (\n" + statement + "\n) q";
  }

  /**
   * Runs the query read-only on a connection of its own, in {@code snapshot} (an exported one of the same
   * database) if given, reading through a cursor: at most {@code limit} rows, and rows only while their
   * JSON stays within the answer's byte limit: the database sends a row's JSON only while the running
   * total is within it, so a huge row or answer never reaches the server's heap. The running total is
   * kept row by row in a transaction-local setting (a window function would hold every row read so far
   * in the database) whose name is random, so that the statement cannot reset it; the server counts the
   * bytes it receives as well, and fetches only as many rows as the bytes left allow.
   */
  private Uni<Result> execute(PgConnectOptions options, String snapshot, Duration timeout, String query, int limit) {
    long maxBytes = limits.maxAnswerBytes();
    byte[] nonce = new byte[8];
    random.nextBytes(nonce);
    String counter = "'strata.answer_" + HexFormat.of().formatHex(nonce) + "'";
    String sized = "select case when w.total <= " + maxBytes + " then w.j end, w.total from (select j, set_config("
        + counter + ", (coalesce(nullif(current_setting(" + counter + ", true), ''), '0')::bigint"
        + " + octet_length(j))::text, true)::bigint as total"
        + " from (select row_to_json(d.*)::text as j from (" + query + ") d limit " + (limit + 1) + ") r) w";
    return connections.open(options).chain(c -> ReadTransaction.begin(c, snapshot)
            .chain(read -> c.query("set local statement_timeout = " + timeout.toMillis()).execute()
                .chain(() -> c.preparedQuery("select * from (" + query + ") d limit 0").execute())
                .chain(described -> c.prepare(sized)
                    .chain(prepared -> read(prepared.cursor(), FIRST_FETCH, limit, maxBytes, new ArrayList<>(), 0, 1)
                        .map(page -> new Result(described.columnsNames(), page.rows(), page.truncated())))))
            // the statement may lift its own statement_timeout (set_config is a function it can call): the
            // server holds the limit too, cancelling the statement before the session is discarded
            .ifNoItem().after(timeout.plus(TIMEOUT_GRACE))
            .recoverWithUni(() -> connections.cancel(c).chain(() -> Uni.createFrom().failure(timedOut(timeout))))
            .eventually(() -> connections.close(c))
            .onCancellation().call(() -> connections.abandon(c)))
        .onFailure(e -> !(e instanceof StrataException)).transform(e -> translate(e, timeout));
  }

  private StrataException timedOut(Duration timeout) {
    return new StrataException(ErrorCode.ValidationError, "the query ran longer than " + timeout.toSeconds()
        + " s and was cancelled", Map.of("timeout_seconds", timeout.toSeconds()));
  }

  private record Page(List<JsonNode> rows, boolean truncated) {}

  /**
   * Reads {@code cursor} ({@code fetch} rows next) into {@code out} until its end, {@code limit} rows, or
   * {@code maxBytes} of JSON; {@code used} bytes read so far, the largest row {@code largest}.
   */
  private static Uni<Page> read(Cursor cursor, int fetch, int limit, long maxBytes,
      List<JsonNode> out, long used, long largest) {
    return cursor.read(fetch).chain(rows -> {
      long total = used;
      long biggest = largest;
      for (Row r : rows) {
        String json = r.getString(0);
        if (out.size() == limit || json == null || r.getLong(1) > maxBytes || (total += json.length()) > maxBytes) {
          return cursor.close().map(x -> new Page(out, true));
        }
        biggest = Math.max(biggest, json.length());
        out.add(values(json));
      }
      if (!cursor.hasMore()) {
        return cursor.close().map(x -> new Page(out, false));
      }
      int next = (int) Math.max(1, Math.min(MAX_FETCH, (maxBytes - total) / biggest));
      return read(cursor, next, limit, maxBytes, out, total, biggest);
    });
  }

  /**
   * Connection options for the repository's restricted role in the database of {@code storage} (null:
   * the server's own), the role granted there the state functions of {@code tracked}.
   */
  private Uni<PgConnectOptions> access(String repo, StorageAdded storage, Pool data, List<TableRow> tracked) {
    String password = passwords.computeIfAbsent(repo, r -> {
      byte[] bytes = new byte[24];
      random.nextBytes(bytes);
      return HexFormat.of().formatHex(bytes);
    });
    String storageName = storage == null ? Storages.LOCAL : storage.name();
    String signature = tracked.stream().map(t -> TrackedTable.idOf(repo, t.name()) + ":" + t.columns().hashCode())
        .sorted().collect(Collectors.joining(","));
    Uni<Void> grant = grants.isCurrent(repo, storageName, signature)
        ? Uni.createFrom().voidItem()
        : data.withTransaction(tx -> access.grant(StorageBackends.unitOf(tx), repo, tracked.stream().map(t -> TrackedTable.of(repo, t)).toList(),
                password, roleLimits))
            .invoke(limited -> {
              if (!limited) {
                LOG.warnf("storage '%s': its user may not set temp_file_limit (a superuser's setting), so queries of"
                    + " repository '%s' there may write temporary files without limit", storageName, repo);
              }
              grants.granted(repo, storageName, signature);
            })
            .replaceWithVoid()
            .onFailure(e -> PgErrors.kind(e) == PgErrors.Kind.PRIVILEGE).transform(e -> new StrataException(ErrorCode.ValidationError,
                "the query endpoint needs a database user that may create roles (CREATEROLE) in storage '"
                    + storageName + "'", Map.of()));
    Uni<PgConnectOptions> options = storage == null
        ? Uni.createFrom().item(ServerDatabase::connectOptions)
        : storagePools.connectOptions(storage);
    return grant.chain(() -> options).map(o -> new PgConnectOptions(o).setUser(access.role(repo))
        .setPassword(password).setCachePreparedStatements(false));
  }

  /** A row's values in column order: row_to_json keeps the order and any duplicate column names. */
  private static JsonNode values(String rowJson) {
    ArrayNode values = EventCodec.mapper().createArrayNode();
    try (JsonParser p = EventCodec.mapper().createParser(rowJson)) {
      p.nextToken(); // the row object
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        p.nextToken();
        values.add((JsonNode) EventCodec.mapper().readTree(p));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return values;
  }

  /**
   * What the database refused in the statement is the client's to fix: 422 with the database's reason,
   * whatever the reason (a syntax or permission error, a resource limit: temp_file_limit 53400, out of
   * memory 53200, a program limit 54000, an internal error of the statement XX000), the timeout named as
   * such; only a database that is unreachable, shutting down or out of connections is a 503.
   */
  private Throwable translate(Throwable e, Duration timeout) {
    PgErrors.Kind kind = PgErrors.kind(e);
    String state = PgErrors.sqlState(e);
    if (kind == PgErrors.Kind.NONE || state == null) {
      return e; // not the database's answer to the statement (a connection that failed is mapped as such)
    }
    return switch (kind) {
      case CANCELED -> timedOut(timeout);
      case UNAVAILABLE -> new StrataException(ErrorCode.StorageUnavailable, "the database cannot run the query now: "
          + PgErrors.message(e), Map.of("sqlstate", state));
      case RESOURCE_LIMIT -> new StrataException(ErrorCode.ValidationError,
          "the query exceeded a resource limit of the database: " + PgErrors.message(e), Map.of("sqlstate", state));
      default -> new StrataException(ErrorCode.ValidationError, "the query was refused: " + PgErrors.message(e),
          Map.of("sqlstate", state));
    };
  }
}
