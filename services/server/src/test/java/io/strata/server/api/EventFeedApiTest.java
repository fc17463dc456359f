package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.subscription.Cancellable;
import io.strata.events.BranchProtectionChanged;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.NewEvent;
import io.strata.server.TestDatabaseResource;
import io.strata.server.queries.EventFeed;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The event feed over HTTP: JSON pages, and server-sent events resumed with Last-Event-ID while
 * commits go on (every event exactly once, in order), a client that stops reading held to what the
 * socket takes, and bad parameters answered 4xx.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class EventFeedApiTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TestHTTPResource("/") URL base;
  @Inject EventLog log;
  @Inject EventFeed feed;
  @Inject io.vertx.mutiny.sqlclient.Pool pool;

  /** One server-sent event as the client parsed it. */
  record Sse(long id, String type, Map<String, Object> data) {}

  @Test
  void pagesListARepositorysEventsInOrderAsCloudEventsAndNextResumes() {
    String repo = Api.createRepository(Api.uniqueName("feed"));
    String first = Api.commit(repo, "main", "one");
    Api.post("/api/v1/repositories/" + repo + "/tags", Map.of("name", "v1", "ref", "main")).statusCode(201);
    Api.commit(repo, "main", "two");

    List<Map<String, Object>> all = given().get("/api/v1/repositories/{r}/events", repo).then().statusCode(200)
        .extract().path("items");
    assertThat(all).extracting(e -> e.get("type")).containsExactly("io.strata.repository.created.v1",
        "io.strata.commit.created.v4", "io.strata.branch.created.v1", "io.strata.commit.created.v4",
        "io.strata.tag.created.v1", "io.strata.commit.created.v4");
    Map<String, Object> commit = all.get(3);
    assertThat(commit).containsEntry("specversion", "1.0").containsEntry("repository", repo)
        .containsEntry("source", "/strata/repositories/" + repo).containsKeys("id", "time", "position", "data");
    assertThat(((Map<?, ?>) commit.get("data")).get("id")).isEqualTo(first);

    var page = given().queryParam("repository", repo).queryParam("limit", 2).get("/api/v1/events")
        .then().statusCode(200).extract().jsonPath();
    List<Object> positions = page.getList("items.position");
    assertThat(positions).hasSize(2);
    long next = page.getLong("next");
    assertThat(next).isEqualTo(Long.parseLong(positions.get(1).toString()));
    List<Object> rest = given().queryParam("repository", repo).queryParam("after", next).get("/api/v1/events")
        .then().statusCode(200).extract().path("items.position");
    assertThat(rest).hasSize(4);
    long last = Long.parseLong(rest.get(3).toString());
    given().queryParam("repository", repo).queryParam("after", last).get("/api/v1/events").then().statusCode(200)
        .extract().jsonPath().getLong("next");
    assertThat(given().queryParam("repository", repo).queryParam("after", last).get("/api/v1/events")
        .then().extract().jsonPath().getLong("next")).as("an empty page's next is where it started").isEqualTo(last);

    List<Object> tags = given().queryParam("types", "io.strata.tag.created.v1").get("/api/v1/repositories/{r}/events",
        repo).then().statusCode(200).extract().path("items.type");
    assertThat(tags).containsExactly("io.strata.tag.created.v1");
  }

  @Test
  void aCommitEventCarriesWhatASubscriberActsOnWithoutASecondCall() {
    String repo = Api.createRepository(Api.uniqueName("payload"));
    Api.trackNew(pool, repo, "orders", "id int primary key, amount int", "select g, g * 10 from generate_series(1, 3) g");
    Api.post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "etl")).statusCode(201);
    Api.json().body(Map.of("id", 4, "amount", 40))
        .put("/api/v1/repositories/{r}/branches/etl/tables/orders/rows/4", repo).then().statusCode(200);
    Api.json().body(Map.of("amount", 11))
        .patch("/api/v1/repositories/{r}/branches/etl/tables/orders/rows/1", repo).then().statusCode(200);
    String parent = Api.head(repo, "etl");
    String id = Api.json().header("X-User-Name", "Ada").header("X-User-Email", "ada@example.com")
        .body(Map.of("message", "Load orders"))
        .post("/api/v1/repositories/{r}/branches/etl/commits", repo).then().statusCode(201).extract().path("id");

    List<Map<String, Object>> commits = given().queryParam("types", "io.strata.commit.created.v4")
        .get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract().path("items");
    Map<String, Object> event = commits.get(commits.size() - 1);
    assertThat(event).containsEntry("repository", repo).containsEntry("subject", "commits/" + id);
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) event.get("data");
    assertThat(data).containsEntry("id", id).containsEntry("branch", "etl").containsEntry("message", "Load orders")
        .containsEntry("parents", List.of(parent))
        .containsEntry("author", Map.of("name", "Ada", "email", "ada@example.com"));
    assertThat((List<Map<String, Object>>) data.get("changes")).singleElement().satisfies(change -> assertThat(change)
        .containsEntry("table", "orders").containsEntry("inserted", 1).containsEntry("updated", 1)
        .containsEntry("deleted", 0).containsKey("change_set"));
    // a subscriber that named an older version of the type, or the type without one, still gets its events
    for (String named : List.of("io.strata.commit.created.v1", "io.strata.commit.created")) {
      List<Map<String, Object>> same = given().queryParam("types", named)
          .get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract().path("items");
      assertThat(same).as(named).isEqualTo(commits);
    }
  }

  @Test
  void theContractOffersBothJsonPagesAndTheStream() {
    for (String path : List.of("/api/v1/events", "/api/v1/repositories/{repo}/events")) {
      Map<String, Object> content = given().get("/openapi.json").then().statusCode(200).extract().jsonPath()
          .getMap("paths.'" + path + "'.get.responses.'200'.content");
      assertThat(content).as(path).containsKeys("application/json", "text/event-stream");
    }
  }

  @Test
  void badParametersAre4xxAndNameTheParameter() {
    String repo = Api.createRepository(Api.uniqueName("feedbad"));
    given().queryParam("after", "-1").get("/api/v1/events").then().statusCode(400).body("details.field", org.hamcrest.Matchers.is("after"));
    given().queryParam("after", "x").get("/api/v1/events").then().statusCode(400);
    given().queryParam("after", Long.MAX_VALUE).get("/api/v1/events").then().statusCode(422)
        .body("details.field", org.hamcrest.Matchers.is("after"));
    given().queryParam("types", "io.strata.nothing.v1\u0007").get("/api/v1/events").then().statusCode(422)
        .body("details.field", org.hamcrest.Matchers.is("types"))
        .body("message", org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("\u0007")));
    // a version the type never had, or no version form at all, is no type
    given().queryParam("types", "io.strata.commit.created.v9").get("/api/v1/events").then().statusCode(422);
    given().queryParam("types", "io.strata.commit.created.vx").get("/api/v1/events").then().statusCode(422);
    given().queryParam("repository", "no/such name").get("/api/v1/events").then().statusCode(422);
    given().queryParam("limit", 0).get("/api/v1/repositories/{r}/events", repo).then().statusCode(422);
    given().header("Accept", "text/event-stream").header("Last-Event-ID", Long.MAX_VALUE).get("/api/v1/events")
        .then().statusCode(422).contentType("application/json");
    given().header("Accept", "text/event-stream").header("Last-Event-ID", "nope").get("/api/v1/events")
        .then().statusCode(400).contentType("application/json").body("details.field",
            org.hamcrest.Matchers.is("Last-Event-ID"));
  }

  @Test
  void aStreamResumedWithLastEventIdDeliversEveryEventOnceInOrderWhileCommitsGoOn() throws Exception {
    String repo = Api.createRepository(Api.uniqueName("sse"));
    ExecutorService committer = Executors.newSingleThreadExecutor();
    Future<?> commits = committer.submit(() -> {
      for (int i = 0; i < 40; i++) {
        Api.commit(repo, "main", "c" + i);
      }
      return null;
    });
    List<Sse> received = new ArrayList<>();
    String resumeFrom = null;
    int connections = 0;
    while (!(commits.isDone() && received.size() == expectedPositions(repo).size())) {
      connections++;
      // each connection takes a few events and hangs up, as a flaky network would
      received.addAll(read(repo, resumeFrom, 7, Duration.ofSeconds(5)));
      if (!received.isEmpty()) {
        resumeFrom = Long.toString(received.get(received.size() - 1).id());
      }
      assertThat(connections).as("the stream makes progress").isLessThan(200);
    }
    commits.get();
    committer.shutdown();
    assertThat(received).extracting(Sse::id).as("every event exactly once, in the log's order")
        .containsExactlyElementsOf(expectedPositions(repo));
    assertThat(received).allSatisfy(e -> assertThat(e.data()).containsEntry("type", e.type())
        .containsEntry("position", Long.toString(e.id())));
    assertThat(connections).isGreaterThan(5);
  }

  @Test
  void aClientThatStopsReadingIsHeldToWhatItsSocketTakes() throws Exception {
    String stream = "stall-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    int total = 8_000;
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()));
      OutputStream out = socket.getOutputStream();
      out.write(("GET /api/v1/events?repository=" + stream + " HTTP/1.1\r\nHost: localhost\r\n"
          + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> !feed.subscriptions().isEmpty());
      String big = "b".repeat(3000);
      for (int appended = 0; appended < total; appended += 1000) {
        List<NewEvent> events = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          events.add(NewEvent.of(new BranchProtectionChanged(big + i, true), Instant.now(), "t", null));
        }
        log.append(stream, appended, events, List.of()).await().atMost(Duration.ofSeconds(30));
      }
      // the client reads nothing: what the server took from the feed for it stops growing
      long[] last = {-1};
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        long served = feed.subscriptions().stream().mapToLong(EventFeed.SubscriptionState::served).sum();
        boolean still = served == last[0];
        last[0] = served;
        return still;
      });
      assertThat(last[0]).as("served no more than the socket buffers take (each event is over 3 kB)")
          .isLessThan(total / 2);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> feed.subscriptions().isEmpty());
  }

  @Test
  void streamsBeyondTheCapAre429AndFreedWhenClientsGo() throws Exception {
    List<Socket> open = new ArrayList<>();
    int room = 20 - feed.subscriptions().size();
    try {
      while (open.size() < room) {
        Socket s = new Socket(base.getHost(), base.getPort());
        s.getOutputStream().write(("GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream"
            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        open.add(s);
        int expected = 20 - room + open.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> feed.subscriptions().size() >= expected);
      }
      given().header("Accept", "text/event-stream").get("/api/v1/events").then().statusCode(429)
          .contentType("application/json").body("error", org.hamcrest.Matchers.is("TooManySubscribers"));
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> feed.subscriptions().isEmpty());
    assertThat(read(Api.createRepository(Api.uniqueName("freed")), null, 1, Duration.ofSeconds(5)))
        .as("a stream opens again").hasSize(1);
  }

  @Test
  void waitsThatEndInAHeartbeatLeaveEveryOtherWaitAndTheNextEventIntact() throws Exception {
    String stream = "quiet-" + UUID.randomUUID().toString().substring(0, 8);
    EventFeed.Selection only = new EventFeed.Selection(Set.of(stream), null);
    EventLog.FeedCursor start = feed.end().await().atMost(Duration.ofSeconds(10));
    try (EventFeed.Subscription a = feed.subscribe(only, start); EventFeed.Subscription b = feed.subscribe(only, start)) {
      // a long wait of b's, and short ones of a's that end in heartbeats one after the other
      CompletableFuture<List<EventFeed.Entry>> waiting =
          b.next(10, Duration.ofSeconds(30)).subscribeAsCompletionStage();
      for (int beat = 0; beat < 5; beat++) {
        assertThat(a.next(10, Duration.ofMillis(100)).await().atMost(Duration.ofSeconds(10)))
            .as("silence: a heartbeat's turn").isEmpty();
      }
      assertThat(waiting).as("b still waits").isNotDone();
      // the waits that ended left nothing behind: only b's is held
      await().atMost(Duration.ofSeconds(5)).until(() -> feed.waitingCount() == 1);
      CompletableFuture<List<EventFeed.Entry>> next =
          a.next(10, Duration.ofSeconds(30)).subscribeAsCompletionStage();
      log.append(stream, 0, List.of(NewEvent.of(new BranchProtectionChanged("main", true), Instant.now(), "t", null)),
          List.of()).await().atMost(Duration.ofSeconds(10));
      assertThat(next.get(10, TimeUnit.SECONDS)).as("a, after its heartbeats").hasSize(1);
      assertThat(waiting.get(10, TimeUnit.SECONDS)).as("b, woken by the same event").hasSize(1);
      assertThat(feed.waitingCount()).isZero();

      // a wait given up (a client gone) is forgotten at once
      Cancellable gone = a.next(10, Duration.ofSeconds(30)).subscribe()
          .with(events -> { });
      await().atMost(Duration.ofSeconds(5)).until(() -> feed.waitingCount() == 1);
      gone.cancel();
      assertThat(feed.waitingCount()).isZero();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> feed.subscriptions().isEmpty());
  }

  @Test
  void aClientThatHangsUpOnAQuietStreamLeavesNothingBehind() throws Exception {
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Socket s = new Socket(base.getHost(), base.getPort());
        s.getOutputStream().write(("GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream"
            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        open.add(s);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> feed.subscriptions().size() == 3 && feed.waitingCount() == 3);
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> feed.subscriptions().isEmpty() && feed.waitingCount() == 0);
  }

  private static List<Long> expectedPositions(String repo) {
    List<Object> items = given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo)
        .then().statusCode(200).extract().path("items.position");
    return items.stream().map(p -> Long.parseLong(p.toString())).toList();
  }

  /** Opens the repository's stream (from its start, or after lastEventId), reads up to max events, hangs up. */
  private List<Sse> read(String repo, String lastEventId, int max, Duration wait) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "api/v1/repositories/" + repo + "/events"
            + (lastEventId == null ? "?after=0" : ""))).header("Accept", "text/event-stream")
        .timeout(Duration.ofSeconds(30));
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<Stream<String>> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    List<Sse> events = new ArrayList<>();
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try (Stream<String> lines = response.body()) {
      Future<?> reading = reader.submit(() -> {
        String id = null;
        String type = null;
        StringBuilder data = new StringBuilder();
        var it = lines.iterator();
        while (events.size() < max && it.hasNext()) {
          String line = it.next();
          if (line.startsWith("id:")) {
            id = line.substring(3).trim();
          } else if (line.startsWith("event:")) {
            type = line.substring(6).trim();
          } else if (line.startsWith("data:")) {
            data.append(line.substring(5).trim());
          } else if (line.isEmpty() && id != null) {
            synchronized (events) {
              events.add(new Sse(Long.parseLong(id), type,
                  io.strata.events.EventCodec.mapper().readValue(data.toString(), Map.class)));
            }
            id = null;
            type = null;
            data.setLength(0);
          }
        }
        return null;
      });
      try {
        reading.get(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException enough) {
        // fewer than max came in time: hang up with what we have
      }
    } finally {
      reader.shutdownNow();
    }
    synchronized (events) {
      return new ArrayList<>(events);
    }
  }
}
