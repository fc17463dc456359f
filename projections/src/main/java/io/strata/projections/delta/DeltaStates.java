package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.Snapshot;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.delta.DeltaRefs.Span;
import io.strata.projections.delta.DeltaRefs.State;
import io.strata.projections.rowdata.StatePath;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The states of a Delta table the roles work between, and the rows in them as JSON: where a path of change sets
 * leads, the changes between two states, a root brought to another state's files in one commit (a discard, a move),
 * and rows as the API reads them. Blocking: callers run it on the unit's worker pool.
 */
final class DeltaStates {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DeltaStates() {
  }

  /** The latest version of {@code root}'s log. */
  static State latest(DeltaUnit unit, String root) {
    return new State(root, unit.at(root).latest().getVersion());
  }

  /**
   * Where {@code path} leads from a branch's working state ({@code ref}): the end of the last change set redone, else
   * the start of the first undone (oldest first), else the branch's last commit when its working changes are undone,
   * else its working state (its root's latest version).
   */
  static State resolve(DeltaUnit unit, Ref ref, StatePath path, List<Span> undo, List<Span> redo) {
    if (!redo.isEmpty()) {
      return redo.get(redo.size() - 1).to();
    }
    if (!undo.isEmpty()) {
      return undo.get(0).from();
    }
    return path.undoWorkingChanges() ? ref.base() : latest(unit, ref.root());
  }

  /** The row changes from {@code from} to {@code to}, by {@code key}, in key order: the files they differ in only. */
  static List<RowChanges.Change> changes(DeltaUnit unit, State from, State to, List<String> key) {
    if (from.equals(to)) {
      return List.of();
    }
    return diff(unit, from, to, key).changes();
  }

  /** {@link #changes}, with the files they were read from. */
  static RowChanges.Diff diff(DeltaUnit unit, State from, State to, List<String> key) {
    return RowChanges.diff(unit.at(from.root()), from.version(), unit.at(to.root()), to.version(), key,
        root -> tableAt(unit, root));
  }

  /** The table at {@code root} when it is one of the unit's storage (a clone names its base's), else null. */
  private static DeltaTable tableAt(DeltaUnit unit, String root) {
    try {
      return unit.at(root);
    } catch (IllegalArgumentException elsewhere) {
      return null;
    }
  }

  /**
   * Refuses ({@link DeltaMerge.TargetMoved}) when {@code to} holds rows changed since {@code from}: a write Strata
   * decided on a table it found at {@code from} (clean: no working changes) would overwrite them, or take them into
   * its commit. Versions without row changes (a column added, another engine's compaction) pass; the same state costs
   * nothing, another one the changed files only.
   */
  static void requireNoRowChanges(DeltaUnit unit, State from, State to, List<String> key) {
    boolean same = DeltaFile.uri(from.root()).equals(DeltaFile.uri(to.root())) && from.version() == to.version();
    if (!same && !diff(unit, from, to, key).changes().isEmpty()) {
      throw new DeltaMerge.TargetMoved(to.version());
    }
  }

