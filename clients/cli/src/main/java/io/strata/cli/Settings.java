package io.strata.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Where to connect and as whom: a flag, else the environment ({@code STRATA_URL}, {@code STRATA_TOKEN},
 * {@code STRATA_REPOSITORY}), else the config file ({@code STRATA_CONFIG}, else {@code ~/.config/strata/config}:
 * {@code server = …}, {@code token = …}, {@code repository = …}). A config file holding a token must be readable
 * by its owner only, as ssh wants of a key.
 */
record Settings(String server, String token, String repository) {
  static final String DEFAULT_SERVER = "http://127.0.0.1:8000";

  static Settings resolve(Strata flags, Map<String, String> env) {
    Properties file = configFile(env);
    return new Settings(
        first(flags.server, env.get("STRATA_URL"), file.getProperty("server"), DEFAULT_SERVER).replaceAll("/+$", ""),
        first(flags.token, env.get("STRATA_TOKEN"), file.getProperty("token"), null),
        first(flags.repository, env.get("STRATA_REPOSITORY"), file.getProperty("repository"), null));
  }

  static Path configPath(Map<String, String> env) {
    String set = env.get("STRATA_CONFIG");
    if (set != null && !set.isBlank()) {
      return Path.of(set);
    }
    String xdg = env.get("XDG_CONFIG_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
    return base.resolve("strata").resolve("config");
  }

  private static Properties configFile(Map<String, String> env) {
    Path path = configPath(env);
    Properties p = new Properties();
    if (!Files.isRegularFile(path)) {
      return p;
    }
    try (Reader in = Files.newBufferedReader(path)) {
      p.load(in);
      if (p.getProperty("token") != null && !ownerOnly(path)) {
        throw new Failures.Refused(ExitCodes.USAGE, path + " holds a token and others may read it: chmod 600 " + path);
      }
    } catch (IOException e) {
      throw new Failures.Refused(ExitCodes.LOCAL, "cannot read " + path + ": " + e.getMessage());
    }
    return p;
  }

  private static boolean ownerOnly(Path path) throws IOException {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
      return mode.stream().noneMatch(m -> m.name().startsWith("GROUP") || m.name().startsWith("OTHERS"));
    } catch (UnsupportedOperationException notPosix) {
      return true;
    }
  }

  private static String first(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.strip();
      }
    }
    return null;
  }
}
