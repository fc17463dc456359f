package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.Snapshot;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.projections.rowdata.merge.MergeColumns;
import io.strata.projections.rowdata.merge.Settlement;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The three-way merge of a Delta table by key (docs/delta.md, §4): each side's row changes since the merge base,
 * from the files that differ only; each key both sides changed decided by the same merge core as PostgreSQL tables
 * ({@link Settlement}: the truth table, field-level conflicts, strategies); the result written to the target
 * copy-on-write as one commit made only if the target's next version is still free.
 */
public final class DeltaMerge {
  // decimals kept exactly as read (Jackson would strip their trailing zeros, and with them their scale)
  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .nodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true))
      .build();

  /**
   * What a merge decided: per key the row to write (null: delete it), and the conflicts left to the client; and,
   * when the diffs that decided it say, the target's files that may hold a key it writes ({@code holders}, by
   * absolute URI: {@link #holders}; null: the files' key statistics tell).
   */
  public record Plan(long targetVersion, Map<List<Object>, Map<String, Object>> writes,
      Map<List<Object>, Settlement.KeyMerge> conflicts, Set<String> holders) {
    public Plan(long targetVersion, Map<List<Object>, Map<String, Object>> writes,
        Map<List<Object>, Settlement.KeyMerge> conflicts) {
      this(targetVersion, writes, conflicts, null);
    }

    public boolean clean() {
      return conflicts.isEmpty();
    }
  }

  /**
   * The target's files that may hold a key theirs changed, from the files each side's diff read: a key theirs updated
   * or deleted was in a base file theirs no longer has, which the target still has unless ours changed it; then, as
   * any key ours inserted or rewrote, in a file ours added. Exact, and O(changes): no file's statistics are read.
   */
  static Set<String> holders(RowChanges.FileChanges ours, RowChanges.FileChanges theirs) {
    Set<String> holders = new java.util.HashSet<>(ours.added());
    theirs.removed().stream().filter(f -> !ours.removed().contains(f)).forEach(holders::add);
    return holders;
  }

  /** Another writer made the target's next version first: decide the merge again on the new version. */
  public static final class TargetMoved extends RuntimeException {
    public TargetMoved(long version) {
      super("the target's version " + version + " was made by another writer", null, false, false);
    }
  }

  private DeltaMerge() {
  }

  /**
   * Plans merging {@code source} at {@code sourceVersion} into {@code target} at {@code targetVersion}, from their
   * common {@code base} at {@code baseVersion}, by {@code key}.
   */
  public static Plan plan(DeltaTable base, long baseVersion, DeltaTable target, long targetVersion,
      DeltaTable source, long sourceVersion, List<String> key, Strategy strategy) {
    StructType targetSchema = target.at(targetVersion).getSchema();
    StructType sourceSchema = source.at(sourceVersion).getSchema();
    if (!targetSchema.fieldNames().equals(sourceSchema.fieldNames())) {
      // a side's rows would lose the other's columns, or null them: the shapes are made one first
      throw new UnsupportedOperationException("the two sides' columns differ (" + targetSchema.fieldNames() + " and "
          + sourceSchema.fieldNames() + "): merging tables of different shapes is not supported yet");
    }
    var tables = RowChanges.known(base, target, source);
    RowChanges.Diff oursDiff = RowChanges.diff(base, baseVersion, target, targetVersion, key, tables);
    RowChanges.Diff theirsDiff = RowChanges.diff(base, baseVersion, source, sourceVersion, key, tables);
    Map<List<Object>, RowChanges.Change> ours = byKey(oursDiff.changes());
    Map<List<Object>, RowChanges.Change> theirs = byKey(theirsDiff.changes());
    Map<List<Object>, Map<String, Object>> writes = new LinkedHashMap<>();
    Map<List<Object>, Settlement.KeyMerge> conflicts = new LinkedHashMap<>();
    for (RowChanges.Change change : theirs.values()) {
      RowChanges.Change mine = ours.get(change.key());
      if (mine == null) {
        writes.put(change.key(), change.after()); // only theirs changed it
        continue;
      }
      Settlement.KeyMerge decided = Settlement.decide(json(change.before()), json(mine.after()),
          json(change.after()), MergeColumns.PLAIN, strategy);
      if (decided.unsettled()) {
        conflicts.put(change.key(), decided);
      } else if (!same(decided.merged(), mine.after())) {
        writes.put(change.key(), decided.merged() == null ? null : values(decided.merged(), targetSchema));
      }
    }
    return new Plan(targetVersion, writes, conflicts, holders(oursDiff.files(), theirsDiff.files()));
  }

  /**
   * Writes a clean plan into its target: the files holding a key the plan writes or deletes (those whose key
   * statistics may hold one are read) are rewritten without those keys, and one new file holds the rows it writes; committed as the target's next version under Strata
   * transaction {@code transaction}. Answers that version; {@link TargetMoved} when another writer made it first
   * (the data files written are garbage then).
   */
  public static long apply(Plan plan, DeltaTable target, List<String> key, String transaction, long now)
      throws IOException {
    if (!plan.clean()) {
      throw new IllegalStateException(plan.conflicts().size() + " conflicts are not settled");
    }
    Snapshot snapshot = target.at(plan.targetVersion());
    WriterFeatures.check(snapshot);
    Set<List<Object>> touched = plan.writes().keySet();
    DeltaCommit commit = DeltaCommit.of(transaction, "MERGE", now);
    Map<String, DeltaFile> candidates = new LinkedHashMap<>();
    // the holders the plan knows, else those whose statistics say they may hold a key; the files named as the
    // target's log names them (a remove must name its add)
    if (plan.holders() != null) {
      // looked up in the target's listing, kept current from its commits (DeltaListings): not listed again
      DeltaListings.at(target, snapshot, listing -> {
        for (String holder : plan.holders()) {
          DeltaFile file = listing.at(holder);
          if (file != null) {
            candidates.put(holder, file);
          }
        }
        return null;
      });
    } else {
      for (DeltaFile file : DeltaListings.mayHold(target, snapshot, key, touched)) {
        candidates.put(file.absolute(target.root()), file);
      }
    }
    Map<String, Map<List<Object>, Map<String, Object>>> byFile = target.rowsByFileOf(snapshot,
        candidates.values().stream().map(f -> f.absoluteIn(target.root())).toList(), key);
    for (Map.Entry<String, DeltaFile> candidate : candidates.entrySet()) {
      Map<List<Object>, Map<String, Object>> rows = byFile.getOrDefault(candidate.getKey(), Map.of());
      if (rows.keySet().stream().noneMatch(touched::contains)) {
        continue;
      }
      List<Map<String, Object>> kept = new ArrayList<>();
      rows.forEach((k, row) -> {
        if (!touched.contains(k)) {
          kept.add(row);
        }
      });
      commit.remove(candidate.getValue(), now);
      if (!kept.isEmpty()) {
        DataFiles.writeAll(target, snapshot, kept).forEach(commit::add);
      }
    }
    List<Map<String, Object>> written = new ArrayList<>();
    plan.writes().forEach((k, row) -> {
      if (row != null) {
        written.add(row);
      }
    });
    if (!written.isEmpty()) {
      DataFiles.writeAll(target, snapshot, written).forEach(commit::add);
    }
    long version = plan.targetVersion() + 1;
    if (!target.log().create(version, commit.bytes())) {
      throw new TargetMoved(version);
    }
    return version;
  }

  private static Map<List<Object>, RowChanges.Change> byKey(List<RowChanges.Change> changes) {
    Map<List<Object>, RowChanges.Change> byKey = new HashMap<>();
    changes.forEach(c -> byKey.put(c.key(), c));
    return byKey;
  }

  /** A row as the merge core reads it (null: no row); binary as base64 text, decimals exact. */
  static ObjectNode json(Map<String, Object> row) {
    if (row == null) {
      return null;
    }
    ObjectNode node = JSON.createObjectNode();
    row.forEach((column, value) -> node.set(column, JSON.valueToTree(value)));
    return node;
  }

  /** A merged row back as the table's values, by its schema's types. */
  static Map<String, Object> values(ObjectNode row, StructType schema) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (StructField field : schema.fields()) {
      JsonNode v = row.get(field.getName());
      try {
        values.put(field.getName(), v == null || v.isNull() ? null : RowValues.fromJson(v, field.getDataType()));
      } catch (IllegalArgumentException notFitting) {
        throw new ClientValues.Refused(field.getName(), notFitting.getMessage()); // 422, nothing written
      }
    }
    return values;
  }

  private static boolean same(ObjectNode merged, Map<String, Object> ours) {
    return merged == null ? ours == null : merged.equals(json(ours));
  }

  /** The plan's conflicts as the API names them: key → kind and fields. */
  public static Map<String, String> describe(Plan plan) {
    Map<String, String> out = new TreeMap<>();
    plan.conflicts().forEach((k, c) -> out.put(k.toString(), c.outcome().kind() + " " + c.outcome().fields()));
    return out;
  }
}
