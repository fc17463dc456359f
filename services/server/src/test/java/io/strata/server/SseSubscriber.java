package io.strata.server;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A client of a server-sent-event stream, as a browser's EventSource reads one: each event's id
 * (position), type and data, each heartbeat comment, with when they arrived, and whether and when
 * the server ended the stream. Reads on a thread of its own until closed.
 */
final class SseSubscriber implements AutoCloseable {
  /** One event as the client parsed it; {@code at}: System.nanoTime when it arrived. */
  record Event(long id, String type, String data, long at) {}

  private final List<Event> events = new ArrayList<>();
  private final List<Long> heartbeats = new ArrayList<>();
  private final Thread reader;
  private final int status;
  private volatile Stream<String> lines;
  private volatile boolean closing;
  private volatile long endedAt = -1;
  private volatile Throwable failure;

  /** Opens {@code url} (with {@code Last-Event-ID} when not null) and starts reading it. */
  SseSubscriber(String url, String lastEventId) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<Stream<String>> response = PackagedServer.HTTP.send(request.build(),
        HttpResponse.BodyHandlers.ofLines());
    status = response.statusCode();
    lines = response.body();
    reader = new Thread(this::read, "sse-subscriber");
    reader.setDaemon(true);
    reader.start();
  }

  int status() {
    return status;
  }

  private void read() {
    String id = null;
    String type = null;
    StringBuilder data = new StringBuilder();
    try {
      Iterator<String> it = lines.iterator();
      while (it.hasNext()) {
        String line = it.next();
        if (line.startsWith(":")) {
          synchronized (this) {
            heartbeats.add(System.nanoTime());
          }
        } else if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("event:")) {
          type = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        } else if (line.isEmpty() && id != null) {
          synchronized (this) {
            events.add(new Event(Long.parseLong(id), type, data.toString(), System.nanoTime()));
          }
          id = null;
          type = null;
          data.setLength(0);
        }
      }
    } catch (RuntimeException e) {
      if (!closing) {
        failure = e;
      }
    } finally {
      endedAt = System.nanoTime();
    }
  }

  synchronized List<Event> events() {
    return new ArrayList<>(events);
  }

  synchronized List<Long> heartbeats() {
    return new ArrayList<>(heartbeats);
  }

  /** The id of the last event received (for Last-Event-ID), or null. */
  synchronized String lastEventId() {
    return events.isEmpty() ? null : Long.toString(events.get(events.size() - 1).id());
  }

  /** Whether the stream is still open (the server has not ended it, the client has not closed it). */
  boolean open() {
    return endedAt < 0;
  }

  /** Why the stream ended, if it ended by an error other than our own close. */
  Throwable failure() {
    return failure;
  }

  /** The longest wait between two things the server wrote (events or heartbeats) after {@code since}. */
  synchronized Duration longestSilenceSince(long since) {
    List<Long> times = new ArrayList<>(heartbeats);
    events.forEach(e -> times.add(e.at()));
    times.add(endedAt >= 0 ? endedAt : System.nanoTime());
    times.sort(Long::compare);
    long previous = since;
    long longest = 0;
    for (long t : times) {
      if (t >= since) {
        longest = Math.max(longest, t - previous);
        previous = t;
      }
    }
    return Duration.ofNanos(longest);
  }

  @Override
  public void close() throws InterruptedException {
    closing = true;
    lines.close();
    reader.join(5_000);
  }
}