  /**
   * Makes {@code root}'s live files those of {@code target} in one commit of Strata transaction {@code transaction}
   * (files only the root has removed, files only the target has added by absolute URI, found from the commits since
   * the two states' common point where they say: {@link DeltaFileMove}; no data read or written): a discard, a reset,
   * a fast-forward. The root's columns are never taken away nor narrowed — a column it has and the
   * target lacks reads null in the target's files (a branch's columns go before its files move, by their own
   * command); the target's columns it lacks, or has narrower, it gains in the same commit ({@link #columnsFor}).
   * Answers the root's new version, or its latest when nothing changes.
   *
   * <p>With {@code keepColumns}, the root keeps exactly its columns and reads the target's files in them (a discard:
   * rows only — a column the branch dropped since its last commit is not given back either). With {@code clean} (a
   * move of a table found clean at that state; null: any), refused ({@link DeltaMerge.TargetMoved}) when the root
   * holds rows changed since, which the move would give up: another engine's write after the check (Strata's locks
   * do not hold other engines off), or after an attempt another writer won.
   */
  static long restore(DeltaUnit unit, String root, State target, String operation, List<String> key,
      boolean keepColumns, State clean) throws IOException {
    DeltaTable table = unit.at(root);
    DeltaTable source = unit.at(target.root());
    for (int attempt = 0; attempt < 5; attempt++) {
      Snapshot now = table.latest();
      if (clean != null) {
        requireNoRowChanges(unit, clean, new State(root, now.getVersion()), key);
      }
      WriterFeatures.check(now);
      Snapshot wanted = source.at(target.version());
      DeltaFileMove.Files files = DeltaFileMove.between(table, now, source, wanted, r -> tableAt(unit, r));
      long when = System.currentTimeMillis();
      DeltaCommit commit = DeltaCommit.of(unit.writing(root, now.getVersion(), key), operation, when);
      boolean changes = false;
      MappedColumns.Mapped columns = MappedColumns.moved(keepColumns ? now.getSchema() : columnsFor(now, wanted),
          now, wanted);
      // the tracked table itself (what other engines read at its path) is widened only with its owner's consent
      boolean ownRoot = !DeltaStorage.isBranchRoot(table.root().toString());
      if (!columns.schema().equals(now.getSchema()) || !columns.properties().equals(now.getTableProperties())) {
        WriterFeatures.check(wanted);
        String widened = ownRoot ? widened(now.getSchema(), columns.schema()) : null;
        if (widened != null) {
          DeltaTableProperties.requireWidening(now.getTableProperties(), widened);
        }
        withColumns(commit, now, wanted, columns);
        changes = true;
      }
      if (!WriterFeatures.deletionVectors(now) && files.adds().stream().anyMatch(f -> f.deletionVector() != null)) {
        // a reader of this table's protocol would not apply them: the rows they delete would come back
        throw DeltaUnsupported.because("the state's files carry deletion vectors, which this table's protocol does"
            + " not allow: enable them on it first (delta.enableDeletionVectors, reader 3 and writer 7)");
      }
      for (DeltaFile file : files.removes()) {
        commit.remove(file, when);
        changes = true;
      }
      // the tracked table itself never depends on a branch's directory: what it takes from one is copied in first
      Map<String, String> copies = new HashMap<>(); // a vector file holds many files' vectors: copied once
      for (DeltaFile file : files.adds()) {
        commit.add(ownRoot ? adopted(unit, table, file, copies) : file);
        changes = true;
      }
      if (!changes) {
        return now.getVersion();
      }
      if (table.log().create(now.getVersion() + 1, commit.bytes())) {
        return now.getVersion() + 1;
      }
      // another writer took the version: decide again on the new one
    }
    throw new DeltaMerge.TargetMoved(-1);
  }

  /**
   * {@code file} (named absolutely) as the tracked {@code table} takes it: a file of a branch's directory, and its
   * deletion vector's file, copied into the table's own first (the table never depends on a branch's directory).
   */
  private static DeltaFile adopted(DeltaUnit unit, DeltaTable table, DeltaFile file, Map<String, String> copies)
      throws IOException {
    String branches = DeltaFile.uri(table.root() + "_strata/");
    String path = file.path().startsWith(branches) ? unit.storage().adopt(file.path(), table) : file.path();
    DeletionVector dv = file.deletionVector();
    String dvFile = dv == null ? null : dv.file(table.root());
    if (dvFile != null && dvFile.startsWith(branches)) {
      String copy = copies.get(dvFile);
      if (copy == null) {
        copy = DeltaFile.uri(table.root() + unit.storage().adopt(dvFile, table));
        copies.put(dvFile, copy);
      }
      dv = dv.at(copy);
    }
    return new DeltaFile(path, file.size(), file.modificationTime(), file.partitionValues(), file.stats(), dv);
  }

