package io.strata.projections.delta;

import java.net.URI;

/** An object or prefix of S3 by its URI ({@code s3://bucket/key}): the bucket and the key (no leading slash). */
public record S3Location(String bucket, String key) {

  public static S3Location of(String uri) {
    URI parsed = URI.create(uri);
    if (!"s3".equals(parsed.getScheme()) && !"s3a".equals(parsed.getScheme())) {
      throw new IllegalArgumentException("not an s3:// URI: " + uri);
    }
    if (parsed.getHost() == null || parsed.getHost().isEmpty()) {
      throw new IllegalArgumentException("no bucket in " + uri);
    }
    String path = parsed.getRawPath() == null ? "" : parsed.getRawPath();
    return new S3Location(parsed.getHost(), path.startsWith("/") ? path.substring(1) : path);
  }

  /** The location {@code relative} below this one ({@code a/b} + {@code c} = {@code a/b/c}). */
  public S3Location resolve(String relative) {
    return new S3Location(bucket, key.isEmpty() || key.endsWith("/") ? key + relative : key + "/" + relative);
  }

  public String uri() {
    return "s3://" + bucket + "/" + key;
  }
}
