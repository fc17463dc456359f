package io.strata.projections.delta;

import io.delta.kernel.Snapshot;
import java.io.IOException;
import java.util.UUID;

/**
 * A branch of a Delta table (docs/delta.md, §1): a table of its own whose version 0 holds the base version's
 * protocol and metadata and adds every file of it by absolute URI. It writes no data file; any Delta engine reads
 * and writes it as an ordinary table.
 */
public final class ShallowClone {
  /**
   * The parameters of a clone's {@code commitInfo} naming what it was cloned from (as Delta's own CLONE does): a diff
   * of the branch against its base reads the commits since, not both states' files ({@link ChangedFiles}).
   */
  static final String SOURCE = "source";
  static final String SOURCE_VERSION = "sourceVersion";

  private ShallowClone() {
  }

  /**
   * Writes {@code branch}'s version 0 as a clone of {@code base} at {@code version}, under Strata transaction
   * {@code transaction}. False when the branch already has a version 0 (another attempt made it: left as it is).
   */
  public static boolean create(DeltaTable base, long version, DeltaTable branch, String transaction, long now)
      throws IOException {
    return files(base, version, branch, transaction, now) >= 0;
  }

  /** {@link #create}, answering the number of files the clone adds, or -1 when the branch had a version 0. */
  static long files(DeltaTable base, long version, DeltaTable branch, String transaction, long now)
      throws IOException {
    Snapshot snapshot = base.at(version);
    // the clone is a table Strata writes, with the base's protocol: what Strata cannot write it does not clone
    WriterFeatures.check(snapshot);
    var protocol = snapshot.getProtocol();
    DeltaCommit commit = DeltaCommit.of(transaction, "CLONE", now)
        .parameter(SOURCE, base.root().toString()).parameter(SOURCE_VERSION, Long.toString(version))
        .parameter("isShallow", "true")
        .protocol(protocol.getMinReaderVersion(), protocol.getMinWriterVersion(), protocol.getReaderFeatures(),
            protocol.getWriterFeatures())
        .metadata(UUID.randomUUID().toString(), snapshot.getSchema().toJson(),
            snapshot.getPartitionColumnNames(), snapshot.getTableProperties(), now);
    long files = 0;
    for (DeltaFile file : base.files(snapshot)) {
      commit.add(file.absoluteIn(base.root()));
      files++;
    }
    return branch.log().create(0, commit.bytes()) ? files : -1;
  }
}
