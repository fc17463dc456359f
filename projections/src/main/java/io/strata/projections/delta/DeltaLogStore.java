package io.strata.projections.delta;

import java.io.IOException;
import java.util.List;

/**
 * A Delta table's {@code _delta_log}: its commit files by version, and the one operation that makes a version —
 * creating its commit file only if no writer has yet ({@link #create}). Blocking.
 */
public interface DeltaLogStore {

  /** The versions whose commit file exists after {@code version} ({@code -1}: all), ascending. */
  List<Long> versionsAfter(long version) throws IOException;

  /** Version {@code version}'s commit file. */
  byte[] read(long version) throws IOException;

  /**
   * At most the first {@code bytes} bytes of version {@code version}'s commit file (its {@code commitInfo}, which
   * Strata writes first: a clone's first version is otherwise as large as its base's list of files).
   */
  default byte[] readStart(long version, int bytes) throws IOException {
    byte[] all = read(version);
    return all.length <= bytes ? all : java.util.Arrays.copyOf(all, bytes);
  }

  /**
   * Makes version {@code version} with {@code commit} as its commit file, unless it exists: answers false when
   * another writer made it first (its file then stays as that writer wrote it). Never leaves a partial file under
   * the version's name.
   */
  boolean create(long version, byte[] commit) throws IOException;

  /**
   * Of the names in a log's listing, the versions of the commit files after {@code version}, ascending (checkpoints,
   * checksums and temporary files are not versions).
   */
  static List<Long> versionsAfter(java.util.stream.Stream<String> names, long version) {
    java.util.regex.Pattern commit = java.util.regex.Pattern.compile("(\\d{20})\\.json");
    return names.map(commit::matcher).filter(java.util.regex.Matcher::matches)
        .map(m -> Long.parseLong(m.group(1))).filter(v -> v > version).sorted().toList();
  }

  /** The commit file's name of {@code version}, as the protocol spells it: 20 digits and {@code .json}. */
  static String fileName(long version) {
    return String.format("%020d.json", version);
  }
}
