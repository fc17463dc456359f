package io.strata.projections.delta;

import io.delta.kernel.defaults.engine.fileio.PositionOutputStream;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A file Kernel writes to S3 (a data file, a checkpoint), holding at most one part in memory: a file smaller than a
 * part is one PUT; a larger one a multipart upload, each part sent as it fills, completed at close — aborted when a
 * part or the completion fails, so no upload is left for the bucket to keep. A file that must not replace another
 * ({@code overwrite} false) is written with {@code If-None-Match: *} (on the PUT, or on the completion).
 */
final class S3Upload extends PositionOutputStream {
  /** A part: well above S3's 5 MiB least part, far below what a data file is in memory otherwise (all of it). */
  static final int PART_SIZE = 16 * 1024 * 1024;

  private final S3AsyncClient s3;
  private final S3Location at;
  private final boolean overwrite;
  private final int partSize;
  private byte[] buffer = new byte[64 * 1024];
  private int filled;
  private long position;
  private String uploadId;
  private final List<CompletedPart> parts = new ArrayList<>();
  private boolean closed;

  S3Upload(S3AsyncClient s3, S3Location at, boolean overwrite, int partSize) {
    this.s3 = s3;
    this.at = at;
    this.overwrite = overwrite;
    this.partSize = partSize;
  }

  @Override
  public long getPos() {
    return position;
  }

  @Override
  public void write(int b) throws IOException {
    if (closed || filled + 1 > buffer.length) {
      write(new byte[] {(byte) b}, 0, 1); // the general path: closed, or the buffer grows or is sent
      return;
    }
    buffer[filled++] = (byte) b;
    position++;
    if (filled == partSize) {
      sendPart();
    }
  }

  @Override
  public void write(byte[] b, int offset, int length) throws IOException {
    if (closed) {
      throw new IOException("the upload of " + at.uri() + " is closed");
    }
    while (length > 0) {
      int n = Math.min(length, partSize - filled);
      if (filled + n > buffer.length) {
        buffer = Arrays.copyOf(buffer, Math.min(partSize, Math.max(filled + n, buffer.length * 2)));
      }
      System.arraycopy(b, offset, buffer, filled, n);
      filled += n;
      offset += n;
      length -= n;
      position += n;
      if (filled == partSize) {
        sendPart();
      }
    }
  }

  /** Sends the part in memory, starting the multipart upload with the first. */
  private void sendPart() throws IOException {
    try {
      if (uploadId == null) {
        uploadId = S3LogStore.await(s3.createMultipartUpload(b -> b.bucket(at.bucket()).key(at.key()))).uploadId();
      }
      int number = parts.size() + 1;
      byte[] part = Arrays.copyOf(buffer, filled);
      String etag = S3LogStore.await(s3.uploadPart(b -> b.bucket(at.bucket()).key(at.key()).uploadId(uploadId)
          .partNumber(number).contentLength((long) part.length), AsyncRequestBody.fromBytes(part))).eTag();
      parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
      filled = 0;
    } catch (IOException | RuntimeException e) {
      abort(e);
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (uploadId == null) {
      byte[] content = Arrays.copyOf(buffer, filled);
      buffer = null;
      if (overwrite) {
        S3LogStore.await(s3.putObject(b -> b.bucket(at.bucket()).key(at.key()), AsyncRequestBody.fromBytes(content)));
      } else if (!S3LogStore.putIfAbsent(s3, at.bucket(), at.key(), content, S3LogStore.TIMEOUT)) {
        throw new FileAlreadyExistsException(at.uri());
      }
      return;
    }
    if (filled > 0) {
      sendPart();
    }
    buffer = null;
    try {
      S3LogStore.await(s3.completeMultipartUpload(b -> {
        b.bucket(at.bucket()).key(at.key()).uploadId(uploadId).multipartUpload(u -> u.parts(parts));
        if (!overwrite) {
          b.ifNoneMatch("*");
        }
      }));
    } catch (S3Exception e) {
      abort(e);
      if (e.statusCode() == 412 || e.statusCode() == 409 && !overwrite && exists()) {
        // 409 (ConditionalRequestConflict): another write of the key was in flight, and this upload is spent (S3
        // asks for a new one); when that write made the object, this one lost as on a 412
        throw new FileAlreadyExistsException(at.uri());
      }
      throw e;
    } catch (IOException | RuntimeException e) {
      abort(e);
      throw e;
    }
  }

  /** Whether the object is there now (a HEAD); a failure to ask is taken as no. */
  private boolean exists() {
    try {
      S3LogStore.await(s3.headObject(b -> b.bucket(at.bucket()).key(at.key())));
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Gives the upload up (its parts deleted by S3), after {@code cause}; a failure to abort is added to it. */
  private void abort(Exception cause) {
    closed = true;
    if (uploadId == null) {
      return;
    }
    try {
      S3LogStore.await(s3.abortMultipartUpload(b -> b.bucket(at.bucket()).key(at.key()).uploadId(uploadId)));
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }
}
