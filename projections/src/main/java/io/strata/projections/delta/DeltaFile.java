package io.strata.projections.delta;

import java.net.URI;
import java.util.Map;

/**
 * A data file of a table version, as its {@code add} action names it: the path as written in the log (relative to
 * the table root, or an absolute URI: a shallow clone's files of its base), its size, modification time, partition
 * values and statistics (Delta's JSON, or null).
 */
public record DeltaFile(String path, long size, long modificationTime, Map<String, String> partitionValues,
    String stats) {

  public DeltaFile {
    // a partition's value may be null (the protocol's null partition), which Map.copyOf refuses
    partitionValues = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(partitionValues));
  }

  /** Its absolute URI, reading a relative path against {@code tableRoot} (a directory URI). */
  public String absolute(URI tableRoot) {
    URI path = URI.create(this.path);
    if (path.isAbsolute()) {
      return this.path;
    }
    String root = tableRoot.toString();
    return (root.endsWith("/") ? root : root + "/") + this.path;
  }

  /**
   * Where to read it: {@link #absolute} with the log's percent-encoding undone (a log names
   * {@code country=United%20States/part-0.parquet}; the file system and S3 know {@code country=United States/…}).
   */
  public String location(URI tableRoot) {
    URI uri = URI.create(absolute(tableRoot));
    String authority = uri.getRawAuthority() == null ? "" : "//" + uri.getRawAuthority();
    return uri.getScheme() + ":" + authority + uri.getPath();
  }

  /** The same file named by its absolute URI ({@link #absolute}), as another table's log must name it. */
  public DeltaFile absoluteIn(URI tableRoot) {
    return new DeltaFile(absolute(tableRoot), size, modificationTime, partitionValues, stats);
  }
}
