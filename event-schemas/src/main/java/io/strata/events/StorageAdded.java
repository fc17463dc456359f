package io.strata.events;

/**
 * A named storage was registered with a repository: a PostgreSQL connection ({@code type} {@code postgresql}:
 * host, port, database, user) or a place Delta Lake tables live ({@code type} {@code delta}: {@link #delta}). A
 * secret itself is never part of an event: only where to read it at connect time ({@code passwordEnv} or {@code
 * passwordFile}; for S3, the variables or file of {@link DeltaStore}).
 *
 * @param delta where a {@code delta} storage's tables live; null for a PostgreSQL storage (and in events recorded
 *     before Delta storages existed)
 */
public record StorageAdded(
    String name,
    String type,
    String host,
    int port,
    String database,
    String username,
    String passwordEnv,
    String passwordFile,
    DeltaStore delta)
    implements StrataEvent {

  /** The kind of a PostgreSQL storage. */
  public static final String POSTGRESQL = "postgresql";

  /** The kind of a Delta Lake storage. */
  public static final String DELTA = "delta";

  /** A PostgreSQL connection. */
  public StorageAdded(String name, String type, String host, int port, String database, String username,
      String passwordEnv, String passwordFile) {
    this(name, type, host, port, database, username, passwordEnv, passwordFile, null);
  }

  /** A Delta Lake storage. */
  public static StorageAdded delta(String name, DeltaStore delta) {
    return new StorageAdded(name, DELTA, null, 0, null, null, null, null, delta);
  }

  /** Whether Delta Lake tables live in it (else it is a PostgreSQL database). */
  public boolean holdsDeltaTables() {
    return DELTA.equals(type);
  }

  /**
   * Where a Delta storage's tables live and how it is reached.
   *
   * @param url {@code file:///absolute/directory} or {@code s3://bucket/prefix}, normalised, without a trailing slash
   * @param endpoint an S3 endpoint other than AWS's ({@code https://…}; null: AWS's for the region)
   * @param region the S3 region (null: the SDK's default chain)
   * @param pathStyle whether buckets are addressed in the path rather than the host name (S3 servers other than AWS)
   * @param accessKeyEnv the variable holding the access key id (null, with the secret's too: the SDK's default
   *     credentials chain)
   * @param secretKeyEnv the variable holding the secret access key
   * @param secretKeyFile a file holding the secret access key (instead of {@code secretKeyEnv})
   */
  public record DeltaStore(String url, String endpoint, String region, boolean pathStyle, String accessKeyEnv,
      String secretKeyEnv, String secretKeyFile) {

    /** Whether the tables live on S3 (else on a local disk). */
    public boolean onS3() {
      return url.startsWith("s3://");
    }
  }

  @Override
  public String subject() {
    return "storage/" + name;
  }
}
