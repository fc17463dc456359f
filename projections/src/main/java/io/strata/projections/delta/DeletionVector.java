package io.strata.projections.delta;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.data.Row;
import io.delta.kernel.types.StructType;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * A data file's deletion vector as its {@code add} action names it (Delta's PROTOCOL.md, "Deletion Vector
 * Descriptor Schema"): the rows of the file the table no longer holds. Strata never writes one; it carries those
 * other engines wrote — into a branch's first version, into a remove of the file, into the table a move gives files
 * to — and compares them, since two versions holding the same file with other vectors hold other rows. Kernel applies
 * them when it reads a file ({@link DeltaTable#rowsByFile}).
 *
 * @param storageType {@code u}: a file in the table's directory named by a UUID, {@code p}: a file at an absolute
 *     URI, {@code i}: the vector inline
 * @param pathOrInlineDv the UUID (Z85, after an optional directory prefix), the URI, or the inline vector
 * @param offset where the vector starts in its file (null: at its start; none for an inline vector)
 */
public record DeletionVector(String storageType, String pathOrInlineDv, Integer offset, int sizeInBytes,
    long cardinality) {

  /** The vector a {@code deletionVector} struct of an action names, or null when there is none. */
  static DeletionVector of(Row action) {
    StructType schema = action.getSchema();
    int at = schema.indexOf("deletionVector");
    if (at < 0 || action.isNullAt(at)) {
      return null;
    }
    Row dv = action.getStruct(at);
    StructType fields = dv.getSchema();
    int offset = fields.indexOf("offset");
    return new DeletionVector(dv.getString(fields.indexOf("storageType")),
        dv.getString(fields.indexOf("pathOrInlineDv")),
        offset < 0 || dv.isNullAt(offset) ? null : dv.getInt(offset), dv.getInt(fields.indexOf("sizeInBytes")),
        dv.getLong(fields.indexOf("cardinality")));
  }

  /**
   * The same vector as another table's log must name it: by absolute URI ({@code p}) when it is a file of the table
   * at {@code tableRoot} named by UUID; as it is otherwise.
   */
  DeletionVector absoluteIn(URI tableRoot) {
    return "u".equals(storageType)
        ? new DeletionVector("p", file(tableRoot), offset, sizeInBytes, cardinality) : this;
  }

  /** The vector's file as an absolute URI ({@code tableRoot}: the table whose log names it), or null when inline. */
  String file(URI tableRoot) {
    return switch (storageType) {
      case "p" -> DeltaFile.uri(pathOrInlineDv);
      case "u" -> {
        // <random prefix><20 characters of Z85: the UUID> → <root>/<prefix>/deletion_vector_<uuid>.bin
        int split = pathOrInlineDv.length() - 20;
        if (split < 0) {
          throw new IllegalArgumentException("deletion vector " + pathOrInlineDv + " names no UUID");
        }
        String prefix = pathOrInlineDv.substring(0, split);
        String root = tableRoot.toString().endsWith("/") ? tableRoot.toString() : tableRoot + "/";
        yield DeltaFile.uri(root + (prefix.isEmpty() ? "" : prefix + "/") + "deletion_vector_"
            + uuid(pathOrInlineDv.substring(split)) + ".bin");
      }
      case "i" -> null;
      default -> throw new IllegalArgumentException("deletion vector storage type " + storageType + " is unknown");
    };
  }

  /** The vector in another file ({@link DeltaStorage#adopt}: a copy in the table's own directory), by its URI. */
  DeletionVector at(String absoluteUri) {
    return new DeletionVector("p", absoluteUri, offset, sizeInBytes, cardinality);
  }

  /** What names the vector whichever log names it ({@code tableRoot}: that log's table): its file and offset. */
  String identity(URI tableRoot) {
    String file = file(tableRoot);
    return file == null ? "i:" + pathOrInlineDv : file + "@" + (offset == null ? 1 : offset);
  }

  /** Writes the vector as the {@code deletionVector} field of an action. */
  void into(ObjectNode action) {
    ObjectNode dv = action.putObject("deletionVector").put("storageType", storageType)
        .put("pathOrInlineDv", pathOrInlineDv);
    if (offset != null) {
      dv.put("offset", offset);
    }
    dv.put("sizeInBytes", sizeInBytes).put("cardinality", cardinality);
  }

  private static final String Z85 =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

  /** A UUID written as 20 characters of Z85 (ZeroMQ's RFC 32: each 5 characters, base 85, are 4 bytes big-endian). */
  static UUID uuid(String z85) {
    ByteBuffer bytes = ByteBuffer.allocate(16);
    for (int i = 0; i < 20; i += 5) {
      long value = 0;
      for (int j = i; j < i + 5; j++) {
        int digit = Z85.indexOf(z85.charAt(j));
        if (digit < 0) {
          throw new IllegalArgumentException("deletion vector " + z85 + " is not Z85");
        }
        value = value * 85 + digit;
      }
      bytes.putInt((int) value);
    }
    bytes.flip();
    return new UUID(bytes.getLong(), bytes.getLong());
  }
}
