package io.strata.server.api;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A stand-in OTLP/HTTP collector for tests: takes {@code POST /v1/traces} (protobuf) and keeps each span's trace id,
 * span id, parent span id and name, read with a few lines of protobuf wire-format decoding (no generated classes).
 */
final class OtlpCollector {
  record CollectedSpan(String traceId, String spanId, String parentSpanId, String name) {}

  /**
   * The test's profile (which names the endpoint) and the test itself run in different class loaders: what they
   * share goes through the system properties as text — the port, and the file the spans are written to, one
   * "trace span parent name" a line.
   */
  private static final String PORT = "test.otlp-collector.port";
  private static final String FILE = "test.otlp-collector.file";

  private final int port;
  private final Path file;

  private OtlpCollector(int port, Path file) {
    this.port = port;
    this.file = file;
  }

  static OtlpCollector shared() {
    synchronized (System.getProperties()) {
      if (System.getProperty(PORT) == null) {
        try {
          Path file = Files.createTempFile("otlp-spans", ".txt");
          file.toFile().deleteOnExit();
          System.setProperty(FILE, file.toString());
          System.setProperty(PORT, Integer.toString(start(file)));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return new OtlpCollector(Integer.parseInt(System.getProperty(PORT)), Path.of(System.getProperty(FILE)));
    }
  }

  private static int start(Path file) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/traces", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      try {
        StringBuilder lines = new StringBuilder();
        parse(body).forEach(s -> lines.append(s.traceId()).append(' ').append(s.spanId()).append(' ')
            .append(s.parentSpanId().isEmpty() ? "-" : s.parentSpanId()).append(' ').append(s.name()).append('\n'));
        synchronized (OtlpCollector.class) {
          Files.writeString(file, lines, StandardOpenOption.APPEND);
        }
      } finally {
        exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, -1);
        exchange.close();
      }
    });
    server.start();
    return server.getAddress().getPort();
  }

  String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  List<CollectedSpan> spans() {
    try {
      return Files.readAllLines(file).stream().map(line -> line.split(" ", 4))
          .map(f -> new CollectedSpan(f[0], f[1], f[2].equals("-") ? "" : f[2], f[3])).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** ExportTraceServiceRequest: resource_spans (1) → scope_spans (2) → spans (2): ids 1, 2, parent 4, name 5. */
  static List<CollectedSpan> parse(byte[] request) {
    List<CollectedSpan> out = new ArrayList<>();
    for (byte[] resourceSpans : bytes(request, 1)) {
      for (byte[] scopeSpans : bytes(resourceSpans, 2)) {
        for (byte[] span : bytes(scopeSpans, 2)) {
          out.add(new CollectedSpan(hex(first(span, 1)), hex(first(span, 2)), hex(first(span, 4)),
              new String(first(span, 5), java.nio.charset.StandardCharsets.UTF_8)));
        }
      }
    }
    return out;
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static byte[] first(byte[] message, int field) {
    List<byte[]> all = bytes(message, field);
    return all.isEmpty() ? new byte[0] : all.get(0);
  }

  /** The length-delimited values of {@code field} in {@code message}. */
  private static List<byte[]> bytes(byte[] message, int field) {
    List<byte[]> out = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(message);
    while (in.hasRemaining()) {
      long tag = varint(in);
      int number = (int) (tag >>> 3);
      switch ((int) (tag & 7)) {
        case 0 -> varint(in);
        case 1 -> in.position(in.position() + 8);
        case 5 -> in.position(in.position() + 4);
        case 2 -> {
          byte[] value = new byte[(int) varint(in)];
          in.get(value);
          if (number == field) {
            out.add(value);
          }
        }
        default -> throw new IllegalArgumentException("wire type " + (tag & 7) + " in an OTLP request");
      }
    }
    return out;
  }

  private static long varint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = in.get();
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
  }
}
