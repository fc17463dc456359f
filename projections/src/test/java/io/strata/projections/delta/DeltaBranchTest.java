package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The building blocks of Delta branches (docs/delta.md) on tables Kernel's own write path made: a shallow clone is
 * an independent table holding the base's rows without a data file of its own; a copy-on-write commit Strata
 * writes from the protocol is read back by Kernel; the row changes between versions come from the changed files
 * alone; of writers racing for a version exactly one wins.
 */
class DeltaBranchTest {
  private static final StructType SCHEMA = KernelTables.SCHEMA;
  private static final List<String> KEY = KernelTables.KEY;
  private static ExecutorService threads;

  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();

  @BeforeAll
  static void start() {
    threads = Executors.newFixedThreadPool(8);
  }

  @AfterAll
  static void stop() {
    threads.shutdownNow();
  }

  @Test
  void aShallowCloneReadsAsItsBaseAndGoesItsOwnWay() throws Exception {
    Path baseRoot = dir.resolve("orders");
    KernelTables.create(engine, baseRoot, SCHEMA);
    long version = KernelTables.append(engine, baseRoot,
        List.of(KernelTables.rows(1, 100), KernelTables.rows(101, 200), KernelTables.rows(201, 300)));
    DeltaTable base = DeltaTable.local(baseRoot, engine);
    Path branchRoot = baseRoot.resolve("_strata/branches/dev");
    DeltaTable branch = DeltaTable.local(branchRoot, engine);

    assertThat(ShallowClone.create(base, version, branch, "tx-1", 1_000L)).isTrue();
    assertThat(ShallowClone.create(base, version, branch, "tx-2", 2_000L)).as("a second attempt").isFalse();

    // the same rows, and not one data file of its own: every file is the base's, by absolute URI
    assertThat(branch.rows(branch.latest(), KEY)).isEqualTo(base.rows(base.at(version), KEY)).hasSize(300);
    try (Stream<Path> files = Files.walk(branchRoot)) {
      assertThat(files.filter(f -> f.toString().endsWith(".parquet"))).isEmpty();
    }
    List<DeltaFile> cloned = branch.files(branch.latest());
    assertThat(cloned).hasSize(3).allSatisfy(f -> {
      assertThat(f.path()).startsWith("file:").contains("/orders/");
      assertThat(f.stats()).contains("numRecords");
    });
    String commit = new String(branch.log().read(0), StandardCharsets.UTF_8);
    assertThat(commit).contains("\"txnId\":\"tx-1\"").contains("\"engineInfo\":\"Strata\"");

    // the base moves on; the branch does not see it
    KernelTables.append(engine, baseRoot, List.of(KernelTables.rows(301, 310)));
    assertThat(base.rows(base.latest(), KEY)).hasSize(310);
    assertThat(branch.rows(branch.latest(), KEY)).hasSize(300);
  }

