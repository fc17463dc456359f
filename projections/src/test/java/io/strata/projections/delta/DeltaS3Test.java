package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * Delta tables on S3 (docs/delta.md, §6) against an S3 server in this JVM (s3proxy, its transient blob store),
 * through the SDK's async client: Kernel writes and reads a table through {@link S3FileIO}, a branch is a shallow
 * clone there too, Strata's own commit is read back, and of writers racing for a version exactly one wins.
 */
class DeltaS3Test {
  private static final StructType SCHEMA = KernelTables.SCHEMA;
  private static final List<String> KEY = KernelTables.KEY;

  private static S3Proxy server;
  private static S3AsyncClient s3;
  private static Engine engine;
  private static ExecutorService threads;

  @BeforeAll
  static void start() throws Exception {
    server = S3Proxy.builder().blobStore(new TransientNio2BlobStore())
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "test-access", "test-secret").build();
    server.start();
    while (!"STARTED".equals(server.getState())) {
      Thread.sleep(10);
    }
    s3 = S3AsyncClient.builder().endpointOverride(URI.create("http://127.0.0.1:" + server.getPort()))
        .region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test-access", "test-secret")))
        .build();
    s3.createBucket(b -> b.bucket("lake")).join();
    engine = DeltaTable.s3Engine(s3);
    threads = Executors.newFixedThreadPool(8);
  }

  @AfterAll
  static void stop() throws Exception {
    threads.shutdownNow();
    s3.close();
    server.stop();
  }

  /**
   * Deleting a table's tree on S3 (a table whose making failed, a branch's root, a table's {@code _strata/} when
   * untracked) deletes the objects under it, never a sibling whose name begins with its own.
   */
  @Test
  void aTreeDeletedOnS3TakesNoSiblingWhoseNameBeginsWithIt() throws Exception {
    for (String key : List.of("trees/orders/_delta_log/0.json", "trees/orders/a.parquet", "trees/orders2/a.parquet",
        "trees/orders-old/_delta_log/0.json", "trees/orders_strata/x")) {
      s3.putObject(b -> b.bucket("lake").key(key), software.amazon.awssdk.core.async.AsyncRequestBody.fromString("x"))
          .join();
    }
    DeltaStorage.s3("s3://lake/trees", s3).deleteTree("s3://lake/trees/orders");
    assertThat(s3.listObjectsV2(b -> b.bucket("lake").prefix("trees/")).join().contents())
        .extracting(software.amazon.awssdk.services.s3.model.S3Object::key)
        .containsExactlyInAnyOrder("trees/orders2/a.parquet", "trees/orders-old/_delta_log/0.json",
            "trees/orders_strata/x");
  }

  /**
   * On S3 as on disk, the sweep of deleted branches' tables lists a table's branch roots and finds the log of another
   * branch naming a root's files (a clone of it); once that clone is deleted, nothing names them.
   */
  @Test
  void branchRootsOnS3AreListedAndAClonesLogKeepsItsBase() throws Exception {
    S3Location tablePlace = S3Location.of("s3://lake/sweep/orders");
    KernelTables.create(engine, tablePlace.uri(), SCHEMA);
    long version = KernelTables.append(engine, tablePlace.uri(), List.of(KernelTables.rows(1, 10)));
    DeltaStorage storage = DeltaStorage.s3("s3://lake/sweep", s3);
    DeltaTable table = storage.tableAt(tablePlace.uri());
    String tableRoot = table.root().toString();
    String parent = tableRoot + "_strata/branches/parent-0123abcd";
    String child = tableRoot + "_strata/branches/child-4567cdef";
    String alone = tableRoot + "_strata/branches/alone-89abcdef";
    assertThat(ShallowClone.create(table, version, storage.tableAt(parent), "t1", 1L)).isTrue();
    assertThat(ShallowClone.create(storage.tableAt(parent), 0, storage.tableAt(child), "t2", 1L)).isTrue();
    assertThat(ShallowClone.create(table, version, storage.tableAt(alone), "t3", 1L)).isTrue();

    assertThat(storage.branchRoots(tableRoot)).containsExactlyInAnyOrder(parent, child, alone);
    assertThat(DeltaRootSweep.BranchLogs.read(storage, tableRoot).name("parent-0123abcd")).isTrue();
    assertThat(DeltaRootSweep.BranchLogs.read(storage, tableRoot).name("alone-89abcdef")).isFalse();
    storage.deleteTree(child);
    assertThat(storage.branchRoots(tableRoot)).containsExactlyInAnyOrder(parent, alone);
    assertThat(DeltaRootSweep.BranchLogs.read(storage, tableRoot).name("parent-0123abcd")).isFalse();
    assertThat(table.rows(table.latest(), KEY)).hasSize(10);
  }

  /**
   * A file larger than a part goes up as a multipart upload, one part in memory at a time: its bytes read back whole,
   * no upload left open; one that must not replace an existing object is refused at completion and its upload
   * aborted; Kernel's Parquet writer writes a data file of several parts that reads back row for row.
   */
  /**
   * A file's multipart upload its writer never closed (the process died mid-file) is aborted once older than the time
   * given, under the table's root only: a younger one (a writer still at work) stays, and so does another table's.
   */
  @Test
  void uploadsLeftOpenUnderATableAreAbortedOnceOldAndNoOthers() throws Exception {
    DeltaStorage storage = DeltaStorage.s3("s3://lake/uploads", s3);
    String orders = "s3://lake/uploads/orders";
    String left = s3.createMultipartUpload(b -> b.bucket("lake").key("uploads/orders/_strata/branches/dev-0123abcd/"
        + "part-0.parquet")).join().uploadId();
    s3.uploadPart(b -> b.bucket("lake").key("uploads/orders/_strata/branches/dev-0123abcd/part-0.parquet")
        .uploadId(left).partNumber(1).contentLength(4L), software.amazon.awssdk.core.async.AsyncRequestBody
        .fromBytes(new byte[] {1, 2, 3, 4})).join();
    String ownFile = s3.createMultipartUpload(b -> b.bucket("lake").key("uploads/orders/part-1.parquet")).join()
        .uploadId();
    String sibling = s3.createMultipartUpload(b -> b.bucket("lake").key("uploads/orders2/part-0.parquet")).join()
        .uploadId();

    // the periodic sweep's pass over a repository's tables in the storage (those its refs name)
    String repository = "uploads-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    DeltaRowDataBackend lakes = DeltaRowDataBackend.shared();
    lakes.pool().preparedQuery("insert into strata_meta.delta_refs (repository, table_name, branch, root, base_root,"
        + " base_version) values ($1, 'orders', '', $2, $2, 0)").execute(io.vertx.mutiny.sqlclient.Tuple.of(repository,
        orders + "/")).await().atMost(java.time.Duration.ofSeconds(30));
    java.util.function.Function<java.time.Duration, Integer> sweep = age -> lakes.pool().withConnection(c ->
        DeltaUploadSweep.abortLeft(new DeltaUnit(c, storage, threads), repository, age))
        .await().atMost(java.time.Duration.ofSeconds(30));

    assertThat(sweep.apply(DeltaUploadSweep.AGE)).as("none is a day old").isZero();
    assertThat(openUploads("uploads/")).containsExactlyInAnyOrder(left, ownFile, sibling);
    assertThat(sweep.apply(java.time.Duration.ofSeconds(-5))).as("each older than a moment hence").isEqualTo(2);
    assertThat(openUploads("uploads/")).containsExactly(sibling);
    s3.abortMultipartUpload(b -> b.bucket("lake").key("uploads/orders2/part-0.parquet").uploadId(sibling)).join();
    assertThat(DeltaStorage.local("file:///tmp").abortUploadsBefore("file:///tmp/orders", java.time.Instant.now()))
        .isZero();
  }

  private static List<String> openUploads(String prefix) {
    return s3.listMultipartUploads(b -> b.bucket("lake").prefix(prefix)).join().uploads().stream()
        .map(software.amazon.awssdk.services.s3.model.MultipartUpload::uploadId).toList();
  }

  @Test
  void filesLargerThanAPartAreUploadedInPartsAndNeverReplaceAnObject() throws Exception {
    int part = 5 * 1024 * 1024;
    S3FileIO fileIo = new S3FileIO(s3, part);
    byte[] content = new byte[2 * part + 12_345];
    new java.util.Random(7).nextBytes(content);
    String path = "s3://lake/uploads/big.bin";
    try (var out = fileIo.newOutputFile(path).create(false)) {
      out.write(content, 0, 1_000);
      out.write(content[1_000]);
      out.write(content, 1_001, content.length - 1_001);
      assertThat(out.getPos()).isEqualTo(content.length);
    }
    assertThat(s3.getObject(b -> b.bucket("lake").key("uploads/big.bin"),
        software.amazon.awssdk.core.async.AsyncResponseTransformer.toBytes()).join().asByteArray()).isEqualTo(content);
    assertThat(s3.listMultipartUploads(b -> b.bucket("lake")).join().uploads()).isEmpty();
    assertThat(s3.headObject(b -> b.bucket("lake").key("uploads/big.bin")).join().eTag()).as("three parts")
        .endsWith("-3\"");

    // a completion S3 answers 409 (another write of the key in flight): lost when that write made the object,
    // else the 409 itself (the upload is spent either way: aborted)
    ConflictingCompletions conflicting = new ConflictingCompletions(s3, 2);
    var lost = new S3FileIO(conflicting, part).newOutputFile(path).create(false);
    lost.write(content, 0, content.length);
    assertThatThrownBy(lost::close).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    var conflicted = new S3FileIO(conflicting, part).newOutputFile("s3://lake/uploads/conflicted.bin").create(false);
    conflicted.write(content, 0, content.length);
    assertThatThrownBy(conflicted::close).isInstanceOf(software.amazon.awssdk.services.s3.model.S3Exception.class)
        .hasMessageContaining("ConditionalRequestConflict");
    assertThat(conflicting.completions).hasValue(2);
    assertThat(s3.listMultipartUploads(b -> b.bucket("lake")).join().uploads()).as("aborted").isEmpty();

    var again = fileIo.newOutputFile(path).create(false);
    again.write(content, 0, content.length);
    assertThatThrownBy(again::close).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    assertThat(s3.listMultipartUploads(b -> b.bucket("lake")).join().uploads()).as("aborted").isEmpty();
    try (var small = fileIo.newOutputFile("s3://lake/uploads/small.bin").create(false)) {
      small.write(content, 0, 10);
    }
    assertThat(s3.headObject(b -> b.bucket("lake").key("uploads/small.bin")).join().contentLength()).isEqualTo(10);

    // Kernel's Parquet writer through it: a data file of several parts
    Engine parts = io.delta.kernel.defaults.engine.DefaultEngine.create(fileIo);
    S3Location root = S3Location.of("s3://lake/warehouse/wide");
    KernelTables.create(parts, root.uri(), SCHEMA);
    DeltaTable table = DeltaTable.s3(s3, root, parts);
    var random = new java.util.Random(11);
    List<java.util.Map<String, Object>> rows = new ArrayList<>();
    for (long id = 1; id <= 60_000; id++) {
      byte[] noise = new byte[200];
      random.nextBytes(noise);
      rows.add(KernelTables.row(id, java.util.HexFormat.of().formatHex(noise), id));
    }
    DeltaFile file = DataFiles.write(table, table.latest(), rows);
    assertThat(file.size()).as("more than two parts").isGreaterThan(2L * part);
    table.log().create(1, DeltaCommit.of("tx-1", "WRITE", 1L).add(file).bytes());
    var read = table.rows(table.latest(), KEY);
    assertThat(read).hasSize(60_000);
    assertThat(read.get(List.of(31_337L))).isEqualTo(rows.get(31_336));
    assertThat(s3.listMultipartUploads(b -> b.bucket("lake")).join().uploads()).isEmpty();
  }

  /**
   * Another engine's deletion vector on S3: read through the async client with the file, carried into a branch by its
   * S3 URI, and a change of the file's rows.
   */
  @Test
  void aDeletionVectorOnS3IsReadAndCarriedIntoABranch() throws Exception {
    S3Location root = S3Location.of("s3://lake/warehouse/dv");
    DeltaTable table = DeltaTable.s3(s3, root, engine);
    long now = System.currentTimeMillis();
    table.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", now)
        .protocol(3, 7, java.util.Set.of("deletionVectors"), java.util.Set.of("deletionVectors"))
        .metadata("dv-id", SCHEMA.toJson(), List.of(), java.util.Map.of(), now).bytes());
    DeltaFile file = DataFiles.write(table, table.latest(), KernelTables.rows(1, 10));
    table.log().create(1, DeltaCommit.of("other-2", "WRITE", now).add(file).bytes());
    DeletionVector dv = DeletionVectorFiles.put(s3, root, 9);
    table.log().create(2, DeltaCommit.of("other-3", "DELETE", now).remove(file, now)
        .add(new DeltaFile(file.path(), file.size(), file.modificationTime(), java.util.Map.of(), file.stats(), dv))
        .bytes());
    assertThat(table.rows(table.latest(), KEY)).hasSize(9).doesNotContainKey(List.of(10L));
    assertThat(RowChanges.between(table, 1, table, 2, KEY)).extracting(c -> c.key().get(0) + " " + c.kind())
        .containsExactly("10 delete");

    DeltaTable branch = DeltaTable.s3(s3, root.resolve("_strata/branches/dev"), engine);
    assertThat(ShallowClone.create(table, 2, branch, "tx-1", now)).isTrue();
    assertThat(branch.files(branch.latest())).singleElement().satisfies(f -> assertThat(
        f.deletionVector().pathOrInlineDv()).startsWith("s3://lake/warehouse/dv/deletion_vector_"));
    assertThat(branch.rows(branch.latest(), KEY)).isEqualTo(table.rows(table.latest(), KEY));
    assertThat(RowChanges.between(table, 2, branch, 0, KEY)).isEmpty();
  }

  @Test
  void aTableOnS3IsBranchedChangedAndDiffedAsOnDisk() throws Exception {
    S3Location baseRoot = S3Location.of("s3://lake/warehouse/orders");
    KernelTables.create(engine, baseRoot.uri(), SCHEMA);
    long version = KernelTables.append(engine, baseRoot.uri(),
        List.of(KernelTables.rows(1, 50), KernelTables.rows(51, 100)));
    DeltaTable base = DeltaTable.s3(s3, baseRoot, engine);
    assertThat(base.rows(base.latest(), KEY)).hasSize(100);

    DeltaTable branch = DeltaTable.s3(s3, baseRoot.resolve("_strata/branches/dev"), engine);
    assertThat(ShallowClone.create(base, version, branch, "tx-1", 1_000L)).isTrue();
    assertThat(branch.rows(branch.latest(), KEY)).isEqualTo(base.rows(base.at(version), KEY));
    assertThat(branch.files(branch.latest())).allSatisfy(f -> assertThat(f.path()).startsWith("s3://lake/warehouse/orders/"));

    var snapshot = branch.latest();
    DeltaFile inserted = DataFiles.write(branch, snapshot, List.of(KernelTables.row(500, "on s3", 5)));
    assertThat(branch.log().create(1, DeltaCommit.of("tx-2", "WRITE", 2_000L).add(inserted).bytes())).isTrue();
    assertThat(branch.rows(branch.at(1), KEY)).hasSize(101).containsKey(List.of(500L));
    assertThat(RowChanges.between(base, version, branch, 1, KEY))
        .extracting(c -> c.key().get(0) + " " + c.kind()).containsExactly("500 insert");
    // from the commits: the clone's first line (a ranged GET) names its base, the branch's version 1 the new file
    var traced = ChangedFiles.between(base, version, branch, 1, RowChanges.known(base, branch));
    assertThat(traced).isPresent();
    assertThat(traced.get().added()).containsExactly(inserted.absolute(branch.root()));
    assertThat(traced.get().removed()).isEmpty();
    assertThat(base.rows(base.latest(), KEY)).hasSize(100);
    assertThat(base.log().versionsAfter(-1)).containsExactly(0L, 1L);
    assertThat(branch.log().versionsAfter(0)).containsExactly(1L);
  }

  @Test
  void ofWritersRacingForAVersionOnS3ExactlyOneWins() throws Exception {
    S3LogStore log = new S3LogStore(s3, S3Location.of("s3://lake/raced"));
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> attempts = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      byte[] commit = ("{\"commitInfo\":{\"txnId\":\"writer-" + i + "\"}}\n").getBytes(StandardCharsets.UTF_8);
      attempts.add(threads.submit(() -> {
        go.await();
        return log.create(3, commit);
      }));
    }
    go.countDown();
    List<Boolean> won = new ArrayList<>();
    for (Future<Boolean> attempt : attempts) {
      won.add(attempt.get());
    }
    assertThat(Collections.frequency(won, true)).isEqualTo(1);
    assertThat(new String(log.read(3), StandardCharsets.UTF_8)).contains("writer-" + won.indexOf(true));
    assertThat(log.versionsAfter(-1)).containsExactly(3L);
  }

  /**
   * S3 as a fault makes it: the log entry of a copy-on-write commit refused with a 500, or never answered. The data
   * files were written first; the version is not made, so readers see the table as it was (the files are garbage
   * nothing references), the writer gets a failure in bounded time, and the commit made again goes through.
   */
  @Test
  void anS3ServerThatFailsOrStallsMidCommitLeavesTheTableAsItWas() throws Exception {
    S3Location root = S3Location.of("s3://lake/faults/orders");
    KernelTables.create(engine, root.uri(), SCHEMA);
    KernelTables.append(engine, root.uri(), List.of(KernelTables.rows(1, 20)));
    for (Fault fault : List.of(Fault.FAILS, Fault.STALLS)) {
      FaultyLog faulty = new FaultyLog(s3, fault);
      DeltaTable table = new DeltaTable(URI.create(root.uri()),
          new S3LogStore(faulty, root, java.time.Duration.ofSeconds(2)), engine);
      long before = table.latest().getVersion();
      java.util.Map<List<Object>, java.util.Map<String, Object>> rows = table.rows(table.latest(), KEY);
      java.util.Map<List<Object>, java.util.Map<String, Object>> writes = new java.util.LinkedHashMap<>();
      writes.put(List.of(5L), KernelTables.row(5, "changed " + fault, 50));
      long started = System.nanoTime();
      assertThatThrownBy(() -> DeltaMerge.apply(new DeltaMerge.Plan(before, writes, java.util.Map.of()), table, KEY,
          "tx-" + fault, 3_000L)).as(fault.name()).isInstanceOfAny(java.io.IOException.class,
          software.amazon.awssdk.services.s3.model.S3Exception.class);
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofSeconds(20));
      DeltaTable healthy = DeltaTable.s3(s3, root, engine);
      assertThat(healthy.latest().getVersion()).as("no version made").isEqualTo(before);
      assertThat(healthy.rows(healthy.latest(), KEY)).isEqualTo(rows);
      // the same commit made again, S3 well: it goes through
      long made = DeltaMerge.apply(new DeltaMerge.Plan(before, writes, java.util.Map.of()), healthy, KEY,
          "tx-again-" + fault, 4_000L);
      assertThat(made).isEqualTo(before + 1);
      assertThat(healthy.rows(healthy.latest(), KEY).get(List.of(5L))).containsEntry("name", "changed " + fault);
    }
  }

  /**
   * S3 stores a commit's log entry but its answer is an error or never comes: the writer reads the key and finds its
   * own bytes there, so the commit is made, once; a writer that finds another's bytes there lost the version.
   */
  @Test
  void aLogEntryS3StoredWhoseAnswerWasLostIsTheWritersOwn() throws Exception {
    S3Location root = S3Location.of("s3://lake/lost-answers/orders");
    KernelTables.create(engine, root.uri(), SCHEMA);
    KernelTables.append(engine, root.uri(), List.of(KernelTables.rows(1, 20)));
    for (Fault fault : List.of(Fault.STORES_THEN_FAILS, Fault.STORES_THEN_STALLS)) {
      DeltaTable table = new DeltaTable(URI.create(root.uri()),
          new S3LogStore(new FaultyLog(s3, fault), root, java.time.Duration.ofSeconds(2)), engine);
      long before = table.latest().getVersion();
      java.util.Map<List<Object>, java.util.Map<String, Object>> writes = new java.util.LinkedHashMap<>();
      writes.put(List.of(7L), KernelTables.row(7, "stored " + fault, 70));
      long made = DeltaMerge.apply(new DeltaMerge.Plan(before, writes, java.util.Map.of()), table, KEY,
          "tx-stored-" + fault, 5_000L);
      assertThat(made).as(fault.name()).isEqualTo(before + 1);
      DeltaTable healthy = DeltaTable.s3(s3, root, engine);
      assertThat(healthy.latest().getVersion()).isEqualTo(before + 1);
      assertThat(healthy.rows(healthy.latest(), KEY).get(List.of(7L))).containsEntry("name", "stored " + fault);
    }
    // another writer's entry at the version: lost, whatever the answer said (a 500, never stored)
    S3LogStore faulty = new S3LogStore(new FaultyLog(s3, Fault.FAILS), root,
        java.time.Duration.ofSeconds(2));
    long next = DeltaTable.s3(s3, root, engine).latest().getVersion() + 1;
    assertThat(new S3LogStore(s3, root).create(next, "{\"commitInfo\":{\"txnId\":\"other\"}}\n".getBytes(
        StandardCharsets.UTF_8))).isTrue();
    assertThat(faulty.create(next, "{\"commitInfo\":{\"txnId\":\"mine\"}}\n".getBytes(StandardCharsets.UTF_8)))
        .isFalse();
  }

  private enum Fault { FAILS, STALLS, STORES_THEN_FAILS, STORES_THEN_STALLS }

  /** The tests' S3 client, but a log entry's conditional put fails (500) or is never answered. */
  /** S3 answering the first {@code conflicts} completions of multipart uploads with 409, as AWS may. */
  private static final class ConflictingCompletions implements S3AsyncClient {
    private final S3AsyncClient real;
    private final int conflicts;
    final java.util.concurrent.atomic.AtomicInteger completions = new java.util.concurrent.atomic.AtomicInteger();

    ConflictingCompletions(S3AsyncClient real, int conflicts) {
      this.real = real;
      this.conflicts = conflicts;
    }

    @Override
    public java.util.concurrent.CompletableFuture<software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse>
        createMultipartUpload(software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest request) {
      return real.createMultipartUpload(request);
    }

    @Override
    public java.util.concurrent.CompletableFuture<software.amazon.awssdk.services.s3.model.UploadPartResponse> uploadPart(
        software.amazon.awssdk.services.s3.model.UploadPartRequest request,
        software.amazon.awssdk.core.async.AsyncRequestBody body) {
      return real.uploadPart(request, body);
    }

    @Override
    public java.util.concurrent.CompletableFuture<software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse>
        completeMultipartUpload(software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest request) {
      if (completions.incrementAndGet() <= conflicts) {
        return java.util.concurrent.CompletableFuture.failedFuture(
            (software.amazon.awssdk.services.s3.model.S3Exception) software.amazon.awssdk.services.s3.model.S3Exception
                .builder().statusCode(409).message("injected: ConditionalRequestConflict").build());
      }
      return real.completeMultipartUpload(request);
    }

    @Override
    public java.util.concurrent.CompletableFuture<software.amazon.awssdk.services.s3.model.HeadObjectResponse> headObject(
        software.amazon.awssdk.services.s3.model.HeadObjectRequest request) {
      return real.headObject(request);
    }

    @Override
    public java.util.concurrent.CompletableFuture<software.amazon.awssdk.services.s3.model.AbortMultipartUploadResponse>
        abortMultipartUpload(software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest request) {
      return real.abortMultipartUpload(request);
    }

    @Override
    public String serviceName() {
      return real.serviceName();
    }

    @Override
    public void close() {
    }
  }

  private static final class FaultyLog implements S3AsyncClient {
    private final S3AsyncClient real;
    private final Fault fault;

    FaultyLog(S3AsyncClient real, Fault fault) {
      this.real = real;
      this.fault = fault;
    }

    @Override
    public java.util.concurrent.CompletableFuture<software.amazon.awssdk.services.s3.model.PutObjectResponse> putObject(
        software.amazon.awssdk.services.s3.model.PutObjectRequest request,
        software.amazon.awssdk.core.async.AsyncRequestBody body) {
      if (request.key().contains("/_delta_log/")) {
        if (fault == Fault.STORES_THEN_FAILS || fault == Fault.STORES_THEN_STALLS) {
          // S3 stores the entry; its answer is an error, or never comes
          return real.putObject(request, body).thenCompose(stored -> fault == Fault.STORES_THEN_STALLS
              ? new java.util.concurrent.CompletableFuture<>()
              : java.util.concurrent.CompletableFuture.failedFuture(
                  (software.amazon.awssdk.services.s3.model.S3Exception) software.amazon.awssdk.services.s3.model
                      .S3Exception.builder().statusCode(503).message("injected: SlowDown, after storing").build()));
        }
        if (fault == Fault.STALLS) {
          return new java.util.concurrent.CompletableFuture<>();
        }
        return java.util.concurrent.CompletableFuture.failedFuture(
            (software.amazon.awssdk.services.s3.model.S3Exception) software.amazon.awssdk.services.s3.model.S3Exception
                .builder().statusCode(500).message("injected: InternalError").build());
      }
      return real.putObject(request, body);
    }

    @Override
    public software.amazon.awssdk.services.s3.paginators.ListObjectsV2Publisher listObjectsV2Paginator(
        software.amazon.awssdk.services.s3.model.ListObjectsV2Request request) {
      return real.listObjectsV2Paginator(request);
    }

    @Override
    public <T> java.util.concurrent.CompletableFuture<T> getObject(
        software.amazon.awssdk.services.s3.model.GetObjectRequest request,
        software.amazon.awssdk.core.async.AsyncResponseTransformer<software.amazon.awssdk.services.s3.model.GetObjectResponse, T> transformer) {
      return real.getObject(request, transformer);
    }

    @Override
    public java.util.concurrent.CompletableFuture<software.amazon.awssdk.services.s3.model.HeadObjectResponse> headObject(
        software.amazon.awssdk.services.s3.model.HeadObjectRequest request) {
      return real.headObject(request);
    }

    @Override
    public String serviceName() {
      return real.serviceName();
    }

    @Override
    public void close() {
      // the real client is the test class's
    }
  }
}
