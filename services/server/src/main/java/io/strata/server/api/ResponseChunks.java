package io.strata.server.api;

import io.smallrye.mutiny.Multi;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.atomic.AtomicBoolean;

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
   * A JSON document whose last member is an array of {@code elements} (JSON texts): {@code head} is
   * the document up to the array's opening bracket, and the array and document are closed after it.
   */
  static Multi<Buffer> jsonWithArray(String head, Multi<String> elements) {
    return Multi.createFrom().deferred(() -> {
      AtomicBoolean first = new AtomicBoolean(true);
      Multi<Buffer> array = elements.group().intoLists().of(ELEMENTS)
          .map(chunk -> Buffer.buffer((first.getAndSet(false) ? "" : ",") + String.join(",", chunk)));
      return Multi.createBy().concatenating().streams(Multi.createFrom().item(Buffer.buffer(head)), array,
          Multi.createFrom().item(Buffer.buffer("]}")));
    });
  }
}
