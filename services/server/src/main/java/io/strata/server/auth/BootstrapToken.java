package io.strata.server.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The bootstrap admin token of token mode: STRATA_ADMIN_TOKEN when set, else the one in
 * {@code <data dir>/admin-token}, generated (mode 600, created with that mode: never readable by
 * others, even for an instant) at the first start.
 */
public final class BootstrapToken {
  public static final String FILE = "admin-token";
  static final int MIN_LENGTH = 24;

  private BootstrapToken() {}

  /** The secret, and the file it came from (null when from the environment). */
  public record Resolved(String secret, Path file, boolean generated) {}

  public static Resolved resolve(String fromEnvironment, Path dataDir) {
    if (fromEnvironment != null) {
      String secret = fromEnvironment.trim();
      if (secret.length() < MIN_LENGTH) {
        throw new IllegalStateException("STRATA_ADMIN_TOKEN must be at least " + MIN_LENGTH
            + " characters (a random secret; e.g. unset it and let Strata generate one)");
      }
      return new Resolved(secret, null, false);
    }
    Path file = dataDir.resolve(FILE);
    try {
      Files.createDirectories(dataDir);
      String secret = TokenSecrets.newSecret();
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (FileAlreadyExistsException e) {
        String existing = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (existing.length() < MIN_LENGTH) {
          throw new IllegalStateException(file + " holds no admin token (fewer than " + MIN_LENGTH
              + " characters); delete it to have a new one generated");
        }
        return new Resolved(existing, file, false);
      }
      Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
      return new Resolved(secret, file, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the admin token file " + file, e);
    }
  }
}
