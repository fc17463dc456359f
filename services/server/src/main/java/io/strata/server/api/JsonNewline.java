package io.strata.server.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.WriterInterceptor;
import jakarta.ws.rs.ext.WriterInterceptorContext;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Ends every JSON answer with a newline, as command-line tools expect of text (without it a shell's
 * prompt lands on the answer's last line). Only {@code application/json} bodies: NDJSON and server-sent
 * events frame their own lines. The newline goes through the response's own stream before it is closed,
 * so Content-Length counts it.
 */
@Provider
public class JsonNewline implements WriterInterceptor {
  @Override
  public void aroundWriteTo(WriterInterceptorContext context) throws IOException {
    MediaType type = context.getMediaType();
    if (type == null || !type.isCompatible(MediaType.APPLICATION_JSON_TYPE)) {
      context.proceed();
      return;
    }
    EndsWithNewline out = new EndsWithNewline(context.getOutputStream());
    context.setOutputStream(out);
    context.proceed();
    out.end(); // a writer that leaves the stream open
  }

  /** Writes one newline after the body: when the writer closes the stream, or when it is done with it. */
  private static final class EndsWithNewline extends FilterOutputStream {
    private boolean ended;

    EndsWithNewline(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len); // FilterOutputStream would write byte by byte
    }

    void end() throws IOException {
      if (!ended) {
        ended = true;
        out.write('\n');
      }
    }

    @Override
    public void close() throws IOException {
      end();
      super.close();
    }
  }
}
