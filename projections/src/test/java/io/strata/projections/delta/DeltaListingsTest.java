package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A table's listing kept current from its commits reads as Kernel lists the table, after any sequence of adds,
 * removes and deletion vectors changed, relative and absolute paths; a table made anew at its root, a long way behind
 * and an older version are listed afresh.
 */
class DeltaListingsTest {
  private final Engine engine = DeltaTable.defaultEngine();

  @BeforeEach
  void forget() {
    DeltaListings.clear();
  }

  private static DeltaCommit creation(String id) {
    return DeltaCommit.of("t", "CREATE TABLE", 1L).protocol(3, 7, Set.of("deletionVectors"),
        Set.of("deletionVectors")).metadata(id, KernelTables.SCHEMA.toJson(), List.of(),
            Map.of("delta.enableDeletionVectors", "true"), 1L);
  }

  /** Kernel's listing: identity → file as the log names it. */
  private static Map<String, DeltaFile> kernel(DeltaTable table) {
    Map<String, DeltaFile> out = new TreeMap<>();
    table.files(table.latest(), false).forEach(f -> out.put(f.identity(table.root()), f));
    return out;
  }

  /** The listing held: identity → file, and every Kernel-listed file looked up by its absolute path. */
  private static Map<String, DeltaFile> held(DeltaTable table, Map<String, DeltaFile> expected) {
    return DeltaListings.at(table, table.latest(), listing -> {
      for (DeltaFile f : expected.values()) {
        DeltaFile found = listing.at(f.absolute(table.root()));
        assertThat(found).as("looked up by path: " + f.path()).isNotNull();
        assertThat(found.identity(table.root())).isEqualTo(f.identity(table.root()));
      }
      Map<String, DeltaFile> out = new TreeMap<>();
      listing.files().forEach(f -> out.put(f.identity(table.root()), f));
      return out;
    });
  }

  /** A table at {@code dir}/t holding a.parquet, its listing held. */
  private DeltaTable oneFileTable(Path dir) throws Exception {
    DeltaTable table = DeltaTable.local(dir.resolve("t"), engine);
    table.log().create(0, creation("t-1").bytes());
    table.log().create(1, DeltaCommit.of("t", "WRITE", 1L).add(file("a.parquet", null)).bytes());
    assertThat(held(table, kernel(table))).hasSize(1);
    return table;
  }

  private static DeltaFile file(String path, DeletionVector dv) {
    return new DeltaFile(path, 100, 1L, Map.of(), "{\"numRecords\":1}", dv);
  }

  @Test
  void aListingKeptFromTheCommitsReadsAsKernelListsTheTable() throws Exception {
    Path dir = Files.createTempDirectory("listings");
    DeltaTable table = DeltaTable.local(dir.resolve("t"), engine);
    table.log().create(0, creation("t-1").bytes());
    Random random = new Random(42);
    List<DeltaFile> live = new ArrayList<>();
    long listedBefore = DeltaListings.LISTED.get();
    int n = 0;
    for (long v = 1; v <= 120; v++) {
      DeltaCommit commit = DeltaCommit.of("t", "WRITE", v);
      int adds = random.nextInt(4);
      for (int i = 0; i < adds; i++) {
        // a third named by absolute URI, as a branch's log names its base's files
        String path = random.nextInt(3) == 0 ? dir.resolve("elsewhere/part-" + n++ + ".parquet").toUri().toString()
            : "part-" + n++ + ".parquet";
        DeltaFile f = file(path, null);
        commit.add(f);
        live.add(f);
      }
      for (int i = 0; i < random.nextInt(3) && !live.isEmpty(); i++) {
        DeltaFile gone = live.remove(random.nextInt(live.size()));
        if (random.nextBoolean()) {
          commit.remove(gone, v);
        } else {
          // its deletion vector changed: removed with the old one, added with the new, in either order
          DeltaFile updated = file(gone.path(), new DeletionVector("p",
              dir.resolve("dv-" + v + "-" + i + ".bin").toUri().toString(), 1, 10, 1));
          if (random.nextBoolean()) {
            commit.remove(gone, v).add(updated);
          } else {
            commit.add(updated).remove(gone, v);
          }
          live.add(updated);
        }
      }
      table.log().create(v, commit.bytes());
      if (random.nextInt(4) == 0 || v == 120) {
        Map<String, DeltaFile> expected = kernel(table);
        assertThat(expected).hasSize(live.size());
        assertThat(held(table, expected).keySet()).as("version " + v).isEqualTo(expected.keySet());
      }
    }
    assertThat(DeltaListings.LISTED.get() - listedBefore).as("listed once, replayed since").isEqualTo(1);
    assertThat(DeltaListings.held()).isEqualTo(DeltaListings.heldSizes()).isEqualTo(live.size());
  }

