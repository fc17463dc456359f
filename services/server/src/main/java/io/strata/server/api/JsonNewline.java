package io.strata.server.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.WriterInterceptor;
import jakarta.ws.rs.ext.WriterInterceptorContext;
import java.io.IOException;

/**
 * Ends every JSON answer with a newline, as command-line tools expect of text (without it a shell's
 * prompt lands on the answer's last line). Only {@code application/json} bodies: NDJSON and server-sent
 * events frame their own lines. The newline is written into the entity, so Content-Length counts it.
 */
@Provider
public class JsonNewline implements WriterInterceptor {
  private static final byte[] NEWLINE = {'\n'};

  @Override
  public void aroundWriteTo(WriterInterceptorContext context) throws IOException {
    context.proceed();
    MediaType type = context.getMediaType();
    if (type != null && type.isCompatible(MediaType.APPLICATION_JSON_TYPE)) {
      context.getOutputStream().write(NEWLINE);
    }
  }
}
