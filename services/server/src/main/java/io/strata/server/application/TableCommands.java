package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.TableMaking;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Commands;
import io.strata.server.domain.TableCommand;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.TrackableSchemas;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tracking and untracking tables: read the table's catalog and measure its rows in its storage, then
 * record {@code TableTracked} and a commit on the default branch.
 */
@ApplicationScoped
public class TableCommands {
  private static final Pattern LOCATION = Pattern.compile(
      "postgresql://([a-z][a-z0-9_-]{0,62})/(?:([A-Za-z_][A-Za-z0-9_$]{0,62})\\.)?([A-Za-z_][A-Za-z0-9_$]{0,62})");
  private static final Pattern TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  static final int MAX_COLUMNS = 200;
  private static final Pattern SHAPE_HASH = Pattern.compile("[0-9a-f]{64}");

  private final CommandProcessor processor;
  private final StorageBackends backends;
  private final TableQueries tables;
  private final StrataConfig config;
  private final SchemaFollower follower;

  @Inject
  public TableCommands(CommandProcessor processor, TableQueries tables, StrataConfig config, StorageBackends backends,
      SchemaFollower follower) {
    this.follower = follower;
    this.backends = backends;
    this.config = config;
    this.processor = processor;
    this.tables = tables;
  }

  /**
   * Where a table lives: {@code postgresql://<storage>/<schema>.<table>} (schema defaults to public), or a Delta Lake
   * table's {@code delta://<storage>/<path>} (its path under the storage's place; no schema: empty).
   */
  public record Location(String storage, String schema, String table) {
    /** Whether it is a Delta table's (a path of a Delta storage). */
    public boolean delta() {
      return schema.isEmpty();
    }

    public String uri() {
      return delta() ? "delta://" + storage + "/" + table : "postgresql://" + storage + "/" + schema + "." + table;
    }
  }

  private static final Pattern DELTA_LOCATION = Pattern.compile("delta://([a-z][a-z0-9_-]{0,62})/(.{1,1024})");

  public static Location parseLocation(String location) {
    Matcher d = location == null ? null : DELTA_LOCATION.matcher(location);
    if (d != null && d.matches()) {
      String path = d.group(2).endsWith("/") ? d.group(2).substring(0, d.group(2).length() - 1) : d.group(2);
      if (!io.strata.projections.delta.DeltaStorage.isTablePath(path)) {
        throw StrataException.invalid("location", "a Delta table's path is segments of letters, digits and"
            + " . _ = + -, not starting with _ and no . or .. ones");
      }
      return new Location(d.group(1), "", path);
    }
    Matcher m = location == null ? null : LOCATION.matcher(location);
    if (m == null || !m.matches()) {
      throw StrataException.invalid("location",
          "must be postgresql://<storage>/<schema>.<table> with plain identifiers, or delta://<storage>/<path>");
    }
    return new Location(m.group(1), m.group(2) == null ? "public" : m.group(2), m.group(3));
  }

  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> track(String repository, String name, String location, List<String> primaryKey,
      Author author, CommandContext ctx, Answer answer) {
    requireName(name);
    Location where = parseLocation(location);
    if (!where.delta()) {
      TrackableSchemas.require(backends.isServerOwn(where.storage()), where.schema(), config.localSchemas());
    } else if (primaryKey == null || primaryKey.isEmpty()) {
      throw StrataException.invalid("primary_key", "a Delta table has no primary key: give the columns its rows are"
          + " versioned by");
    }
    if (primaryKey != null && primaryKey.stream().anyMatch(c -> !Sql.isIdentifier(c))) {
      throw StrataException.invalid("primary_key", "must list column names");
    }
    return requireKind(repository, where)
        .chain(() -> register(repository, name, location, where, primaryKey, null, author, ctx, answer));
  }

