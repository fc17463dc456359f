package io.strata.projections.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.events.Author;
import io.strata.events.BranchCreated;
import io.strata.events.BranchDeleted;
import io.strata.events.BranchProtectionChanged;
import io.strata.events.CommitCreated;
import io.strata.events.CommitIds;
import io.strata.events.CommitStats;
import io.strata.events.EventCodec;
import io.strata.events.RepositoryCreated;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.events.TagCreated;
import io.strata.events.TagDeleted;
import io.strata.projections.MetadataProjectors;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.NewEvent;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two runtimes (as two servers would) project the same log concurrently while appends go on; the
 * projections must be exactly those of a rebuild from the log, and reads must see what was appended.
 */
class ProjectionRuntimeTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Author ADA = new Author("Ada", "ada@example.com");
  private static Vertx vertx;
  private static Pool poolA;
  private static Pool poolB;
  private static EventLog log;

  @BeforeAll
  static void start() {
    TestDatabase db = TestPostgres.shared().newDatabase();
    vertx = Vertx.vertx();
    poolA = db.pool(vertx, 8);
    poolB = db.pool(vertx, 8);
    log = new EventLog(poolA, new EventCodec());
  }

  @AfterAll
  static void stop() {
    poolA.closeAndAwait();
    poolB.closeAndAwait();
    vertx.closeAndAwait();
  }

  /** Appends the history of one repository, returning its stream version and main's head. */
  private static String[] appendHistory(String repo, int commits) {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    String root = CommitIds.of(List.of(), CommitIds.EMPTY_TREE, ADA, t, "Initial commit");
    long version = append(repo, 0,
        new RepositoryCreated(repo, "test", "main"),
        new CommitCreated(root, null, List.of(), CommitIds.EMPTY_TREE, "Initial commit", ADA, t, CommitStats.EMPTY, List.of()),
        new BranchCreated("main", root, null, false));
    version = append(repo, version, new BranchCreated("dev", root, "main", false));
    String head = root;
    String dev = root;
    for (int i = 1; i <= commits; i++) {
      Instant ti = t.plusSeconds(i);
      boolean onDev = i % 3 == 0;
      String parent = onDev ? dev : head;
      String id = CommitIds.of(List.of(parent), CommitIds.EMPTY_TREE, ADA, ti, "c" + i);
      version = append(repo, version, new CommitCreated(id, onDev ? "dev" : "main", List.of(parent),
          CommitIds.EMPTY_TREE, "c" + i, ADA, ti, CommitStats.EMPTY, List.of()));
      if (onDev) {
        dev = id;
      } else {
        head = id;
      }
    }
    version = append(repo, version, new TagCreated("v1", head, "release", ADA), new TagCreated("tmp", root, null, ADA));
    version = append(repo, version, new TagDeleted("tmp", root), new BranchProtectionChanged("main", true));
    version = append(repo, version, new BranchCreated("gone", dev, "dev", false), new BranchDeleted("gone", dev, true));
    return new String[] {String.valueOf(version), head, dev};
  }

  private static long append(String repo, long expected, StrataEvent... events) {
    List<NewEvent> batch = new ArrayList<>();
    for (StrataEvent e : events) {
      batch.add(NewEvent.of(e, Instant.parse("2026-01-02T00:00:00Z"), "ada", null));
    }
    return log.append(repo, expected, batch, List.of()).await().atMost(WAIT).version();
  }

  @Test
  void concurrentRuntimesProjectExactlyWhatARebuildProduces() {
    ProjectionRuntime a = new ProjectionRuntime(vertx, log, new EventCodec(), MetadataProjectors.all(), Duration.ofMillis(50));
    ProjectionRuntime b = new ProjectionRuntime(vertx, new EventLog(poolB, new EventCodec()), new EventCodec(),
        MetadataProjectors.all(), Duration.ofMillis(50));
    a.start().await().atMost(WAIT);
    b.start().await().atMost(WAIT);
    try {
      List<String[]> histories = new ArrayList<>();
      for (int r = 0; r < 6; r++) {
        String repo = "repo" + r;
        String[] h = appendHistory(repo, 40);
        histories.add(h);
        a.signal(repo);
        b.signal(repo);
      }
      // a repository created, then deleted: nothing of it may remain
      long doomedVersion = Long.parseLong(appendHistory("doomed", 3)[0]);
      long doomed = append("doomed", doomedVersion, new RepositoryDeleted("doomed", true));
      for (int r = 0; r < histories.size(); r++) {
        long version = Long.parseLong(histories.get(r)[0]);
        a.awaitVersion("repo" + r, version, WAIT).await().atMost(WAIT);
        b.awaitVersion("repo" + r, version, WAIT).await().atMost(WAIT);
      }
      a.awaitVersion("doomed", doomed, WAIT).await().atMost(WAIT);

      RefQueries refs = new RefQueries(poolA);
      CommitGraph graph = new CommitGraph(poolA);
      String[] h0 = histories.get(0);
      assertThat(refs.branch("repo0", "main").await().atMost(WAIT).orElseThrow().head()).isEqualTo(h0[1]);
      assertThat(refs.branch("repo0", "main").await().atMost(WAIT).orElseThrow().isProtected()).isTrue();
      assertThat(refs.branch("repo0", "dev").await().atMost(WAIT).orElseThrow().head()).isEqualTo(h0[2]);
      assertThat(refs.branch("repo0", "gone").await().atMost(WAIT)).isEmpty();
      assertThat(refs.tag("repo0", "v1").await().atMost(WAIT).orElseThrow().commit()).isEqualTo(h0[1]);
      assertThat(refs.tag("repo0", "tmp").await().atMost(WAIT)).isEmpty();
      assertThat(refs.repository("doomed").await().atMost(WAIT)).isEmpty();
      assertThat(refs.allBranches("doomed").await().atMost(WAIT)).isEmpty();
      // main has the root plus the 27 commits not on dev; generation counts along the path
      var page = graph.log("repo0", h0[1], CommitGraph.LogFilter.NONE, 1000, 0).await().atMost(WAIT);
      assertThat(page.total()).isEqualTo(1 + 27);
      assertThat(page.commits().get(0).id()).isEqualTo(h0[1]);
      assertThat(page.commits().get(0).generation()).isEqualTo(28);
      assertThat(graph.compare("repo0", h0[1], h0[2]).await().atMost(WAIT).ahead()).isEqualTo(13);

      Map<String, String> live = a.digest().await().atMost(WAIT);
      a.rebuild().await().atMost(WAIT);
      assertThat(a.digest().await().atMost(WAIT)).isEqualTo(live);
    } finally {
      a.stop();
      b.stop();
    }
  }

  @Test
  void identicalCommitsOnTwoBranchesAreOneCommitAndNeverStallProjection() {
    ProjectionRuntime runtime = new ProjectionRuntime(vertx, log, new EventCodec(), MetadataProjectors.all(),
        Duration.ofMillis(50));
    runtime.start().await().atMost(WAIT);
    try {
      String repo = "twins";
      String[] h = appendHistory(repo, 0);
      long version = Long.parseLong(h[0]);
      // main and dev both sit on the root; the same commit content on both gives the same id
      Instant t = Instant.parse("2026-03-01T00:00:00Z");
      String id = CommitIds.of(List.of(h[1]), CommitIds.EMPTY_TREE, ADA, t, "same");
      version = append(repo, version,
          new CommitCreated(id, "main", List.of(h[1]), CommitIds.EMPTY_TREE, "same", ADA, t, CommitStats.EMPTY, List.of()),
          new CommitCreated(id, "dev", List.of(h[1]), CommitIds.EMPTY_TREE, "same", ADA, t, CommitStats.EMPTY, List.of()));
      runtime.awaitVersion(repo, version, WAIT).await().atMost(WAIT);
      RefQueries refs = new RefQueries(poolA);
      assertThat(refs.branch(repo, "main").await().atMost(WAIT).orElseThrow().head()).isEqualTo(id);
      assertThat(refs.branch(repo, "dev").await().atMost(WAIT).orElseThrow().head()).isEqualTo(id);
      assertThat(runtime.lastFailure()).isNull();
    } finally {
      runtime.stop();
    }
  }

  @Test
  void cachedLogEqualsTheGraphWalkIncludingMerges() {
    ProjectionRuntime runtime = new ProjectionRuntime(vertx, log, new EventCodec(), MetadataProjectors.all(),
        Duration.ofMillis(50));
    runtime.start().await().atMost(WAIT);
    try {
      String repo = "merges";
      String[] h = appendHistory(repo, 30);
      long version = Long.parseLong(h[0]);
      Instant t = Instant.parse("2026-05-01T00:00:00Z");
      String merge = CommitIds.of(List.of(h[1], h[2]), CommitIds.EMPTY_TREE, ADA, t, "merge dev");
      version = append(repo, version, new CommitCreated(merge, "main", List.of(h[1], h[2]), CommitIds.EMPTY_TREE,
          "merge dev", ADA, t, CommitStats.EMPTY, List.of()));
      String after = CommitIds.of(List.of(merge), CommitIds.EMPTY_TREE, ADA, t.plusSeconds(1), "after");
      version = append(repo, version, new CommitCreated(after, "main", List.of(merge), CommitIds.EMPTY_TREE,
          "after", ADA, t.plusSeconds(1), CommitStats.EMPTY, List.of()));
      runtime.awaitVersion(repo, version, WAIT).await().atMost(WAIT);

      CommitGraph graph = new CommitGraph(poolA);
      for (boolean firstParent : new boolean[] {false, true}) {
        CommitGraph.LogFilter plain = firstParent ? new CommitGraph.LogFilter(true, null, null, null, null)
            : CommitGraph.LogFilter.NONE;
        CommitGraph.LogFilter walked = new CommitGraph.LogFilter(firstParent, null, Instant.EPOCH, null, null);
        // the parent's ancestry is cached first, so the head's is built by prepending
        graph.log(repo, merge, plain, 5, 0).await().atMost(WAIT);
        for (int offset : new int[] {0, 7, 25}) {
          var cached = graph.log(repo, after, plain, 10, offset).await().atMost(WAIT);
          var sql = graph.log(repo, after, walked, 10, offset).await().atMost(WAIT);
          assertThat(cached.total()).isEqualTo(sql.total());
          assertThat(cached.commits()).isEqualTo(sql.commits());
        }
      }
      assertThat(graph.log(repo, after, CommitGraph.LogFilter.NONE, 1000, 0).await().atMost(WAIT).total())
          .as("all 31 commits plus the merge and the one after").isEqualTo(1 + 30 + 2);
    } finally {
      runtime.stop();
    }
  }
}
