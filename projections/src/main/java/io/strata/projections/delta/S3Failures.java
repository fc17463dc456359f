package io.strata.projections.delta;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Failures of the S3 server a Delta storage is on, as opposed to a request's fault: S3 answering an error (a 5xx the
 * SDK's retries did not get past, credentials no longer taken), or not answering at all (a connection refused or
 * broken, no answer in time). The request is refused as its storage being unavailable (503): nothing was changed that
 * a unit's compensation does not put back, and it may be tried again.
 */
public final class S3Failures {
  private S3Failures() {}

  /** The S3 failure in {@code failure}'s causes, or null when it has none. */
  public static RuntimeException of(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof S3Exception || t instanceof SdkClientException) {
        return (RuntimeException) t;
      }
      if (t instanceof java.io.InterruptedIOException && String.valueOf(t.getMessage()).startsWith("S3 ")) {
        return new java.io.UncheckedIOException((java.io.InterruptedIOException) t);
      }
    }
    return null;
  }

  /**
   * Whether S3 refused the storage's own request (a 4xx: keys no longer taken, a bucket gone, another region): no
   * retry mends it, the storage's settings do.
   */
  public static boolean clientIsToBlame(RuntimeException s3) {
    return s3 instanceof S3Exception e && e.statusCode() >= 400 && e.statusCode() < 500;
  }

  /** What a client may be told of it: S3's status and error code, or that S3 did not answer; never a key or URL. */
  public static String describe(RuntimeException s3) {
    if (s3 instanceof S3Exception e) {
      String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
      return "S3 answered " + e.statusCode() + (code == null ? "" : " " + code);
    }
    return "S3 did not answer";
  }
}