  @Test
  void aCopyOnWriteCommitIsReadBackAndItsRowChangesComeFromTheChangedFilesAlone() throws Exception {
    Path baseRoot = dir.resolve("orders");
    KernelTables.create(engine, baseRoot, SCHEMA);
    long version = KernelTables.append(engine, baseRoot,
        List.of(KernelTables.rows(1, 100), KernelTables.rows(101, 200), KernelTables.rows(201, 300)));
    DeltaTable base = DeltaTable.local(baseRoot, engine);
    DeltaTable branch = DeltaTable.local(baseRoot.resolve("_strata/branches/dev"), engine);
    ShallowClone.create(base, version, branch, "tx-1", 1_000L);

    // on the branch: rewrite the file holding ids 101..200 with id 150 renamed and 160 gone, and add id 1000
    var snapshot = branch.latest();
    DeltaFile target = branch.files(snapshot).stream()
        .filter(f -> branch.rows(snapshot, Set.of(f.absolute(branch.root())), KEY).containsKey(List.of(150L)))
        .findFirst().orElseThrow();
    List<Map<String, Object>> rewritten = new ArrayList<>();
    for (Map<String, Object> row : KernelTables.rows(101, 200)) {
      long id = (Long) row.get("id");
      if (id == 150) {
        rewritten.add(KernelTables.row(150, "renamed", 1501));
      } else if (id != 160) {
        rewritten.add(row);
      }
    }
    DeltaFile replacement = DataFiles.write(branch, snapshot, rewritten);
    DeltaFile inserted = DataFiles.write(branch, snapshot, List.of(KernelTables.row(1000, "new", 7)));
    assertThat(replacement.path()).doesNotStartWith("file:").endsWith(".parquet");
    DeltaCommit commit = DeltaCommit.of("tx-2", "WRITE", 2_000L)
        .remove(target, 2_000L).add(replacement).add(inserted);
    assertThat(branch.log().create(1, commit.bytes())).isTrue();

    // Kernel reads the branch's version 1 as written; the base is untouched
    var rows = branch.rows(branch.at(1), KEY);
    assertThat(rows).hasSize(300).doesNotContainKey(List.of(160L));
    assertThat(rows.get(List.of(150L))).containsEntry("name", "renamed").containsEntry("amount", 1501L);
    assertThat(rows.get(List.of(1000L))).containsEntry("name", "new");
    assertThat(base.rows(base.latest(), KEY).get(List.of(150L))).containsEntry("name", "name-150");
    assertThat(Files.exists(Path.of(java.net.URI.create(target.absolute(branch.root()))))).as("the base's file")
        .isTrue();

    // from the base's version to the branch's: one file left, two came; three changes, fields named
    var files = RowChanges.files(base, base.files(base.at(version)), branch, branch.files(branch.at(1)));
    assertThat(files.removed()).containsExactly(target.absolute(branch.root()));
    assertThat(files.added()).hasSize(2);
    List<RowChanges.Change> changes = RowChanges.between(base, version, branch, 1, KEY);
    assertThat(changes).extracting(c -> c.key().get(0) + " " + c.kind() + " " + c.changedFields())
        .containsExactly("150 update [name, amount]", "160 delete [id, name, amount]",
            "1000 insert [id, name, amount]");
    // and nothing between a version and itself, nor between the branch's start and the base it cloned
    assertThat(RowChanges.between(branch, 1, branch, 1, KEY)).isEmpty();
    assertThat(RowChanges.between(base, version, branch, 0, KEY)).isEmpty();
  }

  @Test
  void ofWritersRacingForAVersionExactlyOneWinsAndItsCommitStays() throws Exception {
    LocalLogStore log = new LocalLogStore(dir.resolve("raced"));
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> attempts = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      byte[] commit = ("{\"commitInfo\":{\"txnId\":\"writer-" + i + "\"}}\n").repeat(2_000)
          .getBytes(StandardCharsets.UTF_8);
      Callable<Boolean> attempt = () -> {
        go.await();
        return log.create(7, commit);
      };
      attempts.add(threads.submit(attempt));
    }
    go.countDown();
    List<Boolean> won = new ArrayList<>();
    for (Future<Boolean> attempt : attempts) {
      won.add(attempt.get());
    }
    assertThat(Collections.frequency(won, true)).isEqualTo(1);
    String kept = new String(log.read(7), StandardCharsets.UTF_8);
    String winner = "writer-" + won.indexOf(true);
    assertThat(kept).startsWith("{\"commitInfo\":{\"txnId\":\"" + winner + "\"}}\n")
        .hasSize(("{\"commitInfo\":{\"txnId\":\"" + winner + "\"}}\n").length() * 2_000);
    assertThat(log.versionsAfter(-1)).containsExactly(7L);
    try (Stream<Path> files = Files.list(dir.resolve("raced/_delta_log"))) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactly(DeltaLogStore.fileName(7));
    }
  }
}
