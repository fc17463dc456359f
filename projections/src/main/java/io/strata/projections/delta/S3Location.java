package io.strata.projections.delta;

/** An object or prefix of S3 by its URI ({@code s3://bucket/key}): the bucket and the key (no leading slash). */
public record S3Location(String bucket, String key) {

  public static S3Location of(String uri) {
    // split by hand, not URI.create: a location read from a file system may hold what a URI may not (spaces)
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^s3a?://([^/]*)/?(.*)$").matcher(uri);
    if (!m.matches()) {
      throw new IllegalArgumentException("not an s3:// URI: " + uri);
    }
    if (m.group(1).isEmpty()) {
      throw new IllegalArgumentException("no bucket in " + uri);
    }
    return new S3Location(m.group(1), m.group(2));
  }

  /** The location {@code relative} below this one ({@code a/b} + {@code c} = {@code a/b/c}). */
  public S3Location resolve(String relative) {
    return new S3Location(bucket, key.isEmpty() || key.endsWith("/") ? key + relative : key + "/" + relative);
  }

  public String uri() {
    return "s3://" + bucket + "/" + key;
  }
}