  /**
   * The columns a table of columns {@code now} has once it holds {@code wanted}'s files: its own, each in the wider
   * of the two types (with that side's definition: its type changes recorded), then the columns only {@code wanted}
   * has. Never fewer or narrower: what a move takes away is taken away before, by a command of its own.
   */
  static StructType columnsFor(Snapshot now, Snapshot wanted) {
    List<StructField> fields = new ArrayList<>();
    for (StructField field : now.getSchema().fields()) {
      StructField theirs = named(wanted.getSchema(), field.getName());
      if (theirs == null || theirs.getDataType().equals(field.getDataType())
          || DeltaSchema.widens(theirs.getDataType(), field.getDataType())) {
        fields.add(field);
      } else if (DeltaSchema.widens(field.getDataType(), theirs.getDataType())) {
        fields.add(theirs);
      } else {
        // the state's files hold another type under that name, which the table's readers could not read
        throw new ClientValues.Refused(field.getName(), "the state moved to has it as "
            + DeltaTableMaking.name(theirs.getDataType()) + ", the table as " + DeltaTableMaking.name(field.getDataType())
            + ", neither a widening of the other");
      }
    }
    for (StructField field : wanted.getSchema().fields()) {
      if (named(now.getSchema(), field.getName()) == null) {
        fields.add(field);
      }
    }
    return new StructType(fields);
  }

  /** The first column of {@code now} that {@code columns} gives another (so a wider) type; null: none. */
  private static String widened(StructType now, StructType columns) {
    for (StructField field : now.fields()) {
      StructField after = named(columns, field.getName());
      if (after != null && !after.getDataType().equals(field.getDataType())) {
        return field.getName();
      }
    }
    return null;
  }

  /** The field of {@code schema} named {@code name} in any case (Delta's names are case-insensitive); null: none. */
  static StructField named(StructType schema, String name) {
    return schema.fields().stream().filter(f -> f.getName().equalsIgnoreCase(name)).findFirst().orElse(null);
  }

  /**
   * Adds to {@code commit} the table's {@code columns} ({@link #columnsFor}; with column mapping, under the state's
   * physical names: {@link MappedColumns#moved}) and their properties: its own id, creation time, partition columns
   * and other properties stay. A state whose columns need a feature the table lacks (a widened type) raises its
   * protocol as {@link DeltaSchema#widen} does; a state of other partition columns is refused (its files are laid out
   * otherwise).
   */
  static void withColumns(DeltaCommit commit, Snapshot now, Snapshot wanted, MappedColumns.Mapped mapped) {
    if (!now.getPartitionColumnNames().equals(wanted.getPartitionColumnNames())) {
      throw DeltaUnsupported.because("moving a table to a state of other partition columns");
    }
    StructType columns = mapped.schema();
    Map<String, String> properties = new java.util.LinkedHashMap<>(mapped.properties());
    boolean widened = columns.fields().stream().anyMatch(f -> f.getMetadata().contains("delta.typeChanges"));
    if (widened) {
      DeltaSchema.withWidening(commit, now, properties);
    }
    var metadata = now.getMetadata();
    commit.metadata(metadata.getId(), columns.toJson(), now.getPartitionColumnNames(), properties,
        metadata.getCreatedTime().orElse(System.currentTimeMillis()));
  }

  /**
   * Puts back what the versions from {@code before} to {@code written} of {@code root} changed: each key they changed
   * that no later version changed gets its row from before (one copy-on-write commit); a key changed since stays.
   * Answers the keys put back.
   */
  static long undoKeys(DeltaUnit unit, String root, long before, long written, List<String> key) throws IOException {
    State from = new State(root, before);
    State to = new State(root, written);
    undoColumns(unit, root, before, written);
    State latest = latest(unit, root);
    java.util.Set<List<Object>> changedSince = new java.util.HashSet<>();
    changes(unit, to, latest, key).forEach(c -> changedSince.add(c.key()));
    Map<List<Object>, Map<String, Object>> back = new java.util.LinkedHashMap<>();
    for (RowChanges.Change c : changes(unit, from, to, key)) {
      if (!changedSince.contains(c.key())) {
        back.put(c.key(), c.before());
      }
    }
    if (!back.isEmpty()) {
      DeltaMerge.apply(new DeltaMerge.Plan(latest.version(), back, Map.of()), unit.at(root), key,
          UUID.randomUUID().toString(), System.currentTimeMillis());
    }
    return back.size();
  }

