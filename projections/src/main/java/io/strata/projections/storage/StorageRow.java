package io.strata.projections.storage;

import io.strata.events.StorageAdded;
import java.time.Instant;

/** A registered storage connection, as projected (never a password): its registration, and when. */
public record StorageRow(StorageAdded registration, Instant createdAt) {

  /** The registration as the event that recorded it. */
  public StorageAdded toEvent() {
    return registration;
  }

  public String name() {
    return registration.name();
  }

  public String type() {
    return registration.type();
  }

  public String host() {
    return registration.host();
  }

  public int port() {
    return registration.port();
  }

  public String database() {
    return registration.database();
  }

  public String username() {
    return registration.username();
  }

  public String passwordEnv() {
    return registration.passwordEnv();
  }

  public String passwordFile() {
    return registration.passwordFile();
  }
}
