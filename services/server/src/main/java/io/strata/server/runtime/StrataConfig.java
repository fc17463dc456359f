package io.strata.server.runtime;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Strata's own settings ({@code strata.*}, or {@code STRATA_*} environment variables). */
@ConfigMapping(prefix = "strata")
public interface StrataConfig {
  /** Who commits when a request names nobody. */
  DefaultAuthor defaultAuthor();

  Consistency consistency();

  Projections projections();

  Recovery recovery();

  Schema schema();

  Query query();

  Idempotency idempotency();

  /** The event feed over HTTP and SSE ({@code STRATA_EVENTS_*}). */
  Events events();

  /** The Kafka relay ({@code STRATA_KAFKA_*}): off unless bootstrap servers are set. */
  KafkaRelayConfig kafka();

  /**
   * {@code STRATA_LOCAL_SCHEMAS}: comma-separated schemas of the server's own database ({@code local})
   * whose tables repositories may track; unset = every schema but PostgreSQL's and Strata's own.
   */
  Optional<List<String>> localSchemas();

  /** Where a storage registration may name its password ({@code STRATA_SECRETS_*}). */
  Secrets secrets();

  /** Where Delta Lake storages may be ({@code STRATA_DELTA_*}). */
  Delta delta();

  /**
   * {@code STRATA_AUTH}: {@code none} (anyone reaching the listener may do anything; the listener then
   * binds 127.0.0.1 unless {@code STRATA_HOST} is set too, see ListenerPolicy) or {@code token}
   * (every API request needs {@code Authorization: Bearer <token>}).
   */
  @WithName("auth")
  @WithDefault("none")
  AuthMode auth();

  /**
   * {@code STRATA_ADMIN_TOKEN}: the bootstrap admin token in token mode. Unset: one is generated at the
   * first start into {@code <data dir>/admin-token} (mode 600) and read from there afterwards.
   */
  Optional<String> adminToken();

  /** The metadata database as StrataMain set it up (read before Quarkus starts; see StrataMain). */
  Database database();

  /** {@code STRATA_DATA_DIR}: where the embedded PostgreSQL and the generated admin token live. */
  @WithDefault(".strata")
  String dataDir();

  /**
   * {@code STRATA_TOKEN_CACHE_TTL}: how long a server trusts a token it looked up without asking the
   * database again. A revocation is seen at once by the server that made it and within this time by
   * the others sharing the database.
   */
  @WithDefault("5s")
  Duration tokenCacheTtl();

  /** Webhook deliveries ({@code STRATA_WEBHOOKS_*}). */
  Webhooks webhooks();

  /** Traces ({@code STRATA_TRACING_*}): off unless an OTLP endpoint is set. */
  Tracing tracing();

  interface Tracing {
    /**
     * {@code STRATA_TRACING_ENDPOINT}: the OTLP/HTTP collector ({@code http://collector:4318}; spans go to its
     * {@code /v1/traces}). Unset: {@code OTEL_EXPORTER_OTLP_ENDPOINT} if set, else no traces.
     */
    Optional<String> endpoint();

    /** {@code STRATA_TRACING_SAMPLE}: the share of requests traced that no caller's trace decided (0 to 1). */
    @WithDefault("1.0")
    double sample();

    /** {@code STRATA_TRACING_SERVICE_NAME}: the service the spans name. */
    @WithDefault("strata-server")
    String serviceName();
  }

  enum AuthMode {
    NONE,
    TOKEN
  }

  interface Database {
    /** {@code STRATA_DATABASE_URL}: {@code postgresql://user:password@host:port/db}; unset = embedded. */
    Optional<String> url();

    /**
     * Set by StrataMain when it runs the embedded PostgreSQL, not by operators: the passfile holding its
     * password, which SQL clients are pointed at instead of the password.
     */
    Optional<String> passfile();

    /** Set by StrataMain with the embedded PostgreSQL: its server process, which {@code DatabaseMetrics} watches. */
    Optional<Long> embeddedPid();
  }

  interface DefaultAuthor {
    @WithDefault("Strata")
    String name();

    @WithDefault("strata@localhost")
    String email();
  }

  interface Consistency {
    /**
     * How long a command waits for the projections to reach its event before answering anyway, and
     * how long a read with {@code X-Strata-Min-Position} waits before answering 503 ProjectionLagging.
     */
    @WithDefault("10s")
    Duration waitTimeout();
  }

