package io.strata.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * An S3 server that fails as S3 does, in front of the tests' own ({@link TestS3}): every request is passed on as it
 * came (its signature names this server's address, which s3proxy checks it against), but a Delta log entry's put
 * can be armed to fail with a 500 without reaching S3, or to reach S3 and be answered with a 500 all the same (S3
 * stored it; the writer cannot know). The server under test is allowed its endpoint ({@link TestDatabaseResource}).
 */
public final class S3FaultProxy {
  /** What an armed log entry's put meets. */
  public enum Fault { NONE, FAILS, STORES_THEN_FAILS }

  private static final Pattern LOG_ENTRY = Pattern.compile("/_delta_log/[0-9]{20}\\.json$");
  private static S3FaultProxy shared;

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient client = vertx.createHttpClient();
  private final URI upstream;
  private final HttpServer server;
  private volatile Fault fault = Fault.NONE;
  private final AtomicInteger faulted = new AtomicInteger();

  private S3FaultProxy(URI upstream) throws Exception {
    this.upstream = upstream;
    this.server = vertx.createHttpServer(new HttpServerOptions().setHandle100ContinueAutomatically(true))
        .requestHandler(this::handle).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  public static synchronized S3FaultProxy shared() {
    if (shared == null) {
      try {
        shared = new S3FaultProxy(URI.create(TestS3.shared().endpoint()));
      } catch (Exception e) {
        throw new IllegalStateException("the tests' failing S3 server did not start", e);
      }
    }
    return shared;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** Every log entry's put from now on meets {@code fault}. */
  public void arm(Fault fault) {
    this.fault = fault;
  }

  /** How many puts met a fault so far. */
  public int faulted() {
    return faulted.get();
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      Fault now = request.method().name().equals("PUT") && LOG_ENTRY.matcher(request.path()).find()
          ? fault : Fault.NONE;
      if (now == Fault.FAILS) {
        faulted.incrementAndGet();
        internalError(request);
        return;
      }
      forward(request, body).onComplete(done -> {
        if (done.failed()) {
          request.response().setStatusCode(502).end();
          return;
        }
        HttpClientResponse answer = done.result().answer();
        if (now == Fault.STORES_THEN_FAILS && answer.statusCode() == 200) {
          faulted.incrementAndGet();
          internalError(request);
          return;
        }
        request.response().setStatusCode(answer.statusCode());
        // (a HEAD's answer says the object's length, with no body; others' length is their body's)
        boolean head = request.method().name().equals("HEAD");
        answer.headers().forEach((name, value) -> {
          if (!name.equalsIgnoreCase("transfer-encoding") && (head || !name.equalsIgnoreCase("content-length"))) {
            request.response().headers().add(name, value);
          }
        });
        if (head) {
          request.response().end();
        } else {
          request.response().end(done.result().body());
        }
      });
    });
  }

  private record Answered(HttpClientResponse answer, Buffer body) {}

  private Future<Answered> forward(HttpServerRequest request, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(request.method()).setURI(request.uri())
        .setServer(SocketAddress.inetSocketAddress(upstream.getPort(), upstream.getHost()))
        .setHost(request.authority().host()).setPort(request.authority().port());
    request.headers().forEach((name, value) -> {
      if (!name.equalsIgnoreCase("host") && !name.equalsIgnoreCase("transfer-encoding")
          && !name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("expect")
          && !name.equalsIgnoreCase("connection")) {
        options.addHeader(name, value);
      }
    });
    return client.request(options).compose(r -> r.send(body))
        .compose(answer -> answer.body().map(b -> new Answered(answer, b)));
  }

  private static void internalError(HttpServerRequest request) {
    request.response().setStatusCode(500).putHeader("Content-Type", "application/xml")
        .end("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>injected"
            + "</Message></Error>");
  }
}
