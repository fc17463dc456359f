package io.strata.server.api;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.quarkus.logging.LoggingFilter;
import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.util.logging.Filter;
import java.util.logging.LogRecord;

/**
 * Keeps a client's hang-up out of the error log. RESTEasy logs an ERROR with a stack trace ("Exception
 * in SSE server handling, impossible to send it to client") whenever a streamed answer (server-sent
 * events, NDJSON) cannot be written because its connection is gone: a browser tab closed, a consumer
 * restarted, a connection cut while the server stops (over HTTP/2: the stream closed under a pending
 * write, {@code Http2Exception} STREAM_CLOSED or CANCEL). That is how streams end; the stream is
 * cancelled and its subscription closed either way (EventFeed), so the record says nothing an
 * operator can act on. Only those records are dropped: one about anything else (the stream's own
 * failure) is logged as ever.
 *
 * <p>Likewise a connection accepted in the instant the server stops: Netty's acceptor still takes it,
 * finds Vert.x's event loops already gone ({@code VertxEventLoopGroup.next} throws
 * IllegalStateException) and logs a WARN with a stack trace before closing it. The client sees its
 * connection refused, as it would a moment later; the record is dropped only in that shape.
 *
 * <p>And a stream's end racing its client's reset over HTTP/2: when a stream completes (the feed
 * closes its subscribers as the server stops) after the client reset it, RESTEasy's end of the answer
 * asks Vert.x to read the request on, which throws IllegalStateException ("Request has already been
 * read") from {@code Http2ServerRequest}; nobody is there to answer, and Mutiny logs the dropped
 * exception as an ERROR. Dropped only in that shape: thrown by Http2ServerRequest under RESTEasy's
 * stream writer.
 */
@LoggingFilter(name = "strata-client-gone")
public final class ClientGoneLogFilter implements Filter {
  private static final String STREAM_WRITER = "org.jboss.resteasy.reactive.server.handlers.PublisherResponseHandler";
  private static final String ACCEPTOR = "io.netty.bootstrap.ServerBootstrap";
  private static final String STOPPED_LOOPS = "io.vertx.core.net.impl.VertxEventLoopGroup";
  private static final String MUTINY = "io.quarkus.mutiny.runtime.MutinyInfrastructure";
  private static final String HTTP2_REQUEST = "io.vertx.core.http.impl.Http2ServerRequest";

  @Override
  public boolean isLoggable(LogRecord record) {
    return !(STREAM_WRITER.equals(record.getLoggerName()) && connectionGone(record.getThrown()))
        && !(ACCEPTOR.equals(record.getLoggerName()) && acceptedWhileStopping(record.getThrown()))
        && !(MUTINY.equals(record.getLoggerName()) && streamEndedAfterReset(record.getThrown()));
  }

  /** Whether {@code failure} is the end of a streamed answer whose HTTP/2 stream the client reset. */
  static boolean streamEndedAfterReset(Throwable failure) {
    if (!(failure instanceof IllegalStateException) || failure.getStackTrace().length == 0
        || !HTTP2_REQUEST.equals(failure.getStackTrace()[0].getClassName())) {
      return false;
    }
    for (StackTraceElement frame : failure.getStackTrace()) {
      if (frame.getClassName().startsWith(STREAM_WRITER)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code failure} is Vert.x refusing a new connection because its event loops are stopped. */
  static boolean acceptedWhileStopping(Throwable failure) {
    return failure instanceof IllegalStateException && failure.getStackTrace().length > 0
        && STOPPED_LOOPS.equals(failure.getStackTrace()[0].getClassName());
  }

  /**
   * Whether {@code failure} is a write to a connection that is closed or reset (broken pipe and the
   * like), or to an HTTP/2 stream that closed or was cancelled before the write took place.
   */
  static boolean connectionGone(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException || t instanceof HttpClosedException || streamGone(t)) {
        return true;
      }
    }
    return false;
  }

  private static boolean streamGone(Throwable t) {
    return t instanceof Http2Exception.StreamException e
        && (e.error() == Http2Error.STREAM_CLOSED || e.error() == Http2Error.CANCEL);
  }
}
