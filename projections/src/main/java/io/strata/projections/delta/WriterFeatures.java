package io.strata.projections.delta;

import io.delta.kernel.Snapshot;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether Strata may write a table's commits itself: only when the table's protocol asks nothing of writers beyond
 * what Strata's commits do. A feature Strata does not implement (in-commit timestamps, row tracking, CHECK
 * constraints, generated or identity columns, change data feed, clustering, Iceberg compatibility,
 * coordinated or catalog-managed commits, …) or a table that takes appends only is refused by name, before anything
 * is written: a commit that skipped a feature's duties would make the table invalid for every reader.
 */
final class WriterFeatures {
  /** Writer features whose duties Strata's commits meet (or which ask none of a commit). */
  private static final Set<String> KNOWN = Set.of(
      "appendOnly", "invariants", "deletionVectors", "domainMetadata", "vacuumProtocolCheck", "timestampNtz",
      DeltaSchema.TYPE_WIDENING, // its duty: a type change recorded in the column's metadata (DeltaSchema.widen)
      "columnMapping", // its duties: files written under the physical names (Kernel's write), new columns given
      // ids and physical names of their own (MappedColumns)
      // features that ask something of writers only where the table uses them (checked below), which a protocol
      // raised from a legacy version lists whether used or not
      "checkConstraints", "changeDataFeed", "generatedColumns", "identityColumns");

  private WriterFeatures() {
  }

  /**
   * The writer features a legacy writer version implies, named as version 7 lists them (a protocol raised to 7 must
   * keep them): 2 appendOnly and invariants, 3 checkConstraints, 4 changeDataFeed and generatedColumns, 5
   * columnMapping, 6 identityColumns.
   */
  static Set<String> legacyWriterFeatures(int version) {
    Set<String> features = new TreeSet<>();
    if (version >= 2) {
      features.addAll(Set.of("appendOnly", "invariants"));
    }
    if (version >= 3) {
      features.add("checkConstraints");
    }
    if (version >= 4) {
      features.addAll(Set.of("changeDataFeed", "generatedColumns"));
    }
    if (version >= 5) {
      features.add("columnMapping");
    }
    if (version >= 6) {
      features.add("identityColumns");
    }
    return features;
  }

  /** The reader features a legacy reader version implies (2: columnMapping), as version 3 lists them. */
  static Set<String> legacyReaderFeatures(int version) {
    return version >= 2 ? new TreeSet<>(Set.of("columnMapping")) : new TreeSet<>();
  }

  /** Whether {@code snapshot}'s protocol lets its files carry deletion vectors (the feature, reader and writer). */
  static boolean deletionVectors(Snapshot snapshot) {
    var protocol = snapshot.getProtocol();
    return protocol.getMinReaderVersion() >= 3 && protocol.getReaderFeatures().contains("deletionVectors")
        && protocol.getMinWriterVersion() >= 7 && protocol.getWriterFeatures().contains("deletionVectors");
  }

  /** Refuses (UnsupportedOperationException, naming why) writing {@code snapshot}'s table. */
  static void check(Snapshot snapshot) {
    var protocol = snapshot.getProtocol();
    Map<String, String> properties = snapshot.getTableProperties();
    if ("true".equalsIgnoreCase(properties.getOrDefault("delta.appendOnly", "false"))) {
      throw DeltaUnsupported.because("the table takes appends only (delta.appendOnly): Strata's commits"
          + " remove files");
    }
    if ("true".equalsIgnoreCase(properties.getOrDefault("delta.enableChangeDataFeed", "false"))) {
      throw DeltaUnsupported.because("the table keeps a change data feed, which Strata's commits do not"
          + " write yet");
    }
    String mapping = MappedColumns.mode(properties);
    if (!"none".equals(mapping) && !"name".equals(mapping)) {
      throw DeltaUnsupported.because("the table maps its columns by " + mapping + " (Parquet field ids): Strata"
          + " writes tables that map them by name only");
    }
    if (protocol.getMinWriterVersion() >= 7) {
      Set<String> unknown = new TreeSet<>(protocol.getWriterFeatures());
      unknown.removeAll(KNOWN);
      if (!unknown.isEmpty()) {
        throw DeltaUnsupported.because("the table needs writer features Strata does not implement yet: "
            + String.join(", ", unknown));
      }
    }
    // a feature a legacy version implies (3 CHECK constraints, 4 change data feed (above) and generated columns,
    // 6 identity columns), or that a version 7 lists, asks nothing of a table that does not use it
    Set<String> features = protocol.getMinWriterVersion() >= 7 ? protocol.getWriterFeatures()
        : legacyWriterFeatures(protocol.getMinWriterVersion());
    String schema = snapshot.getSchema().toJson();
    if (features.contains("checkConstraints")
        && properties.keySet().stream().anyMatch(k -> k.startsWith("delta.constraints."))) {
      throw DeltaUnsupported.because("the table has CHECK constraints, which Strata's commits do not check yet");
    }
    if (features.contains("generatedColumns") && schema.contains("delta.generationExpression")) {
      throw DeltaUnsupported.because("the table has generated columns, which Strata's commits do not compute"
          + " yet");
    }
    if (features.contains("identityColumns") && schema.contains("delta.identity.")) {
      throw DeltaUnsupported.because("the table has identity columns, which Strata's commits do not fill yet");
    }
    if (snapshot.getSchema().toJson().contains("delta.invariants")) {
      throw DeltaUnsupported.because("the table has column invariants, which Strata's commits do not check"
          + " yet");
    }
  }
}
