package io.strata.projections.delta;

import java.net.URI;
import java.util.Map;

/**
 * A data file of a table version, as its {@code add} action names it: the path as written in the log (relative to
 * the table root, or an absolute URI: a shallow clone's files of its base), its size, modification time, partition
 * values, statistics (Delta's JSON, or null) and deletion vector (another engine's; null when it has none).
 */
public record DeltaFile(String path, long size, long modificationTime, Map<String, String> partitionValues,
    String stats, DeletionVector deletionVector) {

  public DeltaFile {
    // a partition's value may be null (the protocol's null partition), which Map.copyOf refuses; an empty value is
    // the null partition too (PROTOCOL.md, partition values: Spark reads it so, Kernel would read it as "")
    Map<String, String> values = new java.util.LinkedHashMap<>();
    partitionValues.forEach((column, value) -> values.put(column, value == null || value.isEmpty() ? null : value));
    partitionValues = java.util.Collections.unmodifiableMap(values);
  }

  /** A file without a deletion vector (every file Strata writes). */
  public DeltaFile(String path, long size, long modificationTime, Map<String, String> partitionValues,
      String stats) {
    this(path, size, modificationTime, partitionValues, stats, null);
  }

  /**
   * What names the rows this file holds in a version, whichever table's log names it ({@code tableRoot}: that
   * table): its absolute URI and its deletion vector's. Two versions holding the same file with other vectors hold
   * other rows of it.
   */
  public String identity(URI tableRoot) {
    return deletionVector == null ? absolute(tableRoot)
        : absolute(tableRoot) + "#" + deletionVector.identity(tableRoot);
  }

  /**
   * Its absolute URI, reading a relative path against {@code tableRoot} (a directory URI); a local file's as Delta's
   * engines write it ({@link #uri}).
   */
  public String absolute(URI tableRoot) {
    URI path = URI.create(this.path);
    if (path.isAbsolute()) {
      return uri(this.path);
    }
    String root = tableRoot.toString();
    return uri((root.endsWith("/") ? root : root + "/") + this.path);
  }

  /**
   * A URI in the one form Strata names and compares it in: a local file's as Hadoop's paths write it
   * ({@code file:/tmp/t/part-0.parquet}, not {@code file:///tmp/…}), the form Delta's own shallow clone writes and
   * Spark matches a file's rows to its {@code add} by (a deletion vector Spark writes for a file named otherwise
   * finds no file); others as they are.
   */
  static String uri(String absolute) {
    return absolute.startsWith("file:///") ? "file:/" + absolute.substring("file:///".length()) : absolute;
  }

  /**
   * Where to read it: {@link #absolute} with the log's percent-encoding undone (a log names
   * {@code country=United%20States/part-0.parquet}; the file system and S3 know {@code country=United States/…}).
   */
  public String location(URI tableRoot) {
    return decoded(absolute(tableRoot));
  }

  /** The absolute URI {@code absolute}, as a log names it, with its path's percent-encoding undone. */
  static String decoded(String absolute) {
    URI uri = URI.create(absolute);
    String authority = uri.getRawAuthority() == null ? "" : "//" + uri.getRawAuthority();
    return uri.getScheme() + ":" + authority + uri.getPath();
  }

  /** The same file named by its absolute URI ({@link #absolute}), as another table's log must name it. */
  public DeltaFile absoluteIn(URI tableRoot) {
    return new DeltaFile(absolute(tableRoot), size, modificationTime, partitionValues, stats,
        deletionVector == null ? null : deletionVector.absoluteIn(tableRoot));
  }
}
