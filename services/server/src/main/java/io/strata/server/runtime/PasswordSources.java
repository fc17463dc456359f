package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.strata.events.StorageAdded;
import io.strata.server.domain.StrataException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a storage's password only from where the operator allows ({@link StrataConfig.Secrets}):
 * variables with the configured prefix, files under the configured directories. A reference outside
 * them is refused before anything is read, with a message that does not depend on whether the
 * variable or file exists; a file is checked again after its symbolic links are resolved.
 */
@ApplicationScoped
public class PasswordSources {
  private final String envPrefix;
  private final List<Path> dirs;

  @Inject
  public PasswordSources(StrataConfig config) {
    this(config.secrets().envPrefix(), config.secrets().dirs().orElse(List.of()));
  }

  PasswordSources(String envPrefix, List<String> dirs) {
    this.envPrefix = envPrefix;
    this.dirs = dirs.stream().filter(d -> !d.isBlank()).map(d -> Path.of(d.strip()).toAbsolutePath().normalize())
        .toList();
  }

  /** Refuses (422) a reference outside the allowed places; touches neither the environment nor the disk. */
  public void check(String passwordEnv, String passwordFile) {
    check("password_env", passwordEnv, "password_file", passwordFile);
  }

  /**
   * Refuses (422) a secret named outside the allowed places, by the request's fields {@code envField} and {@code
   * fileField}; touches neither the environment nor the disk.
   */
  public void check(String envField, String env, String fileField, String file) {
    if (env != null && (envPrefix.isEmpty() || !env.startsWith(envPrefix) || env.length() == envPrefix.length())) {
      throw StrataException.invalid(envField, envField + " must name a variable whose name starts with "
          + envPrefix + " (the server's STRATA_SECRETS_ENV_PREFIX)");
    }
    if (file != null && !allowedPath(Path.of(file))) {
      throw refusedFile(fileField);
    }
  }

  /** The password {@code s} names ({@code null}: none); a file is read on a worker thread. */
  public Uni<String> read(StorageAdded s) {
    return read("password_env", s.passwordEnv(), "password_file", s.passwordFile());
  }

  /**
   * The secret named by variable {@code env} or file {@code file} ({@code null}: neither names one), checked as
   * {@link #check} does (registered before these rules, or under other settings); a file is read on a worker thread.
   */
  public Uni<String> read(String envField, String env, String fileField, String file) {
    try {
      check(envField, env, fileField, file);
    } catch (StrataException refused) {
      return Uni.createFrom().failure(refused);
    }
    if (env != null) {
      String value = System.getenv(env);
      if (value == null) {
        return Uni.createFrom().failure(StrataException.invalid(envField,
            "environment variable " + env + " is not set on the server"));
      }
      return Uni.createFrom().item(value);
    }
    if (file != null) {
      return Uni.createFrom().item(() -> readFile(fileField, Path.of(file)))
          .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }
    return Uni.createFrom().nullItem();
  }

  private String readFile(String field, Path file) {
    try {
      Path real = file.toRealPath();
      // a link inside an allowed directory must not lead out of every one of them
      if (!dirs.stream().anyMatch(d -> real.startsWith(realOrSelf(d))) || !Files.isRegularFile(real)) {
        throw refusedFile(field);
      }
      return Files.readString(real).strip();
    } catch (IOException e) {
      throw StrataException.invalid(field, field + " " + file + " cannot be read on the server");
    }
  }

  private boolean allowedPath(Path file) {
    // no "." or ".." steps: the path must be under an allowed directory as written
    return file.isAbsolute() && file.normalize().equals(file)
        && dirs.stream().anyMatch(d -> file.startsWith(d) && !file.equals(d));
  }

  private static Path realOrSelf(Path dir) {
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      return dir;
    }
  }

  private StrataException refusedFile(String field) {
    return StrataException.invalid(field, dirs.isEmpty()
        ? field + " is not allowed: the server names no directory for secret files (STRATA_SECRETS_DIRS)"
        : field + " must name a file under " + dirs.stream().map(Path::toString).toList()
            + " (the server's STRATA_SECRETS_DIRS)");
  }
}
