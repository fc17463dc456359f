package io.strata.projections.storage;

import io.strata.events.StorageAdded;
import java.time.Instant;

/** A registered storage connection, as projected (never a password). */
public record StorageRow(
    String name,
    String type,
    String host,
    int port,
    String database,
    String username,
    String passwordEnv,
    String passwordFile,
    Instant createdAt) {

  /** The registration as the event that recorded it. */
  public StorageAdded toEvent() {
    return new StorageAdded(name, type, host, port, database, username, passwordEnv, passwordFile);
  }
}
