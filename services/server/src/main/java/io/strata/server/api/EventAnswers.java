package io.strata.server.api;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventType;
import io.strata.projections.log.EventLog.FeedCursor;
import io.strata.server.auth.Identity;
import io.strata.server.auth.RequestIdentity;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Names;
import io.strata.server.domain.StrataException;
import io.strata.server.queries.EventFeed;
import io.strata.server.queries.EventFeed.Entry;
import io.strata.server.queries.EventFeed.Selection;
import io.strata.server.queries.EventFeed.Subscription;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * What the event endpoints answer (EventResource, RepositoryEventResource): pages of CloudEvents as
 * JSON, or a live stream of server-sent events resumed with {@code Last-Event-ID}. Order is the log's
 * commit order (see {@link io.strata.projections.log.EventLog#readFeed}); a token sees only its
 * repositories.
 */
@ApplicationScoped
public class EventAnswers {
  static final String LAST_EVENT_ID = "The last event's id (position) a reconnecting stream saw: it resumes just"
      + " after it";

  /** Events per SSE batch: the most one subscriber holds in the server at a time. */
  private static final int STREAM_BATCH = 100;

  @Inject EventFeed feed;
  @Inject RequestIdentity identity;
  @Inject StrataConfig config;
  /** Vert.x closes a connection that neither reads nor writes for this long: the heartbeats must come sooner. */
  @ConfigProperty(name = "quarkus.http.idle-timeout", defaultValue = "30M") Duration idleTimeout;

  /**
   * A stream lives as long as its subscriber: each heartbeat is a write, and a connection that
   * writes is not idle, so a heartbeat shorter than the idle timeout keeps a silent stream open. A
   * longer one would cut every stream at the first lull, so it stops the start instead.
   */
  void checkHeartbeat(@Observes StartupEvent start) {
    Duration heartbeat = config.events().heartbeat();
    if (heartbeat.isZero() || heartbeat.isNegative() || heartbeat.compareTo(idleTimeout) >= 0) {
      throw new IllegalArgumentException("STRATA_EVENTS_HEARTBEAT (" + heartbeat + ") must be above zero and"
          + " below quarkus.http.idle-timeout (" + idleTimeout + "), which closes a connection silent for"
          + " that long");
    }
  }

  /** A page of the feed: the events, and the position to ask {@code after} next. */
  public record EventPageDto(List<Map<String, Object>> items, long next) {}

  Uni<EventPageDto> page(Selection selection, String after, String limit) {
    int size = Params.page(limit, null).limit();
    long from = position("after", after, 0);
    return cursor("after", from).chain(cursor -> feed.page(selection, cursor, size)).map(entries -> new EventPageDto(
        entries.stream().map(EventAnswers::asMap).toList(),
        entries.isEmpty() ? from : entries.get(entries.size() - 1).position()));
  }

  /**
   * From {@code Last-Event-ID} (a reconnecting client), else {@code after}, else from now on. The
   * stream pulls one batch at a time, when the previous one was written to the client.
   */
  Multi<OutboundSseEvent> stream(Selection selection, String after, String lastEventId, Sse sse) {
    String field = lastEventId != null ? "Last-Event-ID" : "after";
    long from = position(field, lastEventId != null ? lastEventId : after, -1);
    if (feed.subscriberCount() >= config.events().maxSubscribers()) {
      throw new StrataException(ErrorCode.TooManySubscribers, "this server has " + config.events().maxSubscribers()
          + " event streams open already (STRATA_EVENTS_MAX_SUBSCRIBERS); retry later or read JSON pages",
          Map.of("limit", config.events().maxSubscribers()));
    }
    Duration heartbeat = config.events().heartbeat();
    OutboundSseEvent beat = sse.newEventBuilder().comment("heartbeat").build();
    Uni<FeedCursor> start = from < 0 ? feed.end() : cursor(field, from);
    return start.onItem().transformToMulti(cursor -> {
      Subscription subscription = feed.subscribe(selection, cursor);
      // as long as the subscriber stays, whatever the silence (heartbeats fill it); the server's stop
      // closes the subscription and ends the stream, and the client resumes elsewhere with Last-Event-ID
      return Multi.createBy().repeating().uni(() -> subscription, s -> s.next(STREAM_BATCH, heartbeat))
          .until(batch -> batch.isEmpty() && !subscription.open())
          .onItem().transformToIterable(batch -> batch.isEmpty()
              ? List.of(beat)
              : batch.stream().map(e -> event(sse, e)).toList())
          .onTermination().invoke(subscription::close);
    });
  }

  private static OutboundSseEvent event(Sse sse, Entry e) {
    return sse.newEventBuilder().id(Long.toString(e.position())).name(e.type())
        .mediaType(MediaType.APPLICATION_JSON_TYPE).data(e.json()).build();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Entry e) {
    try {
      return io.strata.events.EventCodec.mapper().readValue(e.json(), Map.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException bug) {
      throw new IllegalStateException("a CloudEvent we wrote does not read back", bug);
    }
  }

  /** The repositories asked for, as far as the token sees them (null: every one it sees). */
  Set<String> repositories(String repository) {
    Identity who = identity.current().filter(t -> !t.allRepositories()).orElse(null);
    if (repository == null || repository.isEmpty()) {
      return who == null ? null : Set.copyOf(who.repositories());
    }
    Set<String> asked = new LinkedHashSet<>();
    for (String name : repository.split(",", -1)) {
      String trimmed = name.trim();
      try {
        Names.repository(trimmed);
      } catch (StrataException invalid) {
        throw StrataException.invalid("repository", "'" + shown(trimmed) + "' is not a repository name: names are"
            + " 1-100 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit");
      }
      if (who != null && !who.sees(trimmed)) {
        throw StrataException.repositoryNotFound(trimmed); // as for every repository it may not see
      }
      asked.add(trimmed);
    }
    return asked;
  }

  static Selection selection(Set<String> repositories, String types) {
    if (types == null || types.isEmpty()) {
      return new Selection(repositories, null);
    }
    Set<String> stored = new LinkedHashSet<>();
    for (String type : types.split(",", -1)) {
      EventType known = EventType.named(type.trim()).orElseThrow(() -> StrataException.invalid("types",
          "unknown event type '" + shown(type) + "'; known types: "
              + java.util.Arrays.stream(EventType.values()).map(EventType::type).collect(Collectors.joining(", "))));
      stored.addAll(known.storedTypes());
    }
    return new Selection(repositories, stored);
  }

  /** A client's text as an error message may repeat it: at most 100 characters, no control characters. */
  private static String shown(String text) {
    StringBuilder out = new StringBuilder();
    text.codePoints().limit(100).forEach(c -> out.append(Character.isISOControl(c) ? "?" : Character.toString(c)));
    return out.toString();
  }

  private static long position(String field, String value, long fallback) {
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      long p = Long.parseLong(value.trim());
      if (p >= 0) {
        return p;
      }
    } catch (NumberFormatException notANumber) {
      // answered below
    }
    throw new StrataException(ErrorCode.BadRequest, field + " must be an event position (an integer, 0 or more)",
        Map.of("field", field));
  }

  private Uni<FeedCursor> cursor(String field, long position) {
    return feed.cursorAt(position).map(c -> c.orElseThrow(() -> StrataException.invalid(field,
        "there is no event at position " + position)));
  }
}