  /** A Delta table is made on the default branch (a table made on another waits at a place of Strata's: PostgreSQL's). */
  private Uni<Void> requireMadeOnDefault(String repository, String branch, Location where) {
    return !where.delta() ? Uni.createFrom().voidItem() : processor.state(repository).invoke(state -> {
      if (state.exists() && !branch.equals(state.defaultBranch())) {
        throw StrataException.invalid("location", "a Delta table is made on the default branch ("
            + state.defaultBranch() + "); other branches have it once made");
      }
    }).replaceWithVoid();
  }

  /** Refuses a location of the other kind than its storage's (a delta:// one in a PostgreSQL storage, or back). */
  private Uni<Void> requireKind(String repository, Location where) {
    return backends.holdsDeltaTables(repository, where.storage()).invoke(delta -> {
      if (delta != where.delta()) {
        throw StrataException.invalid("location", "storage '" + where.storage() + "' holds "
            + (delta ? "Delta Lake tables: their locations are delta://" + where.storage() + "/<path>"
                : "PostgreSQL tables: their locations are postgresql://" + where.storage() + "/<schema>.<table>"));
      }
    }).replaceWithVoid();
  }

  /**
   * Makes a table and tracks it on the default branch, in one transaction of its storage: {@code columns}
   * defined by the table's database first (types among PostgreSQL's own, constant defaults), the key
   * {@code primaryKey}, at {@code location} ({@code postgresql://local/public.<name>} when not given).
   */
  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> create(String repository, String branch, String name, String location,
      List<BranchObjects.NewColumn> columns, List<String> primaryKey, Map<String, String> tableProperties,
      Author author, CommandContext ctx, Answer answer) {
    requireName(name);
    String at = location == null ? "postgresql://" + backends.serverOwn() + "/public." + name : location;
    Location where = parseLocation(at);
    if (!where.delta()) {
      TrackableSchemas.require(backends.isServerOwn(where.storage()), where.schema(), config.localSchemas());
    }
    requireColumns(columns, primaryKey);
    Map<String, String> properties = properties(where, tableProperties);
    return requireKind(repository, where).chain(() -> requireMadeOnDefault(repository, branch, where))
        .chain(() -> backends.begin(repository, where.storage()))
        .chain(open -> open.unit().roles().branchObjects().define(open.unit(), columns)
            .onTermination().call(open::rollback))
        .onFailure(BranchObjects.Undefinable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
            "column '" + ((BranchObjects.Undefinable) e).column() + "': " + e.getMessage(),
            Map.of("table", name, "column", ((BranchObjects.Undefinable) e).column())))
        // a short default the database writes out long (an array of huge numbers) is refused as on a branch
        .invoke(defined -> ColumnOperationInput.requireStoredDefaultsFit(defined, "columns"))
        .chain(defined -> register(repository, name, at, where, primaryKey,
            new Made(branch, defined, properties), author, ctx, answer));
  }

  /** The table properties a table is made with: a Delta table's, checked; a PostgreSQL table has none. */
  private static Map<String, String> properties(Location where, Map<String, String> given) {
    if (!where.delta()) {
      if (given != null && !given.isEmpty()) {
        throw StrataException.invalid("table_properties", "only Delta Lake tables are made with table properties");
      }
      return Map.of();
    }
    try {
      return io.strata.projections.delta.DeltaTableProperties.checked(given);
    } catch (io.strata.projections.delta.DeltaTableProperties.Refused e) {
      throw StrataException.invalid("table_properties." + e.property(), e.getMessage());
    }
  }

  /**
   * A table {@link #create} makes: the branch it is made on, its columns as the database defined them and its
   * properties.
   */
  private record Made(String branch, List<TableShape.Column> columns, Map<String, String> properties) {}

  private static void requireName(String name) {
    if (name == null || !TABLE_NAME.matcher(name).matches()) {
      throw StrataException.invalid("name", "table names are 1-63 characters of a-z 0-9 _, not starting with a digit");
    }
  }

  private static void requireColumns(List<BranchObjects.NewColumn> columns, List<String> primaryKey) {
    if (columns == null || columns.isEmpty()) {
      throw StrataException.invalid("columns", "give the table's columns, in order");
    }
    if (columns.size() > MAX_COLUMNS) {
      throw StrataException.invalid("columns", "at most " + MAX_COLUMNS + " columns");
    }
    Set<String> names = new TreeSet<>();
    for (int i = 0; i < columns.size(); i++) {
      ColumnOperationInput.checkColumn(columns.get(i), "columns[" + i + "]");
      if (!names.add(columns.get(i).name())) {
        throw StrataException.invalid("columns[" + i + "].name", "column " + columns.get(i).name() + " is given twice");
      }
    }
    if (primaryKey == null || primaryKey.isEmpty()) {
      throw StrataException.invalid("primary_key", "give the columns of the table's key: its rows are versioned by it");
    }
    for (int i = 0; i < primaryKey.size(); i++) {
      if (primaryKey.get(i) == null || !names.contains(primaryKey.get(i))
          || primaryKey.indexOf(primaryKey.get(i)) != i) {
        throw StrataException.invalid("primary_key[" + i + "]", "the key names each of its columns, once");
      }
    }
  }

  /** Tracks the table at {@code where}, made first when {@code made} says how. */
  private Uni<CommandResponse> register(String repository, String name, String location, Location where,
      List<String> primaryKey, Made made, Author author, CommandContext ctx, Answer answer) {
    return tables.table(repository, name)
        .invoke(existing -> existing.ifPresent(t -> {
          throw new StrataException(ErrorCode.TableAlreadyExists, "table '" + name + "' is already tracked",
              Map.of("table", name));
        }))
        // a storage that reaches the server's own database is held to the rules of 'local'
        .chain(() -> backends.reachesServerDatabase(repository, where.storage()))
        .invoke(own -> {
          if (own) {
            TrackableSchemas.require(true, where.schema(), config.localSchemas());
          }
        })
        .chain(() -> {
          TableCommand.TrackTable[] installed = new TableCommand.TrackTable[1];
          // exclusive in the repository's queue: no branch is created or deleted while the table's
          // objects (one overlay per live branch) are installed
          return processor.execute(repository, Footprint.everything(), (tx, state) -> {
                if (!state.exists()) {
                  // refused by the decider
                  return Uni.createFrom().item(new TableCommand.TrackTable(name, where.storage(), where.schema(),
                      where.table(), List.of(), List.of(), null, 0, "0", author));
                }
                if (state.tables().containsKey(name)) {
                  throw new StrataException(ErrorCode.TableAlreadyExists, "table '" + name + "' is already tracked",
                      Map.of("table", name));
                }
                if (made != null && state.branch(made.branch()) == null) {
                  throw new StrataException(ErrorCode.BranchNotFound, "branch '" + made.branch() + "' does not exist",
                      Map.of("branch", made.branch()));
                }
                // made on another branch than the default one: at Strata's own place, empty, until a merge brings it
                Location at = made == null || made.branch().equals(state.defaultBranch()) ? where
                    : aside(repository, name, where.storage());
                List<String> branches = state.branches().keySet().stream()
                    .filter(b -> !b.equals(state.defaultBranch())).toList();
                return install(repository, name, location, where, at, primaryKey, made, branches, author)
                    .invoke(t -> installed[0] = t).map(t -> (Commands.Command) t);
              }, ctx, answer)
              // refused after the capture was installed: take it away again (and the table, if made here)
              .onFailure().call(() -> installed[0] == null ? Uni.createFrom().voidItem()
                  : backends.inOwnTransaction(repository, where.storage(), tx -> tx.roles().tracking().untrack(tx,
                      new TrackedTable(repository, installed[0].name(), installed[0].schema(), installed[0].table(),
                          installed[0].primaryKey(), installed[0].columns()))
                          .chain(() -> made == null ? Uni.createFrom().voidItem()
                              : tx.roles().tableMaking().dropMade(tx, installed[0].schema(), installed[0].table())))
                      .onFailure().recoverWithNull());
        });
  }

  private Location aside(String repository, String name, String storage) {
    TableMaking.Place p = backends.sqlRoles().tableMaking().aside(repository, name);
    return new Location(storage, p.schema(), p.table());
  }

  /**
   * Installs the table's capture and its branches' overlays (the table made first, when {@code made}); answers
   * the command recording what was found.
   */
  private Uni<TableCommand.TrackTable> install(String repository, String name, String location, Location where,
      Location at, List<String> primaryKey, Made made, List<String> branches, Author author) {
    TableCommand.Making making = made == null ? null : new TableCommand.Making(made.branch(), where.schema(), where.table());
    return backends.inOwnTransaction(repository, where.storage(), tx -> (made == null ? Uni.createFrom().voidItem()
            // its place is free now (a merge into the default branch checks it again)
            : tx.roles().tracking().shape(tx, where.schema(), where.table()).invoke(found -> {
                  if (found.isPresent()) {
                    throw new Tracking.TableExists(where.schema() + "." + where.table() + " exists already");
                  }
                })
                // what a making or an untrack of this name left at Strata's place goes first (not tracked: checked)
                .chain(() -> at == where ? Uni.createFrom().voidItem()
                    : tx.roles().tableMaking().clearAside(tx, repository, name))
                .chain(() -> tx.roles().tableMaking().create(tx, at.schema(), at.table(), made.columns(), primaryKey,
                    made.properties())))
            .chain(() -> tx.roles().tracking().inspect(tx, at.schema(), at.table(), primaryKey))
            .chain(shape -> tx.roles().tracking().track(tx, new TrackedTable(repository, name,
                    at.schema(), at.table(), shape.primaryKey(), shape.columns()),
                    branches, this::isLeftover)
                // read while tracking holds the table's writers (and its DDL) off
                .chain(m -> tx.roles().tracking().shape(tx, at.schema(), at.table())
                    .map(full -> new TableCommand.TrackTable(name, where.storage(), at.schema(), at.table(),
                        shape.primaryKey(), shape.columns(), full.orElseThrow(), m.rowCount(), m.rowSum(), author,
                        making)))))
        .onFailure(Tracking.TableExists.class).transform(e -> new StrataException(ErrorCode.TableAlreadyExists,
            e.getMessage() + ": track it, or make the table elsewhere", Map.of("location", location)))
        .onFailure(Tracking.Untrackable.class).transform(e -> ((Tracking.Untrackable) e).missing()
            ? new StrataException(ErrorCode.TableNotFound, e.getMessage(), Map.of("location", location))
            : new StrataException(ErrorCode.ValidationError, e.getMessage(), Map.of("location", location)))
        // another repository's name is not this client's to learn (a token may not be granted it)
        .onFailure(Tracking.AlreadyTracked.class).transform(e -> new StrataException(
            ErrorCode.TableAlreadyExists, where.schema() + "." + where.table() + " is already tracked "
                + (((Tracking.AlreadyTracked) e).repository().equals(repository) ? "in this repository"
                    : "by another repository"), Map.of("location", location)));
  }

  /** A registration left in the table's database by a tracking that never completed (or an untrack that failed). */
  private Uni<Boolean> isLeftover(String repository, String name) {
    return tables.table(repository, name).map(Optional::isEmpty);
  }

  /**
   * Records the table's shape as it is now (drift: DDL made past the DDL guard) as its shape on the
   * default branch. The DDL the guard filed is recorded first, so that only what it did not see is
   * drift; the shape is read inside the repository's queue, so no follower round lands between the read
   * and the decision.
   */
  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> recordDrift(String repository, String name, String expectedShapeHash, Author author,
      CommandContext ctx, Answer answer) {
    if (expectedShapeHash != null && !SHAPE_HASH.matcher(expectedShapeHash).matches()) {
      throw StrataException.invalid("expected_hash", "must be a shape's hash: 64 lowercase hex digits");
    }
    return follower.followRepository(repository)
        // branches stop holding the table's own unique constraints the drift dropped (harmless if it is not recorded)
        .chain(() -> tables.table(repository, name))
        .chain(row -> row.isEmpty() ? Uni.createFrom().voidItem() : backends.inOwnTransaction(repository,
            row.get().storage(), tx -> tx.roles().branchObjects().releaseDroppedTableUniques(tx,
                TrackedTable.of(repository, row.get()))))
        .chain(() -> processor.execute(repository, Footprint.everything(), (tx, state) -> {
          TableTracked t = state.tables().get(name);
          if (t == null) {
            throw new StrataException(ErrorCode.TableNotFound, "table '" + name + "' is not tracked",
                Map.of("table", name));
          }
          TrackedTable tracked = new TrackedTable(repository, name, t.schema(), t.table(), t.primaryKey(), t.columns());
          // the shape, whether its key holds and the commands the guard filed for it, in one snapshot
          return backends.beginRead(repository, t.storage()).chain(open -> {
                Tracking<UnitOfWork> tracking = open.unit().roles().tracking();
                return tracking.shape(open.unit(), t.schema(), t.table())
                    .chain(found -> tracking.keyHolds(open.unit(), tracked)
                        .chain(key -> tracking.followedDdl(open.unit(), repository).map(filed -> {
                          TableShape shape = found.orElseThrow(() -> new StrataException(ErrorCode.ValidationError,
                              "tracked table '" + name + "' (" + t.schema() + "." + t.table() + ") no longer exists:"
                                  + " there is no shape to record; untrack it", Map.of("table", name)));
                          Commands.Command c = new TableCommand.RecordSchemaDrift(name, shape, key,
                              filed.stream().filter(f -> f.table().equals(name)).mapToLong(Tracking.FollowedDdl::id)
                                  .max().orElse(0), expectedShapeHash, author,
                              SchemaFollower.migration(backends, repository, t, shape));
                          return c;
                        })))
                    .onTermination().call(open::rollback)
                    // branches made before the table had a unique constraint the drift gives it hold it from now on
                    .call(c -> TableUniquesOnBranches.holdGained(backends, tx, state, repository, t,
                        ((TableCommand.RecordSchemaDrift) c).shape(), config.schema().migrationLockTimeout()));
              });
        }, ctx, answer));
  }

  /** Untracks: the event first, then Strata's objects beside the table go (the data stays). */
  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> untrack(String repository, String name, Author author, CommandContext ctx,
      Answer answer) {
    return tables.table(repository, name)
        .chain(found -> processor.execute(repository, new TableCommand.UntrackTable(name, author), ctx, answer)
            .call(response -> response.replayed()
                ? Uni.createFrom().voidItem()
                : removeObjects(repository, found.map(List::of).orElse(List.of()))));
  }

  /** Drops a deleted repository's query role in the databases it may have been granted in. */
  public Uni<Void> removeQueryRole(String repository, List<TableRow> tracked) {
    Set<String> storages = new TreeSet<>(tracked.stream()
        .map(TableRow::storage).toList());
    storages.add(backends.serverOwn()); // where a query with no table ran
    return Multi.createFrom().iterable(storages)
        .onItem().transformToUniAndConcatenate(storage -> backends.inOwnTransaction(repository, storage,
                tx -> tx.roles().queryAccess().revoke(tx, repository))
            .onFailure().recoverWithNull())
        .collect().last().replaceWithVoid();
  }

  /** Removes Strata's objects beside tables no longer tracked (untracked, or their repository deleted). */
  public Uni<Void> removeObjects(String repository, List<TableRow> untracked) {
    return Multi.createFrom().iterable(untracked)
        .onItem().transformToUniAndConcatenate(t -> backends.inOwnTransaction(repository, t.storage(),
            tx -> tx.roles().tracking().untrack(tx, TrackedTable.of(repository, t))))
        .collect().last().replaceWithVoid();
  }

}
