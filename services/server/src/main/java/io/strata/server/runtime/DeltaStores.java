package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.events.StorageAdded;
import io.strata.projections.delta.DeltaStorage;
import io.strata.projections.delta.DeltaUnit;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * The Delta Lake storages of the repositories: where each may be (the operator's {@link StrataConfig.Delta}), its
 * place opened once (an S3 client with the storage's credentials, read from where {@link PasswordSources} allows),
 * and the worker pool every blocking Delta call runs on ({@code delta-io}: Kernel reads and writes synchronously,
 * never on an event loop).
 */
@ApplicationScoped
public class DeltaStores {
  private static final Duration REACH_TIMEOUT = Duration.ofSeconds(10);

  private final List<Path> roots;
  private final Set<String> endpoints;
  private final PasswordSources secrets;
  private final Map<String, DeltaStorage> places = new ConcurrentHashMap<>();
  private final ExecutorService io;

  @Inject
  public DeltaStores(StrataConfig config, PasswordSources secrets) {
    this(config.delta().roots().orElse(List.of()), config.delta().s3Endpoints().orElse(List.of()), secrets);
  }

  DeltaStores(List<String> roots, List<String> endpoints, PasswordSources secrets) {
    this.roots = roots.stream().filter(r -> !r.isBlank()).map(r -> Path.of(r.strip()).toAbsolutePath().normalize())
        .toList();
    this.endpoints = endpoints.stream().filter(e -> !e.isBlank())
        .map(e -> e.strip().replaceAll("/+$", "").toLowerCase(java.util.Locale.ROOT)).collect(Collectors.toSet());
    this.secrets = secrets;
    AtomicInteger n = new AtomicInteger();
    int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    this.io = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(10_000), r -> {
      Thread t = new Thread(r, "delta-io-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Refuses (422) a Delta storage the server does not allow: a directory outside {@code STRATA_DELTA_ROOTS}, an
   * endpoint outside {@code STRATA_DELTA_S3_ENDPOINTS}, secrets named outside {@code STRATA_SECRETS_*}. Reads
   * nothing.
   */
  public void check(StorageAdded.DeltaStore d) {
    if (!d.onS3()) {
      Path dir = Path.of(URI.create(d.url()));
      if (roots.stream().noneMatch(dir::startsWith)) {
        throw StrataException.invalid("url", roots.isEmpty()
            ? "file: Delta storages are not allowed: the server names no directory for them (STRATA_DELTA_ROOTS)"
            : "a file: Delta storage must be under " + roots.stream().map(Path::toString).toList()
                + " (the server's STRATA_DELTA_ROOTS)");
      }
      return;
    }
    if (d.endpoint() != null && !endpoints.contains(d.endpoint())) {
      throw StrataException.invalid("endpoint", endpoints.isEmpty()
          ? "S3 endpoints other than AWS's are not allowed: the server names none (STRATA_DELTA_S3_ENDPOINTS)"
          : "endpoint must be one of " + endpoints.stream().sorted().toList() + " (the server's STRATA_DELTA_S3_ENDPOINTS)");
    }
    secrets.check("access_key_env", d.accessKeyEnv(), "secret_key_file", null);
    secrets.check("secret_key_env", d.secretKeyEnv(), "secret_key_file", d.secretKeyFile());
  }

  /** Succeeds when the storage's place can be used (see {@link DeltaStorage#reach}); else a 422 saying why. */
  public Uni<Void> verify(StorageAdded storage) {
    return open(storage).chain(place -> Uni.createFrom().completionStage(() -> place.reach(io))
            .chain(() -> place.url().startsWith("file:") ? onIo(() -> {
              requireUnderRoots(place.realDirectory()); // a link inside a root must not lead out of every one
              return null;
            }) : Uni.createFrom().voidItem())
            .onTermination().invoke(place::close))
        .ifNoItem().after(REACH_TIMEOUT).fail()
        .replaceWithVoid()
        .onFailure(e -> !(e instanceof StrataException))
        .transform(e -> new StrataException(ErrorCode.ValidationError, "Delta storage '" + storage.name() + "' at "
            + storage.delta().url() + " cannot be used: " + reason(e), Map.of("storage", storage.name())));
  }

  /** The place of a Delta storage of {@code repository}, opened once. */
  public Uni<DeltaStorage> place(String repository, StorageAdded storage) {
    String key = repository + "\u0000" + storage.name();
    DeltaStorage known = places.get(key);
    return known != null ? Uni.createFrom().item(known) : open(storage).map(opened -> {
      DeltaStorage kept = places.computeIfAbsent(key, k -> opened);
      if (kept != opened) {
        opened.close(); // another request opened it first
      }
      return kept;
    });
  }

  /** {@code work} on the {@code delta-io} pool: every blocking Delta call goes through here. */
  public <T> Uni<T> onIo(java.util.concurrent.Callable<T> work) {
    return DeltaUnit.blocking(io, work);
  }

  /** The pool itself, for roles that take an executor. */
  public ExecutorService io() {
    return io;
  }

  /** Forgets the place of a storage that was removed (or whose repository was deleted). */
  public void evict(String repository, String name) {
    DeltaStorage place = places.remove(repository + "\u0000" + name);
    if (place != null) {
      place.close();
    }
  }

  @PreDestroy
  void close() {
    places.values().forEach(DeltaStorage::close);
    io.shutdownNow();
  }

  private Uni<DeltaStorage> open(StorageAdded storage) {
    StorageAdded.DeltaStore d = storage.delta();
    if (!d.onS3()) {
      return Uni.createFrom().item(() -> DeltaStorage.local(d.url()));
    }
    return credentials(d).map(credentials -> {
      var builder = S3AsyncClient.builder().credentialsProvider(credentials).forcePathStyle(d.pathStyle())
          // a stalled S3 server fails the call (and the command) in bounded time, never holds a worker for good
          .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofMinutes(5)).apiCallAttemptTimeout(Duration.ofMinutes(2)));
      if (d.endpoint() != null) {
        builder.endpointOverride(URI.create(d.endpoint()));
      }
      if (d.region() != null) {
        builder.region(Region.of(d.region()));
      } else if (d.endpoint() != null) {
        builder.region(Region.US_EAST_1); // S3 servers other than AWS's mostly ignore it, but the signer needs one
      }
      return DeltaStorage.s3(d.url(), builder.build());
    });
  }

  private Uni<AwsCredentialsProvider> credentials(StorageAdded.DeltaStore d) {
    if (d.accessKeyEnv() == null) {
      return Uni.createFrom().item(DefaultCredentialsProvider.builder().build());
    }
    return secrets.read("access_key_env", d.accessKeyEnv(), "secret_key_file", null)
        .chain(key -> secrets.read("secret_key_env", d.secretKeyEnv(), "secret_key_file", d.secretKeyFile())
            .map(secret -> StaticCredentialsProvider.create(AwsBasicCredentials.create(key, secret))));
  }

  private void requireUnderRoots(Path real) {
    if (roots.stream().noneMatch(r -> real.startsWith(realOrSelf(r)))) {
      throw StrataException.invalid("url", "the directory leads out of the server's STRATA_DELTA_ROOTS");
    }
  }

  private static Path realOrSelf(Path dir) {
    try {
      return dir.toRealPath();
    } catch (java.io.IOException e) {
      return dir;
    }
  }

  private static String reason(Throwable e) {
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return message.length() > 300 ? message.substring(0, 300) : message;
  }
}
