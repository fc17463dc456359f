package io.strata.projections.storage;

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
    Instant createdAt) {}