  interface Projections {
    /** How often stream heads are polled for events appended by other servers. */
    @WithDefault("500ms")
    Duration pollInterval();
  }

  interface Recovery {
    /**
     * How often the recovery sweep of commits across databases runs besides start-up and commits:
     * it settles what another server's crash, or a storage out of reach at the time, left behind.
     */
    @WithDefault("60s")
    Duration sweepInterval();
  }

  interface Schema {
    /**
     * {@code STRATA_SCHEMA_FOLLOW_INTERVAL}: how often the DDL that databases let through on tracked
     * tables (indexes, constraints, defaults) is looked for and recorded as {@code table.schema_changed}
     * events; also once at start-up. Also how often the holds of a table's unique constraints that branches were
     * passed over for (their writers held them past the migration lock timeout) are tried again, once due.
     */
    @WithDefault("2s")
    Duration followInterval();

    /**
     * {@code STRATA_SCHEMA_MIGRATION_LOCK_TIMEOUT}: how long a merge into the default branch that adds
     * columns a branch added waits for the table's lock (ALTER TABLE takes an exclusive one, briefly:
     * PostgreSQL adds a column with a constant default to the catalog only). Past it, the merge is refused
     * and nothing changed; writers queued behind the waiting ALTER wait no longer than this either. A schema change
     * on a branch waits as long for the locks of the branch's objects (a transaction that wrote the branch and
     * stays open holds them), then is refused (409), so that the branch's readers and the repository's commands go on.
     */
    @WithDefault("2s")
    Duration migrationLockTimeout();
  }

  /** The event feed's subscribers (GET /api/v1/events as SSE). */
  interface Events {
    /** {@code STRATA_EVENTS_POLL_INTERVAL}: how often the feed is read for new events while anyone subscribes. */
    @WithDefault("100ms")
    Duration pollInterval();

    /** {@code STRATA_EVENTS_HEARTBEAT}: an SSE comment after this much silence, so proxies keep the stream open. */
    @WithDefault("15s")
    Duration heartbeat();

    /**
     * {@code STRATA_EVENTS_BUFFER}: how many of the newest events are kept in memory for subscribers
     * (one copy for all of them); a subscriber further behind reads from the database.
     */
    @WithDefault("10000")
    int buffer();

    /**
     * {@code STRATA_EVENTS_MAX_SUBSCRIBERS}: event streams open at once on this server; one more is
     * refused with 429 TooManySubscribers, so clients cannot hold every connection and buffer.
     */
    @WithDefault("1000")
    int maxSubscribers();
  }

  /** How long commands' answers replay under their Idempotency-Key ({@code STRATA_IDEMPOTENCY_*}). */
  interface Idempotency {
    /** {@code STRATA_IDEMPOTENCY_TTL}: after this, a key is free again and its answer is purged. */
    @WithDefault("24h")
    Duration ttl();

    /** {@code STRATA_IDEMPOTENCY_PURGE_INTERVAL}: how often expired answers are deleted. */
    @WithDefault("1h")
    Duration purgeInterval();
  }

  /**
   * The only places a storage's {@code password_env} / {@code password_file} may name: a client must
   * not make the server read its own secrets (STRATA_DATABASE_URL, /etc/shadow, the admin token) and
   * send them to a host it chooses.
   */
  interface Secrets {
    /** {@code STRATA_SECRETS_ENV_PREFIX}: {@code password_env} must name a variable starting with this. */
    @WithDefault("STRATA_STORAGE_")
    String envPrefix();

    /**
     * {@code STRATA_SECRETS_DIRS}: comma-separated directories {@code password_file} may name a file
     * under (e.g. {@code /run/secrets} in a container); none by default, so no file is read.
     */
    Optional<List<String>> dirs();
  }

  /**
   * The only places a Delta storage may be: a repository's admin must not make the server read or write its own
   * files (the data directory, /etc) or send requests to an address it chooses.
   */
  interface Delta {
    /**
     * {@code STRATA_DELTA_ROOTS}: comma-separated directories a {@code file:} Delta storage may be in (or be);
     * none by default, so no {@code file:} storage is registered.
     */
    Optional<List<String>> roots();

    /**
     * {@code STRATA_DELTA_S3_ENDPOINTS}: comma-separated S3 endpoints ({@code http(s)://host[:port]}) other than
     * AWS's that an {@code s3://} storage may name; none by default, so only AWS's are reached.
     */
    Optional<List<String>> s3Endpoints();

