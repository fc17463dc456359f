package io.strata.projections.delta;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A table's log on a local file system. A version's commit file is written in full under a temporary name, then
 * hard-linked to its own name: the link fails if the name exists (atomically, on POSIX file systems), so of two
 * writers of a version exactly one wins, and no reader ever sees a partial commit.
 */
public final class LocalLogStore implements DeltaLogStore {
  private final Path log;

  /** The log of the table whose root is {@code tableRoot} ({@code <root>/_delta_log}). */
  public LocalLogStore(Path tableRoot) {
    this.log = tableRoot.resolve("_delta_log");
  }

  @Override
  public List<Long> versionsAfter(long version) throws IOException {
    if (!Files.isDirectory(log)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(log)) {
      return DeltaLogStore.versionsAfter(files.map(f -> f.getFileName().toString()), version);
    }
  }

  @Override
  public byte[] read(long version) throws IOException {
    return Files.readAllBytes(log.resolve(DeltaLogStore.fileName(version)));
  }

  @Override
  public byte[] readStart(long version, int bytes) throws IOException {
    try (var in = Files.newInputStream(log.resolve(DeltaLogStore.fileName(version)))) {
      return in.readNBytes(bytes);
    }
  }

  @Override
  public boolean create(long version, byte[] commit) throws IOException {
    Files.createDirectories(log);
    Path temporary = log.resolve("." + DeltaLogStore.fileName(version) + "." + UUID.randomUUID() + ".tmp");
    Files.write(temporary, commit, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
    try {
      Files.createLink(log.resolve(DeltaLogStore.fileName(version)), temporary);
      return true;
    } catch (FileAlreadyExistsException taken) {
      return false;
    } finally {
      try {
        Files.delete(temporary);
      } catch (NoSuchFileException gone) {
        // nothing to clean
      }
    }
  }
}
