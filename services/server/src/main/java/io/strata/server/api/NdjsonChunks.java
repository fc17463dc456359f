package io.strata.server.api;

import io.smallrye.mutiny.Multi;
import io.vertx.core.buffer.Buffer;

/**
 * Lines of an NDJSON response written in chunks of many: one write per line would cost a syscall
 * each. The NDJSON writer ends every chunk with a newline itself, so lines are joined without one.
 */
final class NdjsonChunks {
  private static final int LINES = 1_000;

  private NdjsonChunks() {}

  static Multi<Buffer> of(Multi<String> lines) {
    return lines.group().intoLists().of(LINES).map(chunk -> Buffer.buffer(String.join("\n", chunk)));
  }
}
