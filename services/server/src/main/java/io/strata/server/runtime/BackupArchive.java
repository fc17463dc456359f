package io.strata.server.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The tar file of one backup ({@link EmbeddedBackups}), written on a worker thread:
 *
 * <pre>
 * postgres/…              the data directory as pg_backup_start found it, without what PostgreSQL's documentation
 *                         says to leave out (postmaster.pid, pg_wal's old contents, temporary and runtime files)
 * postgres/backup_label   pg_backup_stop's label: the restored server starts by replaying from its checkpoint
 * postgres/pg_wal/…       every WAL segment from the backup's start to its end (a replication slot kept them)
 * database.pgpass         the superuser's password, which the restored cluster has (and admin-token, if generated)
 * strata-backup.json      what this is: format, PostgreSQL's version, the WAL positions, when it started and stopped
 * </pre>
 *
 * Files are copied while PostgreSQL writes them, as its low-level backup allows: a torn page is rewritten by the WAL
 * replayed at restore (full_page_writes), a file that shrank is padded, one that vanished is left out.
 */
final class BackupArchive {
  /** The backup format {@code strata restore} reads. */
  static final int FORMAT = 1;
  /** Left out of the data directory (PostgreSQL's documentation, "Making a Base Backup Using the Low Level API"). */
  private static final Set<String> SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
      "backup_label.old", "tablespace_map", "current_logfiles", "pg_internal.init");
  /** Directories kept empty: rebuilt or unused at start. pg_wal gets the backup's own segments. */
  private static final Set<String> EMPTIED_DIRECTORIES = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
      "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
  private static final String PREFIX = "postgres/";
  private static final java.util.regex.Pattern TEMPORARY_RELATION = java.util.regex.Pattern.compile("t\\d+_\\d+(_\\w+)?(\\.\\d+)?");

  private final Path dataDir;
  private final Path file;
  private final TarArchiveOutputStream tar;
  private final Instant startedAt;
  private final String startLsn;
  private final String version;
  private int files;

  private BackupArchive(Path dataDir, Path file, Instant startedAt, String startLsn, String version) throws IOException {
    this.dataDir = dataDir;
    this.file = file;
    this.startedAt = startedAt;
    this.startLsn = startLsn;
    this.version = version;
    this.tar = new TarArchiveOutputStream(Files.newOutputStream(file));
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  static BackupArchive create(Path dataDir, Instant startedAt, String startLsn, String version) throws IOException {
    Path file = Files.createTempFile(EmbeddedBackups.backupsDirectory(dataDir), "backup-", ".tar",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    return new BackupArchive(dataDir, file, startedAt, startLsn, version);
  }

  Path file() {
    return file;
  }

  int files() {
    return files;
  }

  /** The data directory's files, as they are now (pg_backup_start has been called). */
  void addDataDirectory(Path postgres) throws IOException {
    List<Path> all = new java.util.ArrayList<>();
    // what vanishes while the tree is walked (a temporary table dropped, a directory removed) is left out
    Files.walkFileTree(postgres, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult preVisitDirectory(Path dir, java.nio.file.attribute.BasicFileAttributes a) {
        all.add(dir);
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a) {
        all.add(file);
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return java.nio.file.FileVisitResult.CONTINUE;
        }
        throw e;
      }
    });
    java.util.Collections.sort(all);
    for (Path path : all) {
      Path relative = postgres.relativize(path);
      if (relative.toString().isEmpty() || skipped(relative)) {
        continue;
      }
      String name = PREFIX + relative.toString().replace('\\', '/');
      if (Files.isDirectory(path)) {
        directory(name);
      } else if (Files.isRegularFile(path)) {
        copy(path, name);
      }
    }
  }

  private static boolean skipped(Path relative) {
    String first = relative.getName(0).toString();
    String last = relative.getFileName().toString();
    return relative.getNameCount() > 1 && EMPTIED_DIRECTORIES.contains(first)
        || relative.getNameCount() == 1 && SKIPPED_FILES.contains(last)
        || last.startsWith("pgsql_tmp") || last.equals("pg_internal.init")
        // a temporary table's files (t<backend>_<relfilenode>): a session's own, gone at restore anyway
        || TEMPORARY_RELATION.matcher(last).matches();
  }

  /**
   * The label and tablespace map pg_backup_stop gave, the WAL segments {@code fromSegment}..{@code toSegment}, the
   * secrets the restored server needs, and the manifest; then the file is complete.
   */
  void finish(String label, String tablespaceMap, String fromSegment, String toSegment, String stopLsn,
      Instant stoppedAt) throws IOException {
    text(PREFIX + "backup_label", label);
    if (tablespaceMap != null && !tablespaceMap.isBlank()) {
      text(PREFIX + "tablespace_map", tablespaceMap);
    }
    Path wal = dataDir.resolve("postgres").resolve("pg_wal");
    List<Path> segments;
    try (Stream<Path> listing = Files.list(wal)) {
      segments = listing.filter(p -> {
        String n = p.getFileName().toString();
        return n.endsWith(".history")
            || n.matches("[0-9A-F]{24}") && n.compareTo(fromSegment) >= 0 && n.compareTo(toSegment) <= 0;
      }).sorted().toList();
    }
    if (segments.stream().noneMatch(p -> p.getFileName().toString().equals(fromSegment))) {
      throw new IOException("the WAL segment " + fromSegment + " where the backup starts is gone");
    }
    for (Path segment : segments) {
      copy(segment, PREFIX + "pg_wal/" + segment.getFileName());
    }
    for (String secret : List.of("database.pgpass", "admin-token")) {
      Path path = dataDir.resolve(secret);
      if (Files.isRegularFile(path)) {
        copy(path, secret);
      }
    }
    text("strata-backup.json", "{\"format\": " + FORMAT + ", \"postgres_version\": \"" + version
        + "\", \"started_at\": \"" + startedAt + "\", \"stopped_at\": \"" + stoppedAt + "\", \"start_lsn\": \""
        + startLsn + "\", \"stop_lsn\": \"" + stopLsn + "\", \"wal\": [\"" + fromSegment + "\", \"" + toSegment
        + "\"], \"files\": " + (files + 1) + "}\n");
    tar.finish();
    tar.close();
  }

  /** Deletes a backup that failed. */
  void discard() {
    try {
      tar.close();
    } catch (IOException ignored) {
      // deleted below either way
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a leftover in backups/ is deleted by the next start
    }
  }

  private void directory(String name) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name + "/");
    entry.setMode(0700);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private void text(String name, String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(0600);
    entry.setSize(bytes.length);
    entry.setModTime(System.currentTimeMillis());
    tar.putArchiveEntry(entry);
    tar.write(bytes);
    tar.closeArchiveEntry();
    files++;
  }

  /** The first {@code size} bytes the file had when looked at: growth after that is the WAL's to bring back. */
  private void copy(Path path, String name) throws IOException {
    long size;
    long modified;
    InputStream in;
    try {
      size = Files.size(path);
      modified = Files.getLastModifiedTime(path).toMillis();
      in = Files.newInputStream(path);
    } catch (NoSuchFileException vanished) {
      return; // dropped while the backup ran: the WAL replays the drop
    }
    try (in) {
      TarArchiveEntry entry = new TarArchiveEntry(name);
      entry.setMode(0600);
      entry.setSize(size);
      entry.setModTime(modified);
      tar.putArchiveEntry(entry);
      long left = size;
      byte[] buffer = new byte[64 * 1024];
      while (left > 0) {
        int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (read < 0) {
          break;
        }
        tar.write(buffer, 0, read);
        left -= read;
      }
      pad(tar, left); // it shrank while read: zeros, which the WAL replay overwrites
      tar.closeArchiveEntry();
      files++;
    }
  }

  private static void pad(OutputStream out, long zeros) throws IOException {
    byte[] block = new byte[8192];
    while (zeros > 0) {
      int n = (int) Math.min(block.length, zeros);
      out.write(block, 0, n);
      zeros -= n;
    }
  }
}
