package io.strata.server;

import java.net.URI;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * The test JVM's S3 server (s3proxy in memory, started once on a free loopback port), with the credentials it takes,
 * for Delta storages on S3: the server under test is allowed its endpoint ({@link TestDatabaseResource}).
 */
public final class TestS3 {
  public static final String ACCESS_KEY = "strata-test-access";
  public static final String SECRET_KEY = "strata-test-secret-never-echoed";
  private static TestS3 shared;

  private final S3Proxy server;

  private TestS3() throws Exception {
    server = S3Proxy.builder().blobStore(new TransientNio2BlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
    server.start();
    while (!"STARTED".equals(server.getState())) {
      Thread.sleep(10);
    }
  }

  public static synchronized TestS3 shared() {
    if (shared == null) {
      try {
        shared = new TestS3();
      } catch (Exception e) {
        throw new IllegalStateException("the tests' S3 server did not start", e);
      }
    }
    return shared;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** A client of the server, path-style, with its credentials. */
  public S3AsyncClient client() {
    return S3AsyncClient.builder().endpointOverride(URI.create(endpoint())).region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .build();
  }
}
