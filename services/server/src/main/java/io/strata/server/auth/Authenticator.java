package io.strata.server.auth;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Turns a bearer secret into an {@link Identity}, or null when it names no valid token.
 *
 * <p>The bootstrap admin token lives in memory only (from STRATA_ADMIN_TOKEN or the admin-token file)
 * and is compared by hash in constant time. Other tokens are looked up by the SHA-256 of the secret
 * through the reactive pool, and the stored hash is compared again in constant time. A found token is
 * cached by its hash for {@code STRATA_TOKEN_CACHE_TTL} (5 s), so a busy client costs one lookup per
 * TTL: a revocation drops the token from this server's cache at once, and other servers sharing the
 * database stop accepting it within the TTL. Expiry is checked on every request, cached or not. An
 * unknown secret is not cached (a token created on another server works at once).
 */
@ApplicationScoped
public class Authenticator {
  private static final Logger LOG = Logger.getLogger(Authenticator.class);
  /** More distinct live tokens than this in one TTL is not a real load: the cache is emptied instead of grown. */
  private static final int MAX_CACHED = 10_000;
  public static final String BOOTSTRAP_NAME = "admin";

  @Inject StrataConfig config;
  @Inject TokenStore store;

  private volatile byte[] bootstrapHash;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(Identity identity, long loadedAt) {}

  void onStart(@Observes StartupEvent event) {
    if (config.auth() != StrataConfig.AuthMode.TOKEN) {
      return;
    }
    BootstrapToken.Resolved admin = BootstrapToken.resolve(config.adminToken().orElse(null),
        Path.of(config.dataDir()).toAbsolutePath().normalize());
    bootstrapHash = TokenSecrets.hash(admin.secret());
    if (admin.file() != null) {
      LOG.infof("STRATA_AUTH=token: the bootstrap admin token is in %s%s", admin.file(),
          admin.generated() ? " (generated now)" : "");
    } else {
      LOG.info("STRATA_AUTH=token: the bootstrap admin token is STRATA_ADMIN_TOKEN");
    }
  }

  /** What {@link #check} knows without asking the database. */
  public sealed interface Checked permits Known, Refused, Unknown {}

  public record Known(Identity identity) implements Checked {}

  public record Refused() implements Checked {}

  /** Not in the cache: {@link #lookUp} it. */
  public record Unknown(byte[] hash) implements Checked {}

  private static final Refused REFUSED = new Refused();
  private static final Identity BOOTSTRAP = new Identity(null, BOOTSTRAP_NAME, Role.ADMIN, List.of(Identity.ALL), null);

  /**
   * The cheap part, without I/O (the hot path of every authenticated request): the bootstrap token,
   * or a token cached less than the TTL ago.
   */
  public Checked check(String secret) {
    byte[] hash = TokenSecrets.hash(secret);
    if (TokenSecrets.same(hash, bootstrapHash)) {
      return new Known(BOOTSTRAP);
    }
    Cached cached = cache.get(HexFormat.of().formatHex(hash));
    if (cached != null && System.nanoTime() - cached.loadedAt < ttlNanos()) {
      return cached.identity.expired(Instant.now()) ? REFUSED : new Known(cached.identity);
    }
    return new Unknown(hash);
  }

  private long ttlNanos() {
    long ttl = ttlNanos;
    if (ttl < 0) {
      ttl = ttlNanos = config.tokenCacheTtl().toNanos();
    }
    return ttl;
  }

  private volatile long ttlNanos = -1;

  /** The identity of {@code secret}, or a null item when it is unknown, expired or revoked. */
  public Uni<Identity> authenticate(String secret) {
    Checked checked = check(secret);
    if (checked instanceof Known k) {
      return Uni.createFrom().item(k.identity());
    }
    if (checked instanceof Unknown u) {
      return lookUp(u.hash());
    }
    return Uni.createFrom().nullItem();
  }

  /** Looks a token up in the database (and caches it): a null item when it is unknown, expired or revoked. */
  public Uni<Identity> lookUp(byte[] hash) {
    String key = HexFormat.of().formatHex(hash);
    return store.findUnrevoked(hash).map(found -> {
      if (found.isEmpty() || !TokenSecrets.same(hash, found.get().storedHash())) {
        cache.remove(key);
        return null;
      }
      TokenStore.TokenRow t = found.get().token();
      Identity identity = new Identity(t.id(), t.name(), t.role(), t.repositories(), t.expiresAt());
      if (cache.size() >= MAX_CACHED) {
        cache.clear();
      }
      cache.put(key, new Cached(identity, System.nanoTime()));
      return identity.expired(Instant.now()) ? null : identity;
    });
  }

  /** Forgets a revoked token at once on this server. */
  public void forget(String tokenId) {
    cache.values().removeIf(c -> tokenId.equals(c.identity.tokenId()));
  }
}
