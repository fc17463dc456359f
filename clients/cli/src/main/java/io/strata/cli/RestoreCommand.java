package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code strata restore}: unpacks a backup into an empty data directory, where a server started with
 * {@code STRATA_DATA_DIR} set to it replays the backup's write-ahead log once and goes on from there. Refuses a
 * directory that holds anything (never overwrites a database), a file that is not a Strata backup, and any entry that
 * would land outside the directory or is not a plain file or directory.
 */
@Command(name = "restore", description = "Unpack a backup into an empty data directory (the server is not running)")
final class RestoreCommand extends Verb {
  private static final int FORMAT = 1;

  @Parameters(paramLabel = "<file>", description = "A file strata backup wrote") Path file;

  @Option(names = {"-d", "--data-dir"}, paramLabel = "<dir>", defaultValue = ".strata",
      description = "The data directory to restore into: absent or empty (default ${DEFAULT-VALUE}, as the server's)")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    Path target = dataDir.toAbsolutePath().normalize();
    if (Files.exists(target)) {
      try (Stream<Path> inside = Files.list(target)) {
        if (inside.findAny().isPresent()) {
          throw new Failures.Refused(ExitCodes.NOT_FOUND_OR_REFUSED, target + " is not empty: restore into an empty"
              + " (or new) directory, then start the server with STRATA_DATA_DIR=" + target);
        }
      }
    }
    Files.createDirectories(target);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
    JsonNode manifest;
    try {
      manifest = unpack(target);
    } catch (IOException | RuntimeException e) {
      clear(target); // nothing half-restored stays behind
      throw e;
    }
    if (!out().printedAsJson(Map.of("data_dir", target.toString(), "backup", manifest))) {
      out().line("Restored the backup of " + manifest.path("stopped_at").asText() + " (PostgreSQL "
          + manifest.path("postgres_version").asText() + ") into " + target + ".");
      out().line("Start the server on it: STRATA_DATA_DIR=" + target + " (it replays the backup's log once).");
    }
    return ExitCodes.OK;
  }

  private JsonNode unpack(Path target) throws IOException {
    JsonNode manifest = null;
    long total = Files.size(file);
    Progress progress = new Progress(spec.commandLine().getErr(), "restore", total);
    try (InputStream raw = Files.newInputStream(file); TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
      for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
        Path to = target.resolve(entry.getName()).normalize();
        if (!to.startsWith(target) || to.equals(target) && !entry.isDirectory()) {
          throw refused("an entry would land outside the data directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(to);
          Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwx------"));
        } else if (entry.isFile()) {
          Files.createDirectories(to.getParent());
          Files.copy(tar, to);
          Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-------"));
          if (entry.getName().equals("strata-backup.json")) {
            manifest = new ObjectMapper().readTree(to.toFile());
          }
        } else {
          throw refused("an entry is neither a file nor a directory: " + entry.getName());
        }
        progress.advance(entry.getSize() + 512);
      }
    } catch (IOException e) {
      if (e.getClass() == IOException.class) { // the tar reader's word for bytes that are no tar
        throw refused("not a backup strata wrote: " + e.getMessage());
      }
      throw e;
    } finally {
      progress.finish();
    }
    if (manifest == null || manifest.path("format").asInt() != FORMAT
        || !Files.isRegularFile(target.resolve("postgres/backup_label"))) {
      throw refused(file + " is not a backup strata wrote (format " + FORMAT + ")");
    }
    // PostgreSQL starts only on a data directory its owner alone may enter (parents made on the way included)
    try (Stream<Path> all = Files.walk(target)) {
      for (Path d : all.filter(Files::isDirectory).toList()) {
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
      }
    }
    Files.delete(target.resolve("strata-backup.json"));
    Files.writeString(target.resolve("restored-from.json"), manifest.toString() + "\n");
    return manifest;
  }

  private Failures.Refused refused(String why) {
    return new Failures.Refused(ExitCodes.NOT_FOUND_OR_REFUSED, why);
  }

  private static void clear(Path target) throws IOException {
    try (Stream<Path> all = Files.walk(target)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        if (!p.equals(target)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
