package io.strata.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Streamed response bodies written in chunks of many elements: one write per element would cost a
 * syscall each, and the whole body at once would hold it all in memory.
 */
final class ResponseChunks {
  private static final int ELEMENTS = 1_000;

  private ResponseChunks() {}

  /** NDJSON lines. The NDJSON writer ends every chunk with a newline itself, so lines are joined without one. */
  static Multi<Buffer> ndjson(Multi<String> lines) {
    return lines.group().intoLists().of(ELEMENTS).map(chunk -> Buffer.buffer(String.join("\n", chunk)));
  }

  /**
   * A JSON object: the fields of {@code head}, then {@code arrayField} holding {@code elements}, all
   * written by one Jackson generator whose output is handed on a chunk of elements at a time.
   */
  static Multi<Buffer> objectWithArray(ObjectMapper json, ObjectNode head, String arrayField, Multi<?> elements) {
    return Multi.createFrom().deferred(() -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      JsonGenerator generator = generator(json, out);
      Multi<Buffer> start = Multi.createFrom().item(() -> written(out, () -> {
        generator.writeStartObject();
        for (var field : head.properties()) {
          generator.writeFieldName(field.getKey());
          generator.writeTree(field.getValue());
        }
        generator.writeFieldName(arrayField);
        generator.writeStartArray();
        generator.flush();
      }));
      Multi<Buffer> array = elements.group().intoLists().of(ELEMENTS).map(chunk -> written(out, () -> {
        for (Object element : chunk) {
          json.writeValue(generator, element);
        }
        generator.flush();
      }));
      Multi<Buffer> end = Multi.createFrom().item(() -> written(out, () -> {
        generator.writeEndArray();
        generator.writeEndObject();
        generator.close();
      }));
      return Multi.createBy().concatenating().streams(start, array, end);
    });
  }

  private interface Writing {
    void write() throws IOException;
  }

  private static JsonGenerator generator(ObjectMapper json, ByteArrayOutputStream out) {
    try {
      return json.getFactory().createGenerator(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What {@code writing} added to {@code out}, taken out of it. */
  private static Buffer written(ByteArrayOutputStream out, Writing writing) {
    try {
      writing.write();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Buffer chunk = Buffer.buffer(out.toByteArray());
    out.reset();
    return chunk;
  }
}
