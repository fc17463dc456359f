package io.strata.server.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One live server per data directory: an operating-system lock on {@code <data dir>/strata.lock},
 * held for the life of the process (the system releases it however the process ends, kill -9
 * included), with the owner's pid written in the file for the message a second server gives. Only
 * the holder of this lock may treat a PostgreSQL still running in the directory as orphaned.
 */
public final class DataDirectoryLock {
  static final String FILE = "strata.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** The directory is in use by a live server (its pid, as it wrote it). */
  public static final class InUse extends RuntimeException {
    public InUse(String message) {
      super(message);
    }
  }

  /** Takes the directory, or throws {@link InUse} naming the server that holds it. */
  public static DataDirectoryLock acquire(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException sameProcess) {
      lock = null;
    }
    if (lock == null) {
      String owner = owner(channel);
      channel.close();
      throw new InUse("the data directory " + dataDir + " is in use by another Strata server ("
          + (owner.isEmpty() ? "owner unknown" : owner) + "); stop it first, or give this one another"
          + " STRATA_DATA_DIR");
    }
    ProcessHandle self = ProcessHandle.current();
    String record = "pid " + self.pid() + ", started " + Instant.now() + "\n";
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(record.getBytes(StandardCharsets.UTF_8)), 0);
    channel.force(true);
    return new DataDirectoryLock(channel, lock);
  }

  private static String owner(FileChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(200);
    channel.read(buffer, 0);
    return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
  }

  /** Lets the directory go (also done by the system when the process ends). */
  public void release() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the process is ending; the system releases the lock with it
    }
  }
}
