package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

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
}
