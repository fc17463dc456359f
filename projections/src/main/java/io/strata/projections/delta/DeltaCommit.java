package io.strata.projections.delta;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One commit of a Delta table as Strata writes it, from Delta's protocol specification (PROTOCOL.md: "Delta Log
 * Entries"; Kernel's public API writes only appends): newline-delimited JSON, one action per line — {@code
 * commitInfo} first (its {@code txnId} is Strata's transaction id, so log tailing and recovery know Strata's own
 * versions), then {@code protocol} and {@code metaData} when they change, then {@code add} and {@code remove}.
 */
public final class DeltaCommit {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What commitInfo.engineInfo says wrote a version. */
  public static final String ENGINE = "Strata";

  private final ObjectNode commitInfo;
  private final List<ObjectNode> actions = new ArrayList<>();

  private DeltaCommit(String transaction, String operation, long timestamp) {
    commitInfo = JSON.createObjectNode();
    ObjectNode info = commitInfo.putObject("commitInfo");
    info.put("timestamp", timestamp).put("operation", operation).put("engineInfo", ENGINE)
        .put("txnId", transaction).putObject("operationParameters");
  }

  /** A commit of Strata transaction {@code transaction} doing {@code operation} (WRITE, MERGE, CREATE BRANCH…). */
  public static DeltaCommit of(String transaction, String operation, long timestamp) {
    return new DeltaCommit(transaction, operation, timestamp);
  }

  /** A parameter of the operation ({@code commitInfo.operationParameters}), as Delta writes them: a string. */
  public DeltaCommit parameter(String name, String value) {
    ((ObjectNode) commitInfo.get("commitInfo").get("operationParameters")).put(name, value);
    return this;
  }

  /** The table's protocol: the versions (and, for reader 3 / writer 7, the features) a client must support. */
  public DeltaCommit protocol(int minReaderVersion, int minWriterVersion, Set<String> readerFeatures,
      Set<String> writerFeatures) {
    ObjectNode p = JSON.createObjectNode();
    ObjectNode protocol = p.putObject("protocol").put("minReaderVersion", minReaderVersion)
        .put("minWriterVersion", minWriterVersion);
    if (minReaderVersion >= 3) {
      readerFeatures.stream().sorted().forEach(protocol.putArray("readerFeatures")::add);
    }
    if (minWriterVersion >= 7) {
      writerFeatures.stream().sorted().forEach(protocol.putArray("writerFeatures")::add);
    }
    actions.add(p);
    return this;
  }

  /** The table's metadata: its id, schema (Delta's JSON schema string), partition columns and properties. */
  public DeltaCommit metadata(String id, String schemaString, List<String> partitionColumns,
      Map<String, String> configuration, long createdTime) {
    ObjectNode m = JSON.createObjectNode();
    ObjectNode metadata = m.putObject("metaData").put("id", id);
    metadata.putObject("format").put("provider", "parquet").putObject("options");
    metadata.put("schemaString", schemaString);
    partitionColumns.forEach(metadata.putArray("partitionColumns")::add);
    ObjectNode conf = metadata.putObject("configuration");
    configuration.forEach(conf::put);
    metadata.put("createdTime", createdTime);
    actions.add(m);
    return this;
  }

  /** A file the version adds. */
  public DeltaCommit add(DeltaFile file) {
    ObjectNode a = JSON.createObjectNode();
    ObjectNode add = a.putObject("add").put("path", file.path());
    ObjectNode values = add.putObject("partitionValues");
    file.partitionValues().forEach(values::put);
    add.put("size", file.size()).put("modificationTime", file.modificationTime()).put("dataChange", true);
    if (file.stats() != null) {
      add.put("stats", file.stats());
    }
    if (file.deletionVector() != null) {
      file.deletionVector().into(add);
    }
    actions.add(a);
    return this;
  }

  /** A file the version removes ({@code path} as the table's log named it when it was added), at {@code when}. */
  public DeltaCommit remove(DeltaFile file, long when) {
    ObjectNode r = JSON.createObjectNode();
    ObjectNode remove = r.putObject("remove").put("path", file.path()).put("deletionTimestamp", when)
        .put("dataChange", true).put("extendedFileMetadata", true);
    ObjectNode values = remove.putObject("partitionValues");
    file.partitionValues().forEach(values::put);
    remove.put("size", file.size());
    if (file.deletionVector() != null) {
      file.deletionVector().into(remove); // the protocol names a removed file with the vector it was added with
    }
    actions.add(r);
    return this;
  }

  /** The commit file's content. */
  public byte[] bytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      out.write(JSON.writeValueAsBytes(commitInfo));
      out.write('\n');
      for (ObjectNode action : actions) {
        out.write(JSON.writeValueAsBytes(action));
        out.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Override
  public String toString() {
    return new String(bytes(), StandardCharsets.UTF_8);
  }
}