  /**
   * The key ranges kept with a listing pick, for any keys, the files Kernel's listing with statistics picks: files
   * added with ranges, without statistics (always picked), removed, and re-added with another deletion vector; the
   * table listed once for them. A listing held without ranges (a move's) is listed once more for them, and serves
   * moves after.
   */
  @Test
  void keyRangesKeptFromTheCommitsPickTheFilesKernelsStatisticsPick() throws Exception {
    Path dir = Files.createTempDirectory("listings");
    DeltaTable table = DeltaTable.local(dir.resolve("t"), engine);
    table.log().create(0, creation("t-1").bytes());
    table.log().create(1, DeltaCommit.of("t", "WRITE", 1L).add(ranged("a.parquet", 0, 9, null)).bytes());
    assertThat(held(table, kernel(table))).hasSize(1); // held without ranges, as a move holds it
    long listedBefore = DeltaListings.LISTED.get();
    Random random = new Random(7);
    List<DeltaFile> live = new ArrayList<>(List.of(ranged("a.parquet", 0, 9, null)));
    for (long v = 2; v <= 80; v++) {
      DeltaCommit commit = DeltaCommit.of("t", "WRITE", v);
      for (int i = 0; i < random.nextInt(4); i++) {
        long lo = random.nextInt(1000);
        DeltaFile f = random.nextInt(5) == 0 ? file("nostats-" + v + "-" + i + ".parquet", null)
            : ranged("part-" + v + "-" + i + ".parquet", lo, lo + random.nextInt(50), null);
        commit.add(f);
        live.add(f);
      }
      if (!live.isEmpty() && random.nextBoolean()) {
        DeltaFile gone = live.remove(random.nextInt(live.size()));
        commit.remove(gone, v);
        if (random.nextBoolean()) { // its deletion vector changed: the same range
          DeltaFile updated = new DeltaFile(gone.path(), gone.size(), 1L, Map.of(), gone.stats(),
              new DeletionVector("p", dir.resolve("dv-" + v + ".bin").toUri().toString(), 1, 10, 1));
          commit.add(updated);
          live.add(updated);
        }
      }
      table.log().create(v, commit.bytes());
      if (v % 10 == 0) {
        var latest = table.latest();
        for (int probe = 0; probe < 5; probe++) {
          List<List<Object>> keys = new ArrayList<>();
          for (int k = 0; k < 1 + random.nextInt(3); k++) {
            keys.add(List.of((Object) (long) random.nextInt(1100)));
          }
          Set<String> expected = new java.util.TreeSet<>();
          table.files(latest, true).stream().filter(f -> KeyRanges.mayHold(f, KernelTables.KEY, keys))
              .forEach(f -> expected.add(f.identity(table.root())));
          Set<String> picked = new java.util.TreeSet<>();
          DeltaListings.mayHold(table, latest, KernelTables.KEY, keys).forEach(f -> {
            assertThat(f.stats()).as("kept without statistics").isNull();
            picked.add(f.identity(table.root()));
          });
          assertThat(picked).as("version " + v + ", keys " + keys).isEqualTo(expected);
        }
      }
    }
    assertThat(DeltaListings.LISTED.get() - listedBefore).as("listed once more, for the ranges").isEqualTo(1);
    assertThat(held(table, kernel(table))).hasSize(live.size()); // and it serves a move
    assertThat(DeltaListings.LISTED.get() - listedBefore).isEqualTo(1);
  }

  private static DeltaFile ranged(String path, long min, long max, DeletionVector dv) {
    return new DeltaFile(path, 100, 1L, Map.of(), "{\"numRecords\":5,\"minValues\":{\"id\":" + min
        + "},\"maxValues\":{\"id\":" + max + "}}", dv);
  }

