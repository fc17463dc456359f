package io.strata.server.runtime;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Traces, when an OTLP endpoint is set ({@code STRATA_TRACING_ENDPOINT}, else {@code OTEL_EXPORTER_OTLP_ENDPOINT}):
 * one span per HTTP request (the api's request filter; a caller's {@code traceparent} is its parent) and, under it,
 * the command's ({@code strata.command}), its data work ({@code strata.data}), its append to the event log
 * ({@code strata.append}) and the wait for its projection ({@code strata.projection}). Spans leave in batches over
 * OTLP/HTTP from the SDK's own thread, never an event loop. Without an endpoint every call here is a no-op.
 *
 * <p>The request's trace context travels in the request's Vert.x (duplicated) context: {@link #current()} reads it
 * where a command is submitted; the command carries it from there to work that runs on another request's turn.
 */
@ApplicationScoped
public class Tracing {
  private static final Logger LOG = Logger.getLogger(Tracing.class);
  /** The MDC key of the trace id in log lines. */
  public static final String MDC_KEY = "trace_id";
  private static final String LOCAL = "strata.trace";
  private static final TextMapGetter<Function<String, String>> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Function<String, String> carrier) {
      return List.of("traceparent", "tracestate");
    }

    @Override
    public String get(Function<String, String> carrier, String key) {
      return carrier == null ? null : carrier.apply(key);
    }
  };

  private final SdkTracerProvider provider;
  private final OpenTelemetry otel;
  private final Tracer tracer;

  public Tracing(StrataConfig config) {
    Optional<String> endpoint = config.tracing().endpoint()
        .or(() -> Optional.ofNullable(System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))).filter(e -> !e.isBlank());
    if (endpoint.isEmpty()) {
      provider = null;
      otel = OpenTelemetry.noop();
    } else {
      String url = tracesUrl(endpoint.get());
      provider = SdkTracerProvider.builder()
          .setResource(Resource.getDefault().merge(Resource.create(
              Attributes.of(AttributeKey.stringKey("service.name"), config.tracing().serviceName()))))
          .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(Math.max(0, Math.min(1, config.tracing().sample())))))
          .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(url).build())
              .setScheduleDelay(Duration.ofSeconds(2)).build())
          .build();
      otel = OpenTelemetrySdk.builder().setTracerProvider(provider)
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
      LOG.infof("tracing: spans go to %s", url);
    }
    tracer = otel.getTracer("io.strata.server");
  }

  /** The collector's traces URL: {@code <endpoint>/v1/traces} unless the endpoint names a path of its own. */
  static String tracesUrl(String endpoint) {
    String e = endpoint.strip();
    String path = URI.create(e).getPath();
    return path == null || path.isEmpty() || path.equals("/") ? e.replaceAll("/+$", "") + "/v1/traces" : e;
  }

  void onStop(@Observes ShutdownEvent e) {
    if (provider != null) {
      provider.shutdown().join(5, TimeUnit.SECONDS); // the last batch leaves
    }
  }

  public boolean enabled() {
    return provider != null;
  }

  /** The trace context a request's {@code traceparent} (and {@code tracestate}) headers carry; root without. */
  public Context extract(Function<String, String> headers) {
    return enabled() ? otel.getPropagators().getTextMapPropagator().extract(Context.root(), headers, HEADERS)
        : Context.root();
  }

  /** Starts a span under {@code parent}; the caller ends it. */
  public Span start(String name, SpanKind kind, Context parent) {
    return enabled() ? tracer.spanBuilder(name).setSpanKind(kind).setParent(parent).startSpan() : Span.getInvalid();
  }

  /** {@code work} in a span named {@code name} under {@code parent}, linked to the spans of {@code linked}. */
  public <T> Uni<T> span(String name, Context parent, List<Context> linked, Supplier<Uni<T>> work) {
    if (!enabled()) {
      return work.get();
    }
    return Uni.createFrom().deferred(() -> {
      SpanBuilder builder = tracer.spanBuilder(name).setParent(parent);
      linked.forEach(c -> builder.addLink(Span.fromContext(c).getSpanContext()));
      Span span = builder.startSpan();
      Uni<T> running;
      try {
        running = work.get();
      } catch (RuntimeException e) {
        running = Uni.createFrom().failure(e);
      }
      return running.onTermination().invoke((item, failure, cancelled) -> end(span, failure));
    });
  }

  /** {@code work} in a span named {@code name} under {@code parent}. */
  public <T> Uni<T> span(String name, Context parent, Supplier<Uni<T>> work) {
    return span(name, parent, List.of(), work);
  }

  /** Ends {@code span}, marked failed when {@code failure} is set. */
  public static void end(Span span, Throwable failure) {
    if (failure != null) {
      span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
    }
    span.end();
  }

  /** Makes {@code context} the current request's trace context (the request's own Vert.x context keeps it). */
  public static void enter(Context context) {
    try {
      ContextLocals.put(LOCAL, context);
    } catch (RuntimeException notARequestContext) {
      // outside a request's duplicated context there is nothing to carry it: its children start their own traces
    }
  }

  /** The current request's trace context; root outside a request (or without tracing). */
  public static Context current() {
    try {
      return ContextLocals.<Context>get(LOCAL).orElse(Context.root());
    } catch (RuntimeException notARequestContext) {
      return Context.root();
    }
  }
}
