package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a table's log gained since the version Strata last knew (docs/delta.md, §2): each new version with who wrote
 * it — Strata (its {@code commitInfo} names Strata's transaction) or another engine, whose changes become the
 * branch's working changes. It only reads: Strata never rewrites or deletes a log entry.
 */
public final class DeltaLogTail {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A version of the log: its number, Strata's transaction id (null: another engine's), operation and time. */
  public record Version(long version, String strataTransaction, String operation, String engine, long timestamp) {
    public boolean strata() {
      return strataTransaction != null;
    }
  }

  private DeltaLogTail() {
  }

  /** The versions after {@code lastKnown} ({@code -1}: all), oldest first. */
  public static List<Version> since(DeltaLogStore log, long lastKnown) throws IOException {
    List<Version> versions = new ArrayList<>();
    for (long version : log.versionsAfter(lastKnown)) {
      versions.add(describe(version, log.read(version)));
    }
    return versions;
  }

  /** One commit file's provenance (PROTOCOL.md, "Commit Provenance Information"); a commit without it is another's. */
  static Version describe(long version, byte[] commit) throws IOException {
    for (String line : new String(commit, StandardCharsets.UTF_8).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode info = JSON.readTree(line).get("commitInfo");
      if (info != null) {
        String engine = info.path("engineInfo").asText(null);
        boolean ours = DeltaCommit.ENGINE.equals(engine) && info.hasNonNull("txnId");
        return new Version(version, ours ? info.get("txnId").asText() : null, info.path("operation").asText(null),
            engine, info.path("timestamp").asLong(0));
      }
    }
    return new Version(version, null, null, null, 0);
  }
}
