package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.delta.kernel.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The files of the tables this process moves, merges and writes rows into, as their logs name them, kept current by
 * replaying the commits made since (docs/delta.md, §4): a move or a merge names the files it removes, and a row
 * write or point read finds the files that may hold its keys, without listing the table each time, at a cost that
 * follows the commits, not the table's size. Of the files' statistics only the range of a one-column key is kept,
 * for tables whose keys were looked up ({@link #mayHold}).
 *
 * <p>A listing is taken from Kernel once; at a later version the commits after it are read ({@code add} and
 * {@code remove} actions, matched by path and deletion vector; within a commit a remove wins over an add of the same
 * file, as Kernel's log replay has it). It is listed again when the table was made anew at its root (another
 * {@code metaData.id}), when more than {@value #MAX_REPLAY} commits are to be read, when a commit cannot be read, and
 * for a version older than the one held. At most {@value #MAX_FILES} files are held across tables, the least recently
 * used table's dropped first; a larger table is listed each time. One process's listings: another server's writes
 * are commits like any other engine's.
 *
 * <p>Locks: a listing changes and is read under its own monitor; which listings are held, and how many files they
 * count, under {@code HELD}'s, taken after a listing's, never before.
 */
final class DeltaListings {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_REPLAY = 200;
  /** Files held across tables, a few hundred bytes each (their paths, twice with a deletion vector). */
  static final long MAX_FILES = 250_000;
  private static final LinkedHashMap<String, Listing> HELD = new LinkedHashMap<>(16, 0.75f, true);
  private static long held;
  /** Listings taken from Kernel (tests tell a replay from a listing by it). */
  static final AtomicLong LISTED = new AtomicLong();

  private DeltaListings() {}

  /**
   * A table's files at a version: by identity (path and vector; a file without a vector is its absolute path), and
   * the identity live at each absolute path whose file has a vector.
   */
  static final class Listing {
    private final String tableId;
    private final java.net.URI root;
    private long version;
    private boolean broken; // a replay failed part-way: never used again
    private long accounted; // its size as counted in held: under HELD's lock
    private final Map<String, DeltaFile> byIdentity = new HashMap<>();
    private final Map<String, String> identityByPath = new HashMap<>();
    /** The key column (its statistics' name) whose ranges it keeps; null: none. */
    private final String statsColumn;
    /** Each file's range of {@link #statsColumn} ({@link KeyRanges#range}), by identity; none: unknown. */
    private final Map<String, JsonNode[]> ranges = new HashMap<>();

    private Listing(String tableId, long version, java.net.URI root, String statsColumn) {
      this.tableId = tableId;
      this.version = version;
      this.root = root;
      this.statsColumn = statsColumn;
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

    /** The files whose key range {@code inRange} accepts (a file of unknown range: always). */
    List<DeltaFile> holding(Predicate<JsonNode[]> inRange) {
      List<DeltaFile> files = new ArrayList<>();
      byIdentity.forEach((identity, file) -> {
        if (inRange.test(ranges.get(identity))) {
          files.add(file);
        }
      });
      return files;
    }

    private void add(DeltaFile file) {
      String identity = file.identity(root);
      JsonNode[] range = statsColumn == null ? null : KeyRanges.range(file.stats(), statsColumn);
      if (range != null) {
        ranges.put(identity, range);
      } else {
        ranges.remove(identity);
      }
      // the statistics themselves are not kept (a few hundred bytes a file): a remove does not name them
      byIdentity.put(identity, file.stats() == null ? file : new DeltaFile(file.path(), file.size(),
          file.modificationTime(), file.partitionValues(), null, file.deletionVector()));
      if (file.deletionVector() != null) {
        identityByPath.put(file.absolute(root), identity);
      }
    }

    private void remove(DeltaFile file) {
      String identity = file.identity(root);
      ranges.remove(identity);
      if (byIdentity.remove(identity) != null && file.deletionVector() != null) {
        identityByPath.remove(file.absolute(root), identity);
      }
    }
  }

  /**
   * What {@code use} makes of {@code table}'s files at {@code snapshot} (without statistics). It runs while no other
   * caller changes them, so it should look files up, not read data.
   */
  static <R> R at(DeltaTable table, Snapshot snapshot, Function<Listing, R> use) {
    return at(table, snapshot, null, use);
  }

  /**
   * The files of {@code table} at {@code snapshot} that may hold one of {@code keys} by the ranges of {@code key}'s
   * column in their statistics (every file for a key of several columns; a file without statistics always), as the
   * log names them, without statistics. From the kept listing, which keeps the key column's ranges: a REST write or
   * point read on a branch of many files looks them up in memory rather than listing them with their statistics.
   */
  static List<DeltaFile> mayHold(DeltaTable table, Snapshot snapshot, List<String> key,
      java.util.Collection<List<Object>> keys) {
    List<String> names = KeyRanges.statsNames(snapshot, key);
    if (names.size() != 1) {
      return at(table, snapshot, null, listing -> List.copyOf(listing.files()));
    }
    Predicate<JsonNode[]> inRange = KeyRanges.inRange(keys); // the keys sorted before the listing is locked
    return at(table, snapshot, names.get(0), listing -> listing.holding(inRange));
  }

  /** {@link #at}, the listing keeping the ranges of {@code statsColumn} (null: none needed). */
  private static <R> R at(DeltaTable table, Snapshot snapshot, String statsColumn, Function<Listing, R> use) {
    String key = DeltaFile.uri(table.root().toString());
    String tableId = snapshot.getMetadata().getId();
    long version = snapshot.getVersion();
    Listing listing;
    synchronized (HELD) {
      listing = HELD.get(key);
    }
    if (listing != null) {
      synchronized (listing) {
        if (!listing.broken && listing.tableId.equals(tableId) && listing.version <= version
            && version - listing.version <= MAX_REPLAY
            && (statsColumn == null || statsColumn.equals(listing.statsColumn))) {
          if (replayed(table, listing, version)) {
            R answer = use.apply(listing);
            account(key, listing);
            return answer;
          }
          listing.broken = true;
          drop(key, listing);
        }
      }
    }
    // a table whose writes asked for key ranges keeps them when listed again for a move
    String ranged = statsColumn != null || listing == null || !listing.tableId.equals(tableId) ? statsColumn
        : listing.statsColumn;
    Listing fresh = new Listing(tableId, version, table.root(), ranged);
    table.files(snapshot, ranged != null).forEach(fresh::add);
    LISTED.incrementAndGet();
    R answer = use.apply(fresh); // before it is held: nobody else sees it yet
    if (listing == null || listing.broken || !listing.tableId.equals(tableId) || listing.version <= version) {
      hold(key, fresh);
    }
    return answer;
  }

  /** Brings {@code listing} to {@code version} from the commits after it; false when one cannot be read. */
  private static boolean replayed(DeltaTable table, Listing listing, long version) {
    try {
      for (long v = listing.version + 1; v <= version; v++) {
        List<DeltaFile> adds = new ArrayList<>();
        List<DeltaFile> removes = new ArrayList<>();
        for (String line : new String(table.log().read(v), StandardCharsets.UTF_8).split("\n")) {
          if (line.isBlank()) {
            continue;
          }
          JsonNode action = JSON.readTree(line);
          if (action.has("add")) {
            adds.add(ChangedFiles.file(action.get("add"), true)); // its statistics: its key range, if kept
          } else if (action.has("remove")) {
            removes.add(ChangedFiles.file(action.get("remove"), false));
          }
        }
        adds.forEach(listing::add);
        removes.forEach(listing::remove); // a remove wins over an add of the same file in one commit
        listing.version = v;
      }
      return true;
    } catch (IOException | RuntimeException unreadable) {
      return false;
    }
  }

  private static void hold(String key, Listing fresh) {
    if (fresh.size() > MAX_FILES) {
      return; // more than all the tables' share: listed each time
    }
    synchronized (HELD) {
      Listing before = HELD.put(key, fresh);
      if (before != null) {
        held -= before.accounted;
      }
      fresh.accounted = fresh.size();
      held += fresh.accounted;
      trim(fresh);
    }
  }

  /** Counts what a replay changed of {@code listing} (under its monitor), dropping it when it grew too large. */
  private static void account(String key, Listing listing) {
    synchronized (HELD) {
      if (HELD.get(key) != listing) {
        return; // dropped or replaced meanwhile: no longer counted
      }
      held += listing.size() - listing.accounted;
      listing.accounted = listing.size();
      if (listing.size() > MAX_FILES) {
        drop(key, listing);
      }
      trim(listing);
    }
  }

  private static void drop(String key, Listing listing) {
    synchronized (HELD) {
      if (HELD.remove(key, listing)) {
        held -= listing.accounted;
      }
    }
  }

  /** Drops the least recently used listings but {@code keep} while more than {@link #MAX_FILES} files are held. */
  private static void trim(Listing keep) {
    var eldest = HELD.values().iterator();
    while (held > MAX_FILES && eldest.hasNext()) {
      Listing e = eldest.next();
      if (e != keep) {
        held -= e.accounted;
        eldest.remove();
      }
    }
  }

  /** How many files the listings held count (tests: the sum of their sizes when no caller is at work). */
  static long held() {
    synchronized (HELD) {
      return held;
    }
  }

  /** The sizes of the listings held (tests). */
  static long heldSizes() {
    synchronized (HELD) {
      return HELD.values().stream().mapToLong(Listing::size).sum();
    }
  }

  /** Forgets every listing (tests). */
  static void clear() {
    synchronized (HELD) {
      HELD.clear();
      held = 0;
    }
  }
}