  @Test
  void aFileAddedAndRemovedInOneCommitIsGoneAsKernelReadsIt() throws Exception {
    Path dir = Files.createTempDirectory("listings");
    DeltaTable table = oneFileTable(dir);
    table.log().create(2, DeltaCommit.of("t", "WRITE", 2L).add(file("b.parquet", null))
        .remove(file("b.parquet", null), 2L).remove(file("a.parquet", null), 2L).add(file("a.parquet", null))
        .bytes());
    Map<String, DeltaFile> expected = kernel(table);
    assertThat(held(table, expected).keySet()).isEqualTo(expected.keySet()).isEmpty();
  }

  @Test
  void callersAtOnceWhileTheTableIsWrittenEachGetTheirVersionsFiles() throws Exception {
    Path dir = Files.createTempDirectory("listings");
    DeltaTable table = DeltaTable.local(dir.resolve("t"), engine);
    table.log().create(0, creation("t-1").bytes());
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
      var writer = threads.submit(() -> {
        for (long v = 1; v <= 60; v++) {
          DeltaCommit commit = DeltaCommit.of("t", "WRITE", v).add(file("f-" + v + ".parquet", null));
          if (v % 3 == 0) {
            commit.remove(file("f-" + (v - 1) + ".parquet", null), v);
          }
          table.log().create(v, commit.bytes());
        }
        writing.set(false);
        return null;
      });
      List<java.util.concurrent.Future<Integer>> readers = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        readers.add(threads.submit(() -> {
          int checked = 0;
          while (writing.get() || checked < 5) {
            var snapshot = table.latest();
            Set<String> kernel = new TreeSet<>();
            table.files(snapshot, false).forEach(f -> kernel.add(f.identity(table.root())));
            Set<String> listed = DeltaListings.at(table, snapshot, l -> {
              Set<String> out = new TreeSet<>();
              l.files().forEach(f -> out.add(f.identity(table.root())));
              return out;
            });
            assertThat(listed).as("version " + snapshot.getVersion()).isEqualTo(kernel);
            checked++;
          }
          return checked;
        }));
      }
      writer.get();
      for (var r : readers) {
        assertThat(r.get()).isPositive();
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(DeltaListings.held()).isEqualTo(DeltaListings.heldSizes());
  }

  @Test
  void aTableMadeAnewALongWayBehindOrAnOlderVersionIsListedAfresh() throws Exception {
    Path dir = Files.createTempDirectory("listings");
    DeltaTable table = oneFileTable(dir);

    // older than the listing held: that version's files
    table.log().create(2, DeltaCommit.of("t", "WRITE", 2L).add(file("b.parquet", null)).bytes());
    assertThat(held(table, kernel(table))).hasSize(2);
    assertThat(DeltaListings.at(table, table.at(1), DeltaListings.Listing::size)).isEqualTo(1);
    assertThat(held(table, kernel(table))).hasSize(2);

    // more commits behind than are replayed: listed again, the same files
    for (long v = 3; v <= 3 + DeltaListings.MAX_REPLAY; v++) {
      table.log().create(v, DeltaCommit.of("t", "WRITE", v).add(file("f-" + v + ".parquet", null)).bytes());
    }
    Map<String, DeltaFile> expected = kernel(table);
    long listed = DeltaListings.LISTED.get();
    assertThat(held(table, expected).keySet()).isEqualTo(expected.keySet());
    assertThat(DeltaListings.LISTED.get()).isEqualTo(listed + 1);

    // the table deleted and made again at its root by another engine: another metaData id, its own files
    try (var paths = Files.walk(dir.resolve("t"))) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    DeltaTable again = DeltaTable.local(dir.resolve("t"), engine);
    again.log().create(0, creation("t-2").bytes());
    for (long v = 1; v <= 205; v++) {
      again.log().create(v, DeltaCommit.of("t", "WRITE", v).bytes());
    }
    again.log().create(206, DeltaCommit.of("t", "WRITE", 206L).add(file("z.parquet", null)).bytes());
    assertThat(held(again, kernel(again)).keySet()).isEqualTo(new TreeSet<>(kernel(again).keySet())).hasSize(1);
  }
}
