package io.strata.projections.delta;

import io.delta.kernel.defaults.engine.fileio.FileIO;
import io.delta.kernel.defaults.engine.fileio.InputFile;
import io.delta.kernel.defaults.engine.fileio.OutputFile;
import io.delta.kernel.defaults.engine.fileio.PositionOutputStream;
import io.delta.kernel.defaults.engine.fileio.SeekableInputStream;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Delta Kernel's file I/O on S3 through the SDK's async client, for {@code s3://bucket/key} paths: ranged reads,
 * writes of one part in memory at a time ({@link S3Upload}), listing in key order, and writes that must not replace
 * an object made with {@code If-None-Match: *}. Kernel calls it synchronously, so every call waits for the client's future: Kernel runs on
 * Strata's worker pool, never on an event loop.
 */
public final class S3FileIO implements FileIO {
  private final S3AsyncClient s3;
  private final int partSize;

  public S3FileIO(S3AsyncClient s3) {
    this(s3, S3Upload.PART_SIZE);
  }

  /** The same, files larger than {@code partSize} bytes uploaded in parts of that size. */
  public S3FileIO(S3AsyncClient s3, int partSize) {
    this.s3 = s3;
    this.partSize = partSize;
  }

  @Override
  public CloseableIterator<FileStatus> listFrom(String filePath) throws IOException {
    S3Location from = S3Location.of(filePath);
    int slash = from.key().lastIndexOf('/');
    String directory = slash < 0 ? "" : from.key().substring(0, slash + 1);
    // from just below the name on (S3 lists after startAfter; the filter below drops what lies between), so a
    // snapshot's listing from its last checkpoint does not read the whole log's names
    String key = from.key();
    char last = key.isEmpty() ? 0 : key.charAt(key.length() - 1);
    String startAfter = last > 0 && last < 0x80 ? key.substring(0, key.length() - 1) + (char) (last - 1) : null;
    List<S3Object> objects = new ArrayList<>();
    S3LogStore.await(s3.listObjectsV2Paginator(b -> b.bucket(from.bucket()).prefix(directory).startAfter(startAfter))
        .contents().subscribe(objects::add));
    List<FileStatus> files = new ArrayList<>();
    for (S3Object o : objects) {
      // the same directory only, from the name given on (S3 lists keys in UTF-8 binary order)
      if (o.key().indexOf('/', directory.length()) < 0 && o.key().compareTo(from.key()) >= 0) {
        files.add(FileStatus.of("s3://" + from.bucket() + "/" + o.key(), o.size(), o.lastModified().toEpochMilli()));
      }
    }
    return DeltaTable.iterator(files);
  }

  @Override
  public FileStatus getFileStatus(String path) throws IOException {
    S3Location at = S3Location.of(path);
    try {
      HeadObjectResponse head = S3LogStore.await(s3.headObject(b -> b.bucket(at.bucket()).key(at.key())));
      return FileStatus.of(path, head.contentLength(), head.lastModified().toEpochMilli());
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new FileNotFoundException(path);
      }
      throw e;
    }
  }

  @Override
  public String resolvePath(String path) {
    S3Location at = S3Location.of(path);
    return at.uri();
  }

  @Override
  public boolean mkdirs(String path) {
    return true; // S3 has no directories
  }

  @Override
  public InputFile newInputFile(String path, long fileSize) {
    return new InputFile() {
      @Override
      public long length() throws IOException {
        return fileSize >= 0 ? fileSize : getFileStatus(path).getSize();
      }

      @Override
      public String path() {
        return path;
      }

      @Override
      public SeekableInputStream newStream() throws IOException {
        return new RangedStream(S3Location.of(path));
      }
    };
  }

  @Override
  public OutputFile newOutputFile(String path) {
    S3Location at = S3Location.of(path);
    return new OutputFile() {
      @Override
      public String path() {
        return path;
      }

      @Override
      public PositionOutputStream create(boolean overwrite) {
        return new S3Upload(s3, at, overwrite, partSize);
      }

      @Override
      public void writeAtomically(CloseableIterator<String> lines, boolean overwrite) throws IOException {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        try (lines) {
          while (lines.hasNext()) {
            content.write(lines.next().getBytes(StandardCharsets.UTF_8));
            content.write('\n');
          }
        }
        put(at, content.toByteArray(), overwrite);
      }
    };
  }

  @Override
  public boolean delete(String path) throws IOException {
    S3Location at = S3Location.of(path);
    S3LogStore.await(s3.deleteObject(b -> b.bucket(at.bucket()).key(at.key())));
    return true;
  }

  @Override
  public Optional<String> getConf(String key) {
    return Optional.empty();
  }

  @Override
  public void copyFileAtomically(String from, String to, boolean overwrite) throws IOException {
    S3Location source = S3Location.of(from);
    byte[] content = S3LogStore.await(s3.getObject(b -> b.bucket(source.bucket()).key(source.key()),
        AsyncResponseTransformer.toBytes())).asByteArray();
    put(S3Location.of(to), content, overwrite);
  }

  private void put(S3Location at, byte[] content, boolean overwrite) throws IOException {
    if (overwrite) {
      S3LogStore.await(s3.putObject(b -> b.bucket(at.bucket()).key(at.key()), AsyncRequestBody.fromBytes(content)));
    } else if (!S3LogStore.putIfAbsent(s3, at.bucket(), at.key(), content, S3LogStore.TIMEOUT)) {
      throw new FileAlreadyExistsException(at.uri());
    }
  }

  /** Reads from a position by a ranged GET, opening another from the new position after a seek. */
  private final class RangedStream extends SeekableInputStream {
    private final S3Location at;
    private long position;
    private InputStream open;

    RangedStream(S3Location at) {
      this.at = at;
    }

    private InputStream stream() throws IOException {
      if (open == null) {
        long from = position;
        try {
          ResponseInputStream<GetObjectResponse> response = S3LogStore.await(s3.getObject(b -> {
            b.bucket(at.bucket()).key(at.key());
            if (from > 0) {
              b.range("bytes=" + from + "-");
            }
          }, AsyncResponseTransformer.toBlockingInputStream()));
          open = response;
        } catch (S3Exception e) {
          if (e.statusCode() == 404) {
            // Kernel reads a missing file (a table's _last_checkpoint, say) as "there is none"
            throw new FileNotFoundException(at.uri());
          }
          if (e.statusCode() == 416) {
            open = InputStream.nullInputStream(); // from past the end: nothing more
          } else {
            throw e;
          }
        }
      }
      return open;
    }

    @Override
    public int read() throws IOException {
      int b = stream().read();
      if (b >= 0) {
        position++;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int count) throws IOException {
      int n = stream().read(buffer, offset, count);
      if (n > 0) {
        position += n;
      }
      return n;
    }

    @Override
    public long getPos() {
      return position;
    }

    @Override
    public void seek(long newPosition) throws IOException {
      if (newPosition != position) {
        close();
        position = newPosition;
      }
    }

    @Override
    public void readFully(byte[] buffer, int offset, int count) throws IOException {
      int done = 0;
      while (done < count) {
        int n = read(buffer, offset + done, count - done);
        if (n < 0) {
          throw new EOFException("end of " + at.uri() + " after " + position + " bytes");
        }
        done += n;
      }
    }

    @Override
    public void close() throws IOException {
      if (open != null) {
        open.close();
        open = null;
      }
    }
  }
}
