package io.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

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
  }

  @Test
  void everythingElseIsLoggedAsEver() {
    assertThat(filter.isLoggable(record(WRITER, new IllegalStateException("the stream failed")))).isTrue();
    assertThat(filter.isLoggable(record(WRITER, null))).isTrue();
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

  private static LogRecord record(String logger, Throwable thrown) {
    LogRecord r = new LogRecord(Level.SEVERE, "Exception in SSE server handling, impossible to send it to client");
    r.setLoggerName(logger);
    r.setThrown(thrown);
    return r;
  }
}
