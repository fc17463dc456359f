package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.delta.kernel.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The files of the tables this process moves and merges into, without statistics, as their logs name them, kept
 * current by replaying the commits made since (docs/delta.md, §4): a move or a merge names the files it removes
 * without listing the table each time, at a cost that follows the commits, not the table's size.
 *
 * <p>A listing is taken from Kernel once; at a later version the commits after it are read ({@code add} and
 * {@code remove} actions, matched by path and deletion vector as the protocol reconciles them). It is listed again
 * when the table was made anew at its root (another {@code metaData.id}), when more than {@value #MAX_REPLAY} commits
 * are to be read, when a commit cannot be read, and for a version older than the one held. At most {@value #MAX_FILES}
 * files are held across tables, the least recently used table's dropped first. One process's listings: another
 * server's writes are commits like any other engine's.
 */
final class DeltaListings {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_REPLAY = 200;
  /** Files held across tables: about 400 bytes each without a deletion vector, so some 100 MB at most. */
  static final long MAX_FILES = 250_000;
  private static final LinkedHashMap<String, Listing> HELD = new LinkedHashMap<>(16, 0.75f, true);
  private static long held;

  private DeltaListings() {}

  /**
   * A table's files at a version: by identity (path and vector; a file without a vector is its absolute path), and
   * the identity live at each absolute path whose file has a vector.
   */
  static final class Listing {
    private final String tableId;
    private long version;
    private final Map<String, DeltaFile> byIdentity = new HashMap<>();
    private final Map<String, String> identityByPath = new HashMap<>();
    private final java.net.URI root;

    private Listing(String tableId, long version, java.net.URI root) {
      this.tableId = tableId;
      this.version = version;
      this.root = root;
    }

    /** The file live at {@code absolute} (a file's URI, {@link DeltaFile#absolute}) as the log names it, or null. */
    DeltaFile at(String absolute) {
      DeltaFile plain = byIdentity.get(absolute);
      if (plain != null) {
        return plain;
      }
      String identity = identityByPath.get(absolute);
      return identity == null ? null : byIdentity.get(identity);
    }

    int size() {
      return byIdentity.size();
    }

    java.util.Collection<DeltaFile> files() {
      return java.util.Collections.unmodifiableCollection(byIdentity.values());
    }

    private void add(DeltaFile file) {
      String identity = file.identity(root);
      byIdentity.put(identity, file);
      if (file.deletionVector() != null) {
        identityByPath.put(file.absolute(root), identity);
      }
    }

    private void remove(DeltaFile file) {
      String identity = file.identity(root);
      if (byIdentity.remove(identity) != null && file.deletionVector() != null) {
        identityByPath.remove(file.absolute(root), identity);
      }
    }
  }

  /**
   * What {@code use} makes of {@code table}'s files at {@code snapshot} (without statistics), run while no other
   * caller changes them: it should look files up, not read data.
   */
  static <R> R at(DeltaTable table, Snapshot snapshot, Function<Listing, R> use) {
    String key = DeltaFile.uri(table.root().toString());
    String tableId = snapshot.getMetadata().getId();
    long version = snapshot.getVersion();
    Listing listing;
    synchronized (HELD) {
      listing = HELD.get(key);
    }
    if (listing != null) {
      synchronized (listing) {
        if (listing.tableId.equals(tableId) && listing.version <= version
            && version - listing.version <= MAX_REPLAY && replayed(table, listing, version)) {
          return use.apply(listing);
        }
      }
    }
    Listing fresh = listed(table, snapshot, tableId);
    synchronized (fresh) {
      if (listing == null || listing.version <= version) {
        hold(key, fresh, listing);
      }
      return use.apply(fresh);
    }
  }

  private static Listing listed(DeltaTable table, Snapshot snapshot, String tableId) {
    Listing listing = new Listing(tableId, snapshot.getVersion(), table.root());
    table.files(snapshot, false).forEach(listing::add);
    return listing;
  }

  private static void hold(String key, Listing fresh, Listing replaced) {
    synchronized (HELD) {
      Listing before = HELD.get(key);
      if (before != null && before != replaced) {
        return; // another caller's listing came in meanwhile: it stays
      }
      if (before != null) {
        held -= before.size();
      }
      HELD.put(key, fresh);
      held += fresh.size();
      var eldest = HELD.entrySet().iterator();
      while (held > MAX_FILES && eldest.hasNext()) {
        var e = eldest.next();
        if (e.getValue() != fresh) {
          held -= e.getValue().size();
          eldest.remove();
        }
      }
    }
  }

  /** Brings {@code listing} to {@code version} from the commits after it; false when one cannot be read. */
  private static boolean replayed(DeltaTable table, Listing listing, long version) {
    if (listing.version == version) {
      return true;
    }
    int before = listing.size();
    try {
      for (long v = listing.version + 1; v <= version; v++) {
        for (String line : new String(table.log().read(v), StandardCharsets.UTF_8).split("\n")) {
          if (line.isBlank()) {
            continue;
          }
          JsonNode action = JSON.readTree(line);
          if (action.has("add")) {
            listing.add(withoutStats(ChangedFiles.file(action.get("add"), true)));
          } else if (action.has("remove")) {
            listing.remove(ChangedFiles.file(action.get("remove"), false));
          }
        }
        listing.version = v;
      }
    } catch (IOException | RuntimeException unreadable) {
      synchronized (HELD) {
        if (HELD.remove(DeltaFile.uri(table.root().toString()), listing)) { // half replayed: listed again
          held -= before;
        }
      }
      return false;
    }
    synchronized (HELD) {
      held += listing.size() - before;
    }
    return true;
  }

  private static DeltaFile withoutStats(DeltaFile file) {
    return new DeltaFile(file.path(), file.size(), file.modificationTime(), file.partitionValues(), null,
        file.deletionVector());
  }

  /** Forgets every listing (tests). */
  static void clear() {
    synchronized (HELD) {
      HELD.clear();
      held = 0;
    }
  }
}
