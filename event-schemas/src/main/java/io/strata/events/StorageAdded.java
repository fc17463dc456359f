package io.strata.events;

/**
 * A named PostgreSQL connection was registered with a repository. The password itself is never part
 * of an event: only where to read it at connect time ({@code passwordEnv} or {@code passwordFile}).
 */
public record StorageAdded(
    String name,
    String type,
    String host,
    int port,
    String database,
    String username,
    String passwordEnv,
    String passwordFile)
    implements StrataEvent {
  @Override
  public String subject() {
    return "storage/" + name;
  }
}