    /**
     * {@code STRATA_DELTA_RELEASED_TABLE_GRACE}: how long a deleted branch's Delta table is left alone before the
     * recovery sweep may delete it (when nothing reaches it), and how long a table kept is left before it is looked at
     * again. It is what keeps a read or an export of the branch that started before its deletion, and outlives it,
     * reading its files: raise it above the longest such read. At least 5 minutes (the server refuses to start
     * otherwise), longer than any command takes.
     */
    @WithDefault("1h")
    java.time.Duration releasedTableGrace();
  }

  /** Bounds of {@code POST /query}: what one client's statements may take from the server and the database. */
  interface Query {
    /**
     * Query connections open at once across all repositories (each query has its own, closed after
     * it): one more is refused with 429 TooManyQueries.
     */
    @WithDefault("16")
    int maxConnections();

    /** The most rows a query may ask for ({@code limit}); more is refused with 422. */
    @WithDefault("100000")
    int maxRows();

    /** The most bytes of rows (as JSON) an answer carries; the rest is cut off with {@code truncated: true}. */
    @WithDefault("8388608")
    long maxAnswerBytes();

    /** How long a statement may run before it is cancelled (422). */
    @WithDefault("30s")
    Duration timeout();

    /** {@code work_mem} of the query roles (ALTER ROLE ... SET): memory per sort or hash before spilling. */
    @WithDefault("16MB")
    String workMem();

    /**
     * {@code temp_file_limit} of the query roles: temporary file space per session (a query over it
     * answers 422). Setting it needs a superuser storage user; with another one it is logged and left unset.
     */
    @WithDefault("1GB")
    String tempFileLimit();
  }

  /** Webhooks: who may be called, how long an attempt may take, and how failures are retried. */
  interface Webhooks {
    /**
     * {@code STRATA_WEBHOOKS_ENABLED}: whether this server reads the feed for webhooks and sends
     * deliveries. Endpoints can be managed either way; another server sharing the database may send.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * {@code STRATA_WEBHOOKS_ALLOWED_HOSTS}: comma-separated host names and CIDRs (e.g.
     * {@code hooks.internal,10.1.0.0/16,127.0.0.1/32}) that webhooks may reach although they are
     * loopback, private, link-local, CGNAT or metadata addresses, which are refused otherwise.
     */
    Optional<List<String>> allowedHosts();

    /**
     * {@code STRATA_WEBHOOKS_TRUSTED_CERTIFICATES}: comma-separated PEM files of certificate
     * authorities a receiver's certificate may chain to besides the JDK's (an internal CA); a file
     * that cannot be read or holds no certificate stops the server from starting.
     */
    Optional<List<java.nio.file.Path>> trustedCertificates();

    /** {@code STRATA_WEBHOOKS_TIMEOUT}: how long an attempt may take, connecting to the end of the answer. */
    @WithDefault("10s")
    Duration timeout();

    /**
     * {@code STRATA_WEBHOOKS_RETRY_SCHEDULE}: the waits before the retries of a failed delivery (each
     * with up to a fifth of jitter either way); after the last retry fails, the delivery has failed.
     * The default, Standard Webhooks' and Svix's, spans about 27 hours.
     */
    @WithDefault("5s,5m,30m,2h,5h,10h,10h")
    List<Duration> retrySchedule();

    /** {@code STRATA_WEBHOOKS_DISABLE_AFTER}: an endpoint failing every attempt for this long is disabled. */
    @WithDefault("5d")
    Duration disableAfter();

    /**
     * {@code STRATA_WEBHOOKS_POLL_INTERVAL}: how often due deliveries and new events are looked for
     * when idle (new events are queued and sent at once while the feed is busy).
     */
    @WithDefault("200ms")
    Duration pollInterval();

    /**
     * {@code STRATA_WEBHOOKS_LEASE}: how long a server holds an endpoint (sending to it) without
     * renewing; after a crash, another server goes on with the endpoint once it lapses. At least twice
     * the timeout.
     */
    @WithDefault("60s")
    Duration lease();

    /** {@code STRATA_WEBHOOKS_CONCURRENCY}: endpoints one server sends to at once. */
    @WithDefault("16")
    int concurrency();

    /**
     * {@code STRATA_WEBHOOKS_RETENTION}: delivered and failed deliveries (with their attempts) older
     * than this are deleted, hourly; pending ones are kept whatever their age.
     */
    @WithDefault("30d")
    Duration retention();
  }
}
