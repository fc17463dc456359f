package io.strata.projections.delta;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A table's log on S3 through the SDK's async client: a version is made by {@code PutObject} with
 * {@code If-None-Match: *}, which S3 refuses (412) when the version exists, so of racing writers exactly one wins.
 * The calls wait for the client's futures: run on a worker, never on an event loop.
 */
public final class S3LogStore implements DeltaLogStore {
  /** How long a call to S3 may take before the log gives up on it (a stalled server fails, never hangs). */
  static final java.time.Duration TIMEOUT = java.time.Duration.ofMinutes(2);

  private final S3AsyncClient s3;
  private final S3Location log;
  private final java.time.Duration timeout;

  /** The log of the table whose root is {@code tableRoot}. */
  public S3LogStore(S3AsyncClient s3, S3Location tableRoot) {
    this(s3, tableRoot, TIMEOUT);
  }

  /** The same, each call to S3 given up after {@code timeout}. */
  public S3LogStore(S3AsyncClient s3, S3Location tableRoot, java.time.Duration timeout) {
    this.s3 = s3;
    this.log = tableRoot.resolve("_delta_log/");
    this.timeout = timeout;
  }

  @Override
  public List<Long> versionsAfter(long version) throws IOException {
    ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(log.bucket()).prefix(log.key());
    if (version >= 0) {
      request.startAfter(log.key() + DeltaLogStore.fileName(version));
    }
    List<S3Object> objects = new ArrayList<>();
    await(s3.listObjectsV2Paginator(request.build()).contents().subscribe(objects::add), timeout);
    return DeltaLogStore.versionsAfter(objects.stream().map(o -> o.key().substring(log.key().length())), version);
  }

  @Override
  public byte[] read(long version) throws IOException {
    return await(s3.getObject(b -> b.bucket(log.bucket()).key(log.key() + DeltaLogStore.fileName(version)),
        AsyncResponseTransformer.toBytes()), timeout).asByteArray();
  }

  @Override
  public byte[] readStart(long version, int bytes) throws IOException {
    return await(s3.getObject(b -> b.bucket(log.bucket()).key(log.key() + DeltaLogStore.fileName(version))
        .range("bytes=0-" + (bytes - 1)), AsyncResponseTransformer.toBytes()), timeout).asByteArray();
  }

  @Override
  public boolean create(long version, byte[] commit) throws IOException {
    return putIfAbsent(s3, log.bucket(), log.key() + DeltaLogStore.fileName(version), commit, timeout);
  }

  /**
   * {@code PutObject} with {@code If-None-Match: *}: true when this put made the object, false when another writer's
   * is there. A 409 (ConditionalRequestConflict: another put of the key was in flight) says nothing of who wins: tried
   * again, a few times, with a growing pause. An answer that does not say whether the object was stored (a 5xx, a
   * broken connection, no answer in time: S3 may have stored it all the same) is settled by reading the key: there
   * with this put's bytes, this put made it (each commit's bytes are its own: its transaction id); there with others,
   * another writer did; absent, the put is made again, a few times. A 412 is read the same way: it may be this put's
   * own earlier attempt (the SDK's retry of a put whose answer was lost) that made the object.
   */
  static boolean putIfAbsent(S3AsyncClient s3, String bucket, String key, byte[] content,
      java.time.Duration timeout) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        await(s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*"), AsyncRequestBody.fromBytes(content)),
            timeout);
        return true;
      } catch (S3Exception e) {
        int status = e.statusCode();
        if (status == 412) {
          return ours(s3, bucket, key, content, timeout) == Boolean.TRUE;
        }
        boolean inFlight = status == 409 && attempt < 5; // another put of the key: tried again
        if (!inFlight) {
          if (status != 409 && status < 500) {
            throw e;
          }
          Boolean there = ours(s3, bucket, key, content, timeout);
          if (there != null) {
            return there;
          }
          if (status == 409 || attempt >= 2) {
            throw e;
          }
        }
      } catch (IOException | software.amazon.awssdk.core.exception.SdkClientException e) {
        // no answer in time, a connection refused or broken (the SDK's last attempt's): S3 may have stored it
        Boolean there = ours(s3, bucket, key, content, timeout);
        if (there != null) {
          return there;
        }
        if (attempt >= 2) {
          throw e;
        }
      }
      try {
        Thread.sleep(50L << attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted between conditional puts");
      }
    }
  }

  /**
   * Whether the object at {@code key} holds exactly {@code content} (this writer's put made it: each commit's bytes
   * are its own), false when it holds another's, null when there is none. Its length is looked at first: another
   * writer's object (a checkpoint, say) may be large, and is not read.
   */
  private static Boolean ours(S3AsyncClient s3, String bucket, String key, byte[] content,
      java.time.Duration timeout) throws IOException {
    try {
      Long length = await(s3.headObject(b -> b.bucket(bucket).key(key)), timeout).contentLength();
      if (length != null && length != content.length) {
        return false;
      }
      return java.util.Arrays.equals(await(s3.getObject(b -> b.bucket(bucket).key(key),
          AsyncResponseTransformer.toBytes()), timeout).asByteArray(), content);
    } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
      return null;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return null;
      }
      throw e;
    }
  }

  /** {@link #await(CompletableFuture, java.time.Duration)} with the default timeout. */
  static <T> T await(CompletableFuture<T> future) throws IOException {
    return await(future, TIMEOUT);
  }

  static <T> T await(CompletableFuture<T> future, java.time.Duration timeout) throws IOException {
    try {
      return future.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      future.cancel(true);
      throw new java.io.InterruptedIOException("S3 did not answer within " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for S3");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof S3Exception s3) {
        throw s3;
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IOException(cause);
    }
  }
}
