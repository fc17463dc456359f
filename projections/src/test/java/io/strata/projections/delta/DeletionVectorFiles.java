package io.strata.projections.delta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import java.util.zip.CRC32;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * Writes deletion vectors as another engine does (Delta's PROTOCOL.md, "Deletion Vector Format"), for tests of the
 * tables Strata carries them in: a file {@code deletion_vector_<uuid>.bin} in a table's directory holding one
 * vector, named by its UUID ({@code u}). Strata itself never writes one.
 */
public final class DeletionVectorFiles {
  private static final String Z85 =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

  private DeletionVectorFiles() {
  }

  /** A vector deleting the rows at {@code rowIndexes} (each below 65 536) of a file, written in {@code tableDir}. */
  public static DeletionVector write(Path tableDir, int... rowIndexes) throws IOException {
    UUID id = UUID.randomUUID();
    byte[] file = file(rowIndexes);
    Files.write(tableDir.resolve("deletion_vector_" + id + ".bin"), file);
    return descriptor(id, file, rowIndexes);
  }

  /** {@link #write} to a table on S3 at {@code root}. */
  public static DeletionVector put(S3AsyncClient s3, S3Location root, int... rowIndexes) {
    UUID id = UUID.randomUUID();
    byte[] file = file(rowIndexes);
    S3Location at = root.resolve("deletion_vector_" + id + ".bin");
    s3.putObject(b -> b.bucket(at.bucket()).key(at.key()), AsyncRequestBody.fromBytes(file)).join();
    return descriptor(id, file, rowIndexes);
  }

  private static DeletionVector descriptor(UUID id, byte[] file, int... rowIndexes) {
    return new DeletionVector("u", z85(id), 1, file.length - 9, (int) Arrays.stream(rowIndexes).distinct().count());
  }

  /** A vector's file: its format version, then the vector at offset 1: its size, its bytes, their checksum. */
  private static byte[] file(int... rowIndexes) {
    int[] rows = Arrays.stream(rowIndexes).sorted().distinct().toArray();
    // the RoaringBitmapArray's portable form: its magic, one 32-bit bitmap (key 0) in Roaring's portable form, an
    // array container of the row indexes (cookie without run containers, count, key and cardinality - 1, offset)
    ByteBuffer data = ByteBuffer.allocate(4 + 8 + 4 + 16 + 2 * rows.length).order(ByteOrder.LITTLE_ENDIAN);
    data.putInt(1681511377).putLong(1).putInt(0);
    data.putInt(12346).putInt(1).putShort((short) 0).putShort((short) (rows.length - 1)).putInt(16);
    for (int row : rows) {
      data.putShort((short) row);
    }
    byte[] bitmap = data.array();
    CRC32 crc = new CRC32();
    crc.update(bitmap);
    ByteBuffer file = ByteBuffer.allocate(1 + 4 + bitmap.length + 4); // big-endian, as the protocol says
    file.put((byte) 1).putInt(bitmap.length).put(bitmap).putInt((int) crc.getValue());
    return file.array();
  }

  /** A UUID as 20 characters of Z85 (4 bytes big-endian are 5 digits of base 85). */
  static String z85(UUID id) {
    ByteBuffer bytes = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits());
    bytes.flip();
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      long value = Integer.toUnsignedLong(bytes.getInt());
      char[] digits = new char[5];
      for (int d = 4; d >= 0; d--) {
        digits[d] = Z85.charAt((int) (value % 85));
        value /= 85;
      }
      out.append(digits);
    }
    return out.toString();
  }
}
