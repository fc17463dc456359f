package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.events.StorageAdded;
import io.strata.projections.overlay.StrataLayout;
import io.strata.projections.storage.StorageQueries;
import io.strata.projections.storage.StorageRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Storages;
import io.strata.server.domain.StrataException;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgBuilder;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connections to the repositories' data: one pool per registered storage, created on first use;
 * {@code local} is the server's own database. Passwords are read when connecting (an environment
 * variable, or a file read on a worker thread) and held only by the driver.
 */
@ApplicationScoped
public class StoragePools {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final int POOL_SIZE = 10;

  private final Vertx vertx;
  private final Pool metadata;
  private final StorageQueries storages;
  private final PasswordSources passwords;
  private final Map<String, Pool> pools = new ConcurrentHashMap<>();
  /** Pools whose database has been brought to this build's layout (see {@link StrataLayout}). */
  private final Set<Pool> upgraded = ConcurrentHashMap.newKeySet();

  @Inject
  public StoragePools(Vertx vertx, Pool metadata, StorageQueries storages,
      PasswordSources passwords) {
    this.vertx = vertx;
    this.passwords = passwords;
    this.metadata = metadata;
    this.storages = storages;
  }

  /** The registered storage {@code name} of a repository ({@code null} for {@code local}), or 404. */
  public Uni<StorageAdded> registration(String repository, String name) {
    if (Storages.LOCAL.equals(name)) {
      return Uni.createFrom().nullItem();
    }
    return storages.storage(repository, name)
        .map(s -> s.map(StorageRow::toEvent).orElseThrow(() -> Storages.notFound(name)));
  }

  /** The pool of the storage named {@code name} in {@code repository}. */
  public Uni<Pool> pool(String repository, String name) {
    return registration(repository, name).chain(s -> pool(repository, s));
  }

  private static final String IDENTITY = "select id from strata_meta.server_identity";
  private volatile String identity;

  /**
   * Whether {@code pool} reaches the server's own database (under another name than {@code local}): it
   * reads the same identity there. A connection that cannot read it reaches another database, or one as a
   * user who cannot read Strata's tables.
   */
  public Uni<Boolean> isServerDatabase(Pool pool) {
    if (pool == metadata) {
      return Uni.createFrom().item(true);
    }
    Uni<String> ours = identity != null ? Uni.createFrom().item(identity)
        : metadata.query(IDENTITY).execute().map(rows -> rows.iterator().next().getString(0)).invoke(id -> identity = id);
    return ours.chain(id -> pool.query(IDENTITY).execute()
        .map(rows -> rows.iterator().hasNext() && id.equals(rows.iterator().next().getString(0)))
        .onFailure().recoverWithItem(false));
  }

  /** Succeeds when the storage accepts a connection with its credentials; else a 422 saying why. */
  public Uni<Void> verify(StorageAdded storage) {
    return connectOptions(storage)
        .chain(options -> PgConnection.connect(vertx, options))
        .chain(conn -> conn.query("select 1").execute().eventually(conn::close))
        .ifNoItem().after(CONNECT_TIMEOUT.plusSeconds(1)).fail()
        .replaceWithVoid()
        .onFailure(e -> !(e instanceof StrataException))
        .transform(e -> new StrataException(ErrorCode.ValidationError,
            "storage '" + storage.name() + "' at " + storage.host() + ":" + storage.port() + "/" + storage.database()
                + " does not accept a connection: " + reason(e),
            Map.of("storage", storage.name())));
  }

  /** The pool of {@code storage} in {@code repository} ({@code null} storage = {@code local}). */
  public Uni<Pool> pool(String repository, StorageAdded storage) {
    if (storage == null) {
      return Uni.createFrom().item(metadata);
    }
    if (storage.holdsDeltaTables()) {
      return Uni.createFrom().failure(new StrataException(ErrorCode.ValidationError, "storage '" + storage.name()
          + "' holds Delta Lake tables, not PostgreSQL ones", Map.of("storage", storage.name())));
    }
    String key = repository + "\u0000" + storage.name();
    Pool existing = pools.get(key);
    if (existing != null && upgraded.contains(existing)) {
      return Uni.createFrom().item(existing);
    }
    return connectOptions(storage).map(options -> pools.computeIfAbsent(key, k -> PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(POOL_SIZE).setName("storage-" + storage.name()))
            .connectingTo(options).using(vertx).build()))
        .call(pool -> upgraded.contains(pool) ? Uni.createFrom().voidItem() : upgrade(storage, pool));
  }

  /** Brings Strata's objects in the storage's database to this build's layout, before its first use. */
  private Uni<Void> upgrade(StorageAdded storage, Pool pool) {
    return StrataLayout.upgrade(pool)
        .invoke(() -> upgraded.add(pool))
        .onFailure(IllegalStateException.class).transform(e -> new StrataException(ErrorCode.StorageUnavailable,
            "storage '" + storage.name() + "': " + e.getMessage(), Map.of("storage", storage.name())))
        .replaceWithVoid();
  }

  /** Closes the pool of a storage that was removed (or whose repository was deleted). */
  public void evict(String repository, String name) {
    Pool pool = pools.remove(repository + "\u0000" + name);
    if (pool != null) {
      upgraded.remove(pool);
      pool.close().subscribe().with(ok -> {}, e -> {});
    }
  }

  /** Closes every pool of a deleted repository (a new repository of that name starts afresh). */
  public void evictRepository(String repository) {
    String prefix = repository + "\u0000";
    pools.keySet().stream().filter(k -> k.startsWith(prefix)).toList()
        .forEach(k -> evict(repository, k.substring(prefix.length())));
  }

  @PreDestroy
  void closeAll() {
    pools.values().forEach(p -> p.close().subscribe().with(ok -> {}, e -> {}));
    pools.clear();
  }

  /** How to reach {@code s} as its registered user; the password read as when pooling. */
  public Uni<PgConnectOptions> connectOptions(StorageAdded s) {
    return passwords.read(s).map(password -> {
      PgConnectOptions options = new PgConnectOptions()
          .setHost(s.host()).setPort(s.port()).setDatabase(s.database()).setUser(s.username())
          .setConnectTimeout((int) CONNECT_TIMEOUT.toMillis())
          .setCachePreparedStatements(true);
      return password == null ? options : options.setPassword(password); // none: trust or peer auth
    });
  }

  private static String reason(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.length() > 300 ? message.substring(0, 300) : message;
  }
}
