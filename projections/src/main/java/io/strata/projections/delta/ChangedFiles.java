package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The files two states of a table differ in, from the {@code add} and {@code remove} actions of the commits that lead
 * from their common point to each (docs/delta.md, §4) — a branch's since it was cloned, the table's since the branch
 * point — not from listing both states' files: the cost is the commits', whatever the table's size. A branch is
 * traced to its base through its first version ({@link ShallowClone} records the base and version it was cloned
 * from). Where the commits cannot say, {@link #between} answers empty and the caller lists both states: no common
 * point (a branch cloned before clones recorded theirs), too many commits to read, a commit file gone (Delta's log
 * retention), or a file re-added without a data change (present before or not: only a listing knows).
 *
 * <p>Two assumptions, both the protocol's practice though not its letter: a file's first action that adds it with a
 * data change means the common point did not hold it (re-adding a file a version holds is done without one, as for
 * new statistics); and a log is never replaced at its root (a table deleted and made again at the same path would
 * make a clone's recorded source version name another history).
 */
final class ChangedFiles {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Beyond this many commits to read, listing the two states is the cheaper way. */
  static final int MAX_COMMITS = 500;
  /** How much of a clone's first version is read for its first line, its commitInfo. */
  private static final int FIRST_LINE = 64 * 1024;
  /** How many clones deep a state is traced back (a branch of a branch of a branch…). */
  private static final int MAX_DEPTH = 8;

  private ChangedFiles() {
  }

  /**
   * A data file as a log names it ({@code path} relative to {@code root}, that log's table, or absolute), from an
   * {@code add} (its statistics and modification time with it) or a {@code remove}.
   */
  record Logged(DeltaFile file, URI root, boolean fromAdd) {
    /** The file named by absolute URIs, as any table's log may name it. */
    DeltaFile absolute() {
      return file.absoluteIn(root);
    }
  }

  /** One file's actions on one side, in commit order: the first and the last. */
  private static final class Actions {
    boolean firstIsAdd;
    boolean firstAddKeepsData; // the first action re-adds a file without a data change
    Logged firstRemove;
    boolean lastIsAdd;
    Logged lastAdd;
  }

  /** A root at a version: a link of a state's chain of clones. */
  private record Link(DeltaTable table, long version) {}

  /**
   * The files {@code from} at {@code fromVersion} and {@code to} at {@code toVersion} differ in, by absolute URI; empty
   * when their commits cannot say ({@code tables}: the table at a root a clone names, or null when unknown).
   */
  static Optional<RowChanges.FileChanges> between(DeltaTable from, long fromVersion, DeltaTable to, long toVersion,
      Function<String, DeltaTable> tables) {
    try {
      List<Link> fromChain = chain(from, fromVersion, tables);
      List<Link> toChain = chain(to, toVersion, tables);
      for (int i = 0; i < fromChain.size(); i++) {
        for (int j = 0; j < toChain.size(); j++) {
          if (sameRoot(fromChain.get(i).table(), toChain.get(j).table())) {
            return between(fromChain, i, toChain, j);
          }
        }
      }
      return Optional.empty();
    } catch (IOException | RuntimeException unreadable) {
      return Optional.empty(); // a commit file gone or unreadable: the listing knows
    }
  }

  private static Optional<RowChanges.FileChanges> between(List<Link> fromChain, int i, List<Link> toChain, int j)
      throws IOException {
    Link fromCommon = fromChain.get(i);
    long common = Math.min(fromCommon.version(), toChain.get(j).version());
    Map<String, Actions> fromSide = new HashMap<>();
    Map<String, Actions> toSide = new HashMap<>();
    int commits = commits(fromChain, i, common) + commits(toChain, j, common);
    if (commits > MAX_COMMITS) {
      return Optional.empty();
    }
    replay(fromChain, i, common, fromSide);
    replay(toChain, j, common, toSide);
    Map<String, Logged> removed = new LinkedHashMap<>();
    Map<String, Logged> added = new LinkedHashMap<>();
    java.util.Set<String> identities = new java.util.HashSet<>(fromSide.keySet());
    identities.addAll(toSide.keySet());
    for (String identity : identities) {
      Actions a = fromSide.get(identity);
      Actions b = toSide.get(identity);
      boolean removedFirst = (a != null && !a.firstIsAdd) || (b != null && !b.firstIsAdd);
      if (!removedFirst && ((a != null && a.firstAddKeepsData) || (b != null && b.firstAddKeepsData))) {
        return Optional.empty(); // a re-add: whether the common point held it, only a listing says
      }
      boolean atCommon = removedFirst;
      boolean inFrom = a == null ? atCommon : a.lastIsAdd;
      boolean inTo = b == null ? atCommon : b.lastIsAdd;
      if (inFrom == inTo) {
        continue;
      }
      // the side that holds it added it last, or held it at the common point: then the other side's first action
      // removed it, and names it
      Logged held = inFrom ? (a != null ? a.lastAdd : b.firstRemove) : (b != null ? b.lastAdd : a.firstRemove);
      if (held == null || held.file().size() < 0) {
        return Optional.empty(); // a remove without the file's size and partition values: not enough to read it
      }
      (inFrom ? removed : added).put(held.file().absolute(held.root()), held);
    }
    return Optional.of(new RowChanges.FileChanges(removed, added));
  }

  /** How many commits the side's chain holds above the common point. */
  private static int commits(List<Link> chain, int commonAt, long common) {
    long n = chain.get(commonAt).version() - common;
    for (int k = 0; k < commonAt; k++) {
      n += chain.get(k).version(); // a clone's commits after its first version
    }
    return (int) Math.min(Integer.MAX_VALUE, n);
  }

  /** Replays the side's commits above the common point, oldest first: the common root's, then each clone's. */
  private static void replay(List<Link> chain, int commonAt, long common, Map<String, Actions> into)
      throws IOException {
    replay(chain.get(commonAt).table(), common + 1, chain.get(commonAt).version(), into);
    for (int k = commonAt - 1; k >= 0; k--) {
      replay(chain.get(k).table(), 1, chain.get(k).version(), into);
    }
  }

  private static void replay(DeltaTable table, long first, long last, Map<String, Actions> into)
      throws IOException {
    for (long version = first; version <= last; version++) {
      for (String line : new String(table.log().read(version), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode action = JSON.readTree(line);
        JsonNode add = action.get("add");
        JsonNode remove = action.get("remove");
        if (add == null && remove == null) {
          continue;
        }
        Logged file = new Logged(file(add != null ? add : remove, add != null), table.root(), add != null);
        Actions actions = into.get(file.file().identity(table.root()));
        if (actions == null) {
          actions = new Actions();
          actions.firstIsAdd = add != null;
          actions.firstAddKeepsData = add != null && !add.path("dataChange").asBoolean(true);
          actions.firstRemove = add == null ? file : null;
          into.put(file.file().identity(table.root()), actions);
        }
        actions.lastIsAdd = add != null;
        actions.lastAdd = add != null ? file : null;
      }
    }
  }

  /** An action's file; a remove without its size (no extended file metadata) has size -1: it cannot be read. */
  static DeltaFile file(JsonNode action, boolean add) {
    Map<String, String> values = new LinkedHashMap<>();
    action.path("partitionValues").fields()
        .forEachRemaining(e -> values.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
    JsonNode dv = action.get("deletionVector");
    boolean readable = add || action.path("extendedFileMetadata").asBoolean(false);
    return new DeltaFile(action.get("path").asText(), readable ? action.path("size").asLong(-1) : -1,
        action.path("modificationTime").asLong(0), values,
        action.hasNonNull("stats") ? action.get("stats").asText() : null,
        dv == null || dv.isNull() ? null : new DeletionVector(dv.get("storageType").asText(),
            dv.get("pathOrInlineDv").asText(), dv.hasNonNull("offset") ? dv.get("offset").asInt() : null,
            dv.path("sizeInBytes").asInt(), dv.path("cardinality").asLong()));
  }

  /**
   * The state's chain of clones: the state itself, then the state its root was cloned from, and so on while the first
   * version of a root names the base it was cloned from and that base's table is known.
   */
  private static List<Link> chain(DeltaTable table, long version, Function<String, DeltaTable> tables)
      throws IOException {
    List<Link> chain = new ArrayList<>();
    chain.add(new Link(table, version));
    for (int depth = 0; depth < MAX_DEPTH; depth++) {
      Link last = chain.get(chain.size() - 1);
      Optional<Link> origin = origin(last.table(), tables);
      if (origin.isEmpty()) {
        break;
      }
      chain.add(origin.get());
    }
    return chain;
  }

  /** Where the table was cloned from, as its first version's {@code commitInfo} records it ({@link ShallowClone}). */
  private static Optional<Link> origin(DeltaTable table, Function<String, DeltaTable> tables) throws IOException {
    if (!DeltaStorage.isBranchRoot(table.root().toString())) {
      return Optional.empty(); // a tracked table, not a branch: its log may have dropped its first versions long ago
    }
    // Strata writes commitInfo first: the first line says, without reading the clone's list of files
    byte[] start = table.log().readStart(0, FIRST_LINE);
    int end = 0;
    while (end < start.length && start[end] != '\n') {
      end++;
    }
    if (end == start.length && start.length == FIRST_LINE) {
      return Optional.empty(); // a first line longer than Strata writes: not a clone of Strata's
    }
    JsonNode info = JSON.readTree(new String(start, 0, end, StandardCharsets.UTF_8)).get("commitInfo");
    JsonNode parameters = info == null ? null : info.path("operationParameters");
    if (info == null || !DeltaCommit.ENGINE.equals(info.path("engineInfo").asText(null))
        || !"CLONE".equals(info.path("operation").asText(null))
        || !parameters.hasNonNull(ShallowClone.SOURCE) || !parameters.hasNonNull(ShallowClone.SOURCE_VERSION)) {
      return Optional.empty();
    }
    DeltaTable base = tables.apply(parameters.get(ShallowClone.SOURCE).asText());
    return base == null ? Optional.empty()
        : Optional.of(new Link(base, Long.parseLong(parameters.get(ShallowClone.SOURCE_VERSION).asText())));
  }

  static boolean sameRoot(DeltaTable a, DeltaTable b) {
    return DeltaFile.uri(a.root().toString()).equals(DeltaFile.uri(b.root().toString()));
  }
}