  /**
   * Puts back the columns {@code root} had at {@code before} when the versions up to {@code written} changed them and
   * nobody changed them since (a {@code metaData} action: columns added go, columns dropped come back with the values
   * their files kept), before the rows are put back in them. A widened type is not narrowed back.
   */
  private static void undoColumns(DeltaUnit unit, String root, long before, long written) throws IOException {
    DeltaTable table = unit.at(root);
    Snapshot then = table.at(before);
    Snapshot wrote = table.at(written);
    if (then.getSchema().equals(wrote.getSchema())) {
      return;
    }
    for (StructField field : then.getSchema().fields()) {
      int at = wrote.getSchema().indexOf(field.getName());
      if (at >= 0 && !wrote.getSchema().at(at).getDataType().equals(field.getDataType())) {
        // a widened type stays (and so the columns with it): files written since hold values only it reads
        return;
      }
    }
    for (int attempt = 0; attempt < 5; attempt++) {
      Snapshot now = table.latest();
      if (!now.getSchema().equals(wrote.getSchema())) {
        return; // changed since: those columns are another writer's now
      }
      long when = System.currentTimeMillis();
      var metadata = now.getMetadata();
      DeltaCommit commit = DeltaCommit.of(UUID.randomUUID().toString(), "RESTORE", when).metadata(metadata.getId(),
          then.getSchema().toJson(), now.getPartitionColumnNames(), now.getTableProperties(),
          metadata.getCreatedTime().orElse(when));
      if (table.log().create(now.getVersion() + 1, commit.bytes())) {
        return;
      }
    }
    throw new DeltaMerge.TargetMoved(-1);
  }

  /** A row as the API reads it: a JSON object, columns in the schema's order. */
  static String rowJson(Map<String, Object> row) {
    return row == null ? null : spaced(DeltaMerge.json(row));
  }

  /** JSON as PostgreSQL prints jsonb (a space after each {@code :} and {@code ,}), as rows of its tables read. */
  static String spaced(JsonNode node) {
    if (node.isObject()) {
      StringBuilder b = new StringBuilder("{");
      var fields = node.fields();
      while (fields.hasNext()) {
        var f = fields.next();
        b.append(JSON.getNodeFactory().textNode(f.getKey())).append(": ").append(spaced(f.getValue()));
        if (fields.hasNext()) {
          b.append(", ");
        }
      }
      return b.append('}').toString();
    }
    if (node.isArray()) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < node.size(); i++) {
        b.append(i == 0 ? "" : ", ").append(spaced(node.get(i)));
      }
      return b.append(']').toString();
    }
    return node.toString();
  }

  /** A key as a JSON array of its values (a change's key). */
  static String keyArray(List<Object> key) {
    ArrayNode array = JSON.createArrayNode();
    key.forEach(v -> array.add(JSON.valueToTree(v)));
    return array.toString();
  }

  /** A key as a JSON object of its columns (a page's cursor). */
  static String keyObject(List<String> columns, List<Object> key) {
    ObjectNode object = JSON.createObjectNode();
    for (int i = 0; i < columns.size(); i++) {
      object.set(columns.get(i), JSON.valueToTree(key.get(i)));
    }
    return object.toString();
  }

  /** The key values of a JSON object of the key's columns, in the table's types. */
  static List<Object> keyOf(String json, List<String> columns, StructType schema) {
    try {
      JsonNode node = JSON.readTree(json);
      List<Object> key = new ArrayList<>();
      for (String column : columns) {
        JsonNode v = node.get(column);
        key.add(v == null || v.isNull() ? null : RowValues.fromJson(v, schema.get(column).getDataType()));
      }
      return key;
    } catch (IOException e) {
      throw new IllegalArgumentException("not a key: " + json, e);
    }
  }

  /** A value given as text (a filter's) in the column's type. */
  static Object valueOf(String text, StructField field) {
    JsonNode node;
    if (field.getDataType() instanceof io.delta.kernel.types.StringType) {
      node = JSON.getNodeFactory().textNode(text);
    } else {
      try {
        node = JSON.readTree(text);
      } catch (IOException e) {
        node = JSON.getNodeFactory().textNode(text);
      }
    }
    return RowValues.fromJson(node, field.getDataType());
  }

  /** The 60-bit hash of a row (its JSON form), as PostgreSQL tables' content figures sum them. */
  static BigInteger rowHash(Map<String, Object> row) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(rowJson(row).getBytes(StandardCharsets.UTF_8));
      long h = 0;
      for (int i = 0; i < 8; i++) {
        h = (h << 8) | (digest[i] & 0xff);
      }
      return BigInteger.valueOf(h >>> 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
