package io.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** Only a stream writer's failure to write to a connection that is gone stays out of the log. */
class ClientGoneLogFilterTest {
  private static final String WRITER = "org.jboss.resteasy.reactive.server.handlers.PublisherResponseHandler";
  private final ClientGoneLogFilter filter = new ClientGoneLogFilter();

  @Test
  void aHangUpWhileAStreamIsWrittenIsNotLogged() {
    assertThat(filter.isLoggable(record(WRITER, new IOException("Broken pipe")))).isFalse();
    assertThat(filter.isLoggable(record(WRITER, new UncheckedIOException(new IOException("Connection reset")))))
        .isFalse();
    assertThat(filter.isLoggable(record(WRITER, new HttpClosedException("Connection was closed")))).isFalse();
    // over HTTP/2, the connection closing as the server stops cancels the stream's pending write
    assertThat(filter.isLoggable(record(WRITER, Http2Exception.streamError(81, Http2Error.STREAM_CLOSED,
        "Stream closed before write could take place")))).isFalse();
    assertThat(filter.isLoggable(record(WRITER, Http2Exception.streamError(81, Http2Error.CANCEL, "cancelled"))))
        .isFalse();
  }

  @Test
  void everythingElseIsLoggedAsEver() {
    assertThat(filter.isLoggable(record(WRITER, new IllegalStateException("the stream failed")))).isTrue();
    assertThat(filter.isLoggable(record(WRITER, null))).isTrue();
    assertThat(filter.isLoggable(record(WRITER, Http2Exception.streamError(81, Http2Error.PROTOCOL_ERROR,
        "a protocol error")))).isTrue();
    assertThat(filter.isLoggable(record(WRITER, Http2Exception.connectionError(Http2Error.STREAM_CLOSED,
        "a connection-level error")))).isTrue();
    assertThat(filter.isLoggable(record("io.strata.server.api.ErrorMappers", new IOException("Broken pipe"))))
        .isTrue();
  }

  @Test
  void aConnectionAcceptedWhileTheServerStopsIsNotLoggedButOtherAcceptorFailuresAre() {
    String acceptor = "io.netty.bootstrap.ServerBootstrap";
    IllegalStateException loopsGone = new IllegalStateException();
    loopsGone.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("io.vertx.core.net.impl.VertxEventLoopGroup", "next", "VertxEventLoopGroup.java", 37)});
    assertThat(filter.isLoggable(record(acceptor, loopsGone))).isFalse();
    assertThat(filter.isLoggable(record(acceptor, new IllegalStateException("something else")))).isTrue();
    assertThat(filter.isLoggable(record(acceptor, new IOException("Too many open files")))).isTrue();
    assertThat(filter.isLoggable(record("io.vertx.core.net.impl.TCPServerBase", loopsGone))).isTrue();
  }

  @Test
  void aStreamEndingAfterItsHttp2ClientResetIsNotLoggedButOtherDroppedFailuresAre() {
    String mutiny = "io.quarkus.mutiny.runtime.MutinyInfrastructure";
    IllegalStateException afterReset = new IllegalStateException("Request has already been read");
    afterReset.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("io.vertx.core.http.impl.Http2ServerRequest", "checkEnded", "Http2ServerRequest.java", 205),
        new StackTraceElement("io.vertx.core.http.impl.Http2ServerResponse", "end", "Http2ServerResponse.java", 429),
        new StackTraceElement(WRITER + "$AbstractMultiSubscriber", "onComplete", "PublisherResponseHandler.java", 234)});
    assertThat(filter.isLoggable(record(mutiny, afterReset))).isFalse();
    IllegalStateException elsewhere = new IllegalStateException("Request has already been read");
    elsewhere.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("io.vertx.core.http.impl.Http2ServerRequest", "checkEnded", "Http2ServerRequest.java", 205),
        new StackTraceElement("io.strata.server.api.Something", "run", "Something.java", 1)});
    assertThat(filter.isLoggable(record(mutiny, elsewhere))).isTrue();
    assertThat(filter.isLoggable(record(mutiny, new IllegalStateException("a bug")))).isTrue();
    assertThat(filter.isLoggable(record(WRITER, afterReset))).isTrue();
  }

  private static LogRecord record(String logger, Throwable thrown) {
    LogRecord r = new LogRecord(Level.SEVERE, "Exception in SSE server handling, impossible to send it to client");
    r.setLoggerName(logger);
    r.setThrown(thrown);
    return r;
  }
}
