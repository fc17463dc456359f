package io.strata.projections.delta;

import io.delta.kernel.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * A place Delta tables live, as a Delta storage names it: a local directory ({@code file:///…}) or an S3 prefix
 * ({@code s3://bucket/prefix}, through an async client), and the Kernel engine that reads its tables. Tables are
 * named by paths relative to it, of plain segments only, so a name never leads out of the place.
 */
public final class DeltaStorage implements AutoCloseable {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._=+-]{1,255}");

  private final String url;
  private final S3AsyncClient s3;
  private final Engine engine;

  private DeltaStorage(String url, S3AsyncClient s3, Engine engine) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.s3 = s3;
    this.engine = engine;
  }

  /** The local directory of {@code fileUrl} ({@code file:///absolute/directory}). */
  public static DeltaStorage local(String fileUrl) {
    if (!fileUrl.startsWith("file:///")) {
      throw new IllegalArgumentException("not a file:/// url: " + fileUrl);
    }
    return new DeltaStorage(fileUrl, null, DeltaTable.defaultEngine());
  }

  /** The S3 prefix of {@code s3Url} ({@code s3://bucket/prefix}), reached through {@code s3}. */
  public static DeltaStorage s3(String s3Url, S3AsyncClient s3) {
    if (!s3Url.startsWith("s3://")) {
      throw new IllegalArgumentException("not an s3:// url: " + s3Url);
    }
    return new DeltaStorage(s3Url, s3, DeltaTable.s3Engine(s3));
  }

  public String url() {
    return url;
  }

  /** The Kernel engine that reads and writes the place's tables. */
  public Engine engine() {
    return engine;
  }

  /** Whether {@code path} names a table here: segments of letters, digits and {@code . _ = + -}, no . or .. ones. */
  public static boolean isTablePath(String path) {
    if (path == null || path.isEmpty() || path.length() > 1024) {
      return false;
    }
    for (String segment : path.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")
          || segment.startsWith("_")) {
        return false;
      }
    }
    return true;
  }

  /** The table at {@code path} under this place ({@link #isTablePath}); blocking I/O when used. */
  public DeltaTable table(String path) {
    if (!isTablePath(path)) {
      throw new IllegalArgumentException("not a table path: " + path);
    }
    String root = url + "/" + path;
    return s3 == null ? DeltaTable.local(Path.of(java.net.URI.create(root)), engine)
        : DeltaTable.s3(s3, S3Location.of(root), engine);
  }

  /**
   * The table whose root is {@code root}, a URI under this place (a tracked table's, or a branch's under its
   * {@code _strata/}); refuses any other.
   */
  /**
   * Whether {@code root} is a branch's table (a directory right under a table's {@code _strata/branches/}), not a
   * tracked table itself: judged by its end, so that a place whose own path holds {@code _strata} changes nothing.
   */
  public static boolean isBranchRoot(String root) {
    String r = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    int slash = r.lastIndexOf('/');
    return slash > 0 && r.substring(0, slash).endsWith("/_strata/branches") && slash < r.length() - 1;
  }

  /** Whether {@code root} names a table root under this place (a string check; nothing is read). */
  public boolean holds(String root) {
    String r = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    return r.startsWith(url + "/") && !r.contains("/../") && !r.contains("/./");
  }

  public DeltaTable tableAt(String root) {
    String r = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    if (!r.startsWith(url + "/") || r.contains("/../") || r.contains("/./")) {
      throw new IllegalArgumentException("not a table root of " + url + ": " + root);
    }
    return s3 == null ? DeltaTable.local(Path.of(java.net.URI.create(r)), engine)
        : DeltaTable.s3(s3, S3Location.of(r), engine);
  }

  /**
   * Copies the data file at {@code absolute} (a branch's: under {@code into}'s {@code _strata/branches/<branch>/},
   * named as a log names it) into {@code into}, under a new name in the directory it had in the branch's (a
   * partition's: the layout other engines expect), so that the table never depends on a branch's directory (a hard
   * link on a local disk, a server-side copy on S3: no data through Strata); answers its path relative to the table's
   * root as a log names it. A path leaving the branch's directory is refused ({@link DeltaUnsupported}). Blocking.
   */
  public String adopt(String absolute, DeltaTable into) throws IOException {
    tableAt(into.root().toString()); // a table of this place
    String root = into.root().toString().endsWith("/") ? into.root().toString() : into.root() + "/";
    String branches = DeltaFile.uri(root + "_strata/branches/");
    if (!absolute.startsWith(branches) || absolute.indexOf('/', branches.length()) < 0) {
      throw new IllegalArgumentException("not a file of a branch of " + root + ": " + absolute);
    }
    // the encoded path below the branch's root: region=EU/part-0.parquet
    String relative = absolute.substring(absolute.indexOf('/', branches.length()) + 1);
    for (String segment : DeltaFile.decoded(absolute).substring(DeltaFile.decoded(branches).length()).split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        // a log another engine wrote may name anything: the table takes nothing from outside the branch
        throw DeltaUnsupported.because("the branch's log names a file outside its directory: " + absolute);
      }
    }
    int slash = relative.lastIndexOf('/');
    String name = relative.substring(0, slash + 1) + java.util.UUID.randomUUID() + "-" + relative.substring(slash + 1);
    if (s3 == null) {
      Path from = Path.of(java.net.URI.create(DeltaFile.uri(absolute)));
      Path to = Path.of(java.net.URI.create(root + name));
      Files.createDirectories(to.getParent());
      try {
        Files.createLink(to, from);
      } catch (UnsupportedOperationException | IOException notLinked) {
        Files.copy(from, to);
      }
      return name;
    }
    S3Location from = S3Location.of(DeltaFile.decoded(absolute));
    S3Location to = S3Location.of(DeltaFile.decoded(root + name));
    s3.copyObject(b -> b.sourceBucket(from.bucket()).sourceKey(from.key()).destinationBucket(to.bucket())
        .destinationKey(to.key())).join();
    return name;
  }

  /**
   * The roots of the branches' tables of the table at {@code tableRoot} (the directories under its
   * {@code _strata/branches/}), each as a ref names it (no trailing slash). Blocking.
   */
  public List<String> branchRoots(String tableRoot) throws IOException {
    String root = tableAt(tableRoot).root().toString(); // ends with a slash
    String branches = root + "_strata/branches/";
    List<String> roots = new java.util.ArrayList<>();
    if (s3 == null) {
      Path dir = Path.of(java.net.URI.create(branches));
      if (Files.isDirectory(dir)) {
        try (var children = Files.list(dir)) {
          children.filter(Files::isDirectory).forEach(c -> roots.add(branches + c.getFileName()));
        }
      }
      return roots;
    }
    S3Location place = S3Location.of(branches);
    String token = null;
    do {
      String from = token;
      var listed = s3.listObjectsV2(b -> b.bucket(place.bucket()).prefix(place.key()).delimiter("/")
          .continuationToken(from)).join();
      for (var prefix : listed.commonPrefixes()) {
        String name = prefix.prefix().substring(place.key().length());
        roots.add(branches + (name.endsWith("/") ? name.substring(0, name.length() - 1) : name));
      }
      token = listed.isTruncated() ? listed.nextContinuationToken() : null;
    } while (token != null);
    return roots;
  }

  /**
   * Deletes everything under {@code root} (a branch's table: its log and its own files); blocking. On S3 a key the
   * bucket would not delete fails it (what is left is deleted by a later call).
   */
  public void deleteTree(String root) throws IOException {
    DeltaTable table = tableAt(root); // checks it is under this place
    if (s3 == null) {
      Path dir = Path.of(table.root());
      if (!Files.exists(dir)) {
        return;
      }
      try (var paths = Files.walk(dir)) {
        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
      return;
    }
    S3Location place = S3Location.of(table.root().toString());
    // the key as a directory (a table root ends with one): a bare prefix would take orders2 with orders
    String prefix = place.key().endsWith("/") ? place.key() : place.key() + "/";
    String token = null;
    do {
      String from = token;
      var listed = s3.listObjectsV2(b -> b.bucket(place.bucket()).prefix(prefix).continuationToken(from)).join();
      if (!listed.contents().isEmpty()) {
        var keys = listed.contents().stream()
            .map(o -> software.amazon.awssdk.services.s3.model.ObjectIdentifier.builder().key(o.key()).build()).toList();
        var answer = s3.deleteObjects(b -> b.bucket(place.bucket()).delete(d -> d.objects(keys).quiet(true))).join();
        if (answer.hasErrors() && !answer.errors().isEmpty()) {
          var first = answer.errors().get(0);
          throw new IOException(answer.errors().size() + " objects under " + root + " were not deleted, " + first.key()
              + " among them: " + first.code() + " " + first.message());
        }
      }
      token = listed.isTruncated() ? listed.nextContinuationToken() : null;
    } while (token != null);
  }

  /**
   * Aborts the multipart uploads under {@code tableRoot} (the table's own files, its {@code _strata/} and its branches'
   * tables) started before {@code before}: files whose writer never closed them (a process that died mid-file), whose
   * parts a bucket keeps, and bills, for good unless a lifecycle rule aborts them. Answers how many it aborted; a local
   * place has none. Blocking.
   */
  public int abortUploadsBefore(String tableRoot, java.time.Instant before) throws IOException {
    if (s3 == null) {
      return 0;
    }
    S3Location place = S3Location.of(tableAt(tableRoot).root().toString());
    // the key as a directory (a table root ends with one): a bare prefix would take orders2's with orders
    String prefix = place.key().endsWith("/") ? place.key() : place.key() + "/";
    int aborted = 0;
    String keyMarker = null;
    String uploadMarker = null;
    boolean more;
    do {
      String key = keyMarker;
      String upload = uploadMarker;
      var listed = s3.listMultipartUploads(b -> b.bucket(place.bucket()).prefix(prefix).keyMarker(key)
          .uploadIdMarker(upload)).join();
      for (var u : listed.uploads()) {
        if (u.initiated() != null && u.initiated().isBefore(before) && u.key().startsWith(prefix)) {
          s3.abortMultipartUpload(b -> b.bucket(place.bucket()).key(u.key()).uploadId(u.uploadId())).join();
          aborted++;
        }
      }
      more = Boolean.TRUE.equals(listed.isTruncated());
      keyMarker = listed.nextKeyMarker();
      uploadMarker = listed.nextUploadIdMarker();
    } while (more && keyMarker != null);
    return aborted;
  }

  /**
   * Succeeds when the place can be used: the directory exists and the server may write it, or the bucket answers a
   * listing of the prefix with the storage's credentials. A local directory is looked at on {@code io}.
   */
  public CompletableFuture<Void> reach(java.util.concurrent.Executor io) {
    if (s3 == null) {
      return CompletableFuture.supplyAsync(() -> {
        Path dir = Path.of(java.net.URI.create(url));
        if (!Files.isDirectory(dir)) {
          throw new IllegalStateException(dir + " is not a directory on the server");
        }
        if (!Files.isWritable(dir)) {
          throw new IllegalStateException(dir + " cannot be written by the server");
        }
        return null;
      }, io);
    }
    S3Location place = S3Location.of(url + "/");
    return s3.listObjectsV2(b -> b.bucket(place.bucket()).prefix(place.key()).maxKeys(1)).thenApply(r -> null);
  }

  /** Closes the S3 client of the place (a local place holds nothing). */
  @Override
  public void close() {
    if (s3 != null) {
      s3.close();
    }
  }

  /** The directory of a local place, its symbolic links resolved: what the server really writes. */
  public Path realDirectory() throws IOException {
    if (s3 != null) {
      throw new IllegalStateException("not a local place");
    }
    return Path.of(java.net.URI.create(url)).toRealPath();
  }
}
