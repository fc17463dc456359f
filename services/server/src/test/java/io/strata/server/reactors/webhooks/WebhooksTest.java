package io.strata.server.reactors.webhooks;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.strata.server.TestDatabaseResource;
import io.strata.server.reactors.webhooks.WebhookReceiver.Received;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Webhooks against a receiver in the test (loopback, allowed in the tests' configuration, with a
 * retry schedule of 200ms, 400ms, 800ms, 1.6s): signatures checked by an independent implementation of
 * Standard Webhooks, a receiver down for a while, a sender stopped mid-retry and started again, secret
 * rotation, 410 Gone, an endpoint failing for days, the SSRF guard, and bad input.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class WebhooksTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HOOKS = "/api/v1/webhooks";

  @Inject Pool pool;
  @Inject Webhooks webhooks;
  @Inject io.strata.projections.log.EventLog log;
  @Inject io.vertx.core.Vertx vertx;
  @Inject io.strata.server.reactors.ReactorCheckpoints checkpoints;

  @Test
  void deliveriesAreSignedCloudEventsInOrderThatAnIndependentVerifierAccepts() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      String repo = name("signed");
      JsonNode created = create(Map.of("url", receiver.url("/hook?x=1"), "description", "signed deliveries",
          "filter", Map.of("repositories", List.of(repo))));
      String secret = created.get("secret").asText();
      assertThat(secret).startsWith("whsec_");
      String id = created.get("id").asText();
      // never shown again
      given().get(HOOKS + "/" + id).then().statusCode(200).body("secret", org.hamcrest.Matchers.nullValue())
          .body("url", equalTo(receiver.url("/hook?x=1"))).body("filter.repositories[0]", equalTo(repo));
      assertThat(given().get(HOOKS).asString()).doesNotContain(secret);

      repository(repo);
      branch(repo, "dev");
      branch(repo, "qa");
      List<Long> positions = positions(repo);
      await().atMost(WAIT).until(() -> receiver.accepted().size() >= positions.size());

      List<Received> got = receiver.accepted();
      assertThat(got).hasSize(positions.size());
      List<Long> receivedPositions = new ArrayList<>();
      for (Received r : got) {
        assertThat(StandardWebhooksVerifier.verify(secret, r.id(), r.timestamp(), r.body(), r.signature()))
            .as("signature of %s", r.id()).isTrue();
        assertThat(StandardWebhooksVerifier.verify(secret, r.id(), r.timestamp(), r.body() + " ", r.signature()))
            .as("a changed body fails").isFalse();
        assertThat(r.path()).isEqualTo("/hook?x=1");
        assertThat(r.contentType()).startsWith("application/cloudevents+json");
        JsonNode event = JSON.readTree(r.body());
        assertThat(event.get("specversion").asText()).isEqualTo("1.0");
        assertThat(event.get("id").asText()).isEqualTo(r.id());
        assertThat(event.get("repository").asText()).isEqualTo(repo);
        assertThat(event.get("type").asText()).startsWith("io.strata.");
        assertThat(event.has("data")).isTrue();
        receivedPositions.add(event.get("position").asLong());
      }
      assertThat(receivedPositions).as("every event, in log order").isEqualTo(positions);
      // the receiver has the last one before the server recorded its answer: wait for the record
      await().atMost(WAIT).until(() -> {
        for (JsonNode d : deliveries(id).get("items")) {
          if (!d.get("state").asText().equals("delivered")) {
            return false;
          }
        }
        return true;
      });
      JsonNode log = deliveries(id);
      assertThat(log.get("items")).hasSize(positions.size());
      for (JsonNode d : log.get("items")) {
        assertThat(d.get("state").asText()).isEqualTo("delivered");
        assertThat(d.get("attempts")).hasSize(1);
        assertThat(d.get("attempts").get(0).get("status_code").asInt()).isEqualTo(200);
        assertThat(d.get("attempts").get(0).has("latency_ms")).isTrue();
      }
    }
  }

  @Test
  void filtersOnTypesAndBranchesPickTheirEvents() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      String repo = name("filter");
      create(Map.of("url", receiver.url("/types"), "filter", Map.of("repositories", List.of(repo),
          "types", List.of("io.strata.branch.created.v1"), "branches", List.of("wanted"))));
      repository(repo);
      branch(repo, "other");
      branch(repo, "wanted");
      await().atMost(WAIT).until(() -> receiver.accepted().size() == 1);
      Thread.sleep(500); // nothing else comes
      assertThat(receiver.received()).hasSize(1);
      JsonNode event = JSON.readTree(receiver.received().get(0).body());
      assertThat(event.get("type").asText()).isEqualTo("io.strata.branch.created.v1");
      assertThat(event.get("data").get("name").asText()).isEqualTo("wanted");
    }
  }

  @Test
  void aTypeFilterNamesEveryVersionOfItsType() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      String repo = name("versions");
      // an endpoint made when commit.created was v1, and one naming a type without its version
      create(Map.of("url", receiver.url("/versions"), "filter", Map.of("repositories", List.of(repo),
          "types", List.of("io.strata.commit.created.v1", "io.strata.branch.created"))));
      repository(repo);
      branch(repo, "dev");
      json().body(Map.of("message", "empty", "allow_empty", true))
          .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
      // the repository's first commit and main, then dev and its commit
      await().atMost(WAIT).until(() -> receiver.accepted().size() == 4);
      Thread.sleep(500); // nothing else comes
      assertThat(receiver.received()).hasSize(4);
      List<String> types = new java.util.ArrayList<>();
      for (var r : receiver.received()) {
        types.add(JSON.readTree(r.body()).get("type").asText());
      }
      String commit = io.strata.events.EventType.COMMIT_CREATED.type();
      assertThat(types).containsExactly(commit, "io.strata.branch.created.v1", "io.strata.branch.created.v1", commit);
      // a version the type never had is no type
      json().body(Map.of("url", receiver.url("/none"), "filter", Map.of("types", List.of("io.strata.commit.created.v9"))))
          .post("/api/v1/webhooks").then().statusCode(422);
    }
  }

  @Test
  void aBurstLongerThanARunArrivesInOrderAndEveryDeliveryShowsItsOneAttempt() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      String repo = name("burst");
      String id = endpoint(receiver.url("/burst"), repo);
      repository(repo);
      for (int i = 0; i < WebhookSender.RUN + 25; i++) { // more than one run of deliveries
        branch(repo, "b" + i);
      }
      List<Long> positions = positions(repo);
      await().atMost(WAIT).until(() -> receiver.accepted().size() >= positions.size());
      List<Long> got = acceptedPositions(receiver);
      assertThat(got).as("every event once, in order").isEqualTo(positions);
      // a run is recorded after it is sent: wait for the record of the last one
      await().atMost(WAIT).until(() -> {
        JsonNode items = deliveries(id, 1000).get("items");
        return items.size() == positions.size() && "delivered".equals(items.get(items.size() - 1).get("state").asText());
      });
      JsonNode items = deliveries(id, 1000).get("items");
      for (int i = 0; i < items.size(); i++) {
        JsonNode d = items.get(i);
        assertThat(d.get("position").asLong()).isEqualTo(positions.get(i));
        assertThat(d.get("state").asText()).isEqualTo("delivered");
        assertThat(d.get("attempts")).hasSize(1);
        assertThat(d.get("attempts").get(0).get("status_code").asInt()).isBetween(200, 299);
      }
    }
  }

  @Test
  void aReceiverDownForAWhileGetsEverythingInOrderAndTheLogShowsTheBackoff() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      receiver.answer(503);
      String repo = name("down");
      String id = endpoint(receiver.url("/down"), repo);
      repository(repo);
      branch(repo, "b1");
      branch(repo, "b2");
      List<Long> positions = positions(repo);
      // three failed attempts of the head (after 200 ms and 400 ms), then the receiver is down altogether
      await().atMost(WAIT).until(() -> receiver.received().size() >= 3);
      receiver.answer(WebhookReceiver.DOWN);
      await().atMost(WAIT).until(() -> attemptsOfFirst(id) >= 4);
      // one at a time: nothing behind the head was tried while it failed
      JsonNode during = deliveries(id).get("items");
      for (int i = 1; i < during.size(); i++) {
        assertThat(during.get(i).get("attempts")).as("deliveries behind the failing head wait").isEmpty();
      }
      receiver.answer(200);
      await().atMost(WAIT).until(() -> receiver.accepted().size() == positions.size());

      List<Long> got = acceptedPositions(receiver);
      assertThat(got).as("all delivered, in order, none twice").isEqualTo(positions);
      // the run is recorded once it is sent
      await().atMost(WAIT).until(() -> "delivered".equals(deliveries(id).get("items").get(0).get("state").asText()));
      JsonNode first = deliveries(id).get("items").get(0);
      JsonNode attempts = first.get("attempts");
      assertThat(attempts.size()).isGreaterThanOrEqualTo(5);
      assertThat(attempts.get(0).get("status_code").asInt()).isEqualTo(503);
      assertThat(attempts.get(0).get("error").asText()).startsWith("HTTP 503");
      assertThat(attempts.get(3).path("status_code").isMissingNode() || attempts.get(3).get("status_code").isNull())
          .as("connection refused: no status").isTrue();
      assertThat(attempts.get(3).get("error").asText()).isNotBlank();
      assertThat(attempts.get(attempts.size() - 1).get("status_code").asInt()).isEqualTo(200);
      // the backoff, visible in the log: each wait longer than the one before (200, 400, 800 ms ± 20 %)
      List<Long> gaps = new ArrayList<>();
      for (int i = 1; i < 4; i++) {
        gaps.add(Duration.between(Instant.parse(attempts.get(i - 1).get("at").asText()),
            Instant.parse(attempts.get(i).get("at").asText())).toMillis());
      }
      assertThat(gaps.get(0)).as("gaps %s", gaps).isGreaterThanOrEqualTo(150);
      assertThat(gaps.get(1)).as("gaps %s", gaps).isGreaterThanOrEqualTo(300);
      assertThat(gaps.get(2)).as("gaps %s", gaps).isGreaterThan(gaps.get(1)).isGreaterThan(gaps.get(0));
      // and in the metrics: attempts retried and delivered, with their latency
      String scrape = io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
      assertThat(scrape).containsPattern("strata_webhook_attempts_total\\{outcome=\"retried\"\\} [1-9]")
          .containsPattern("strata_webhook_attempts_total\\{outcome=\"delivered\"\\} [1-9]")
          .containsPattern("strata_webhook_attempt_seconds_count [1-9]");
    }
  }

  @Test
  void aDeliveryWhoseRetriesAreSpentFailsAndIsRedeliveredOnRequest() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      receiver.answer(500);
      String repo = name("spent");
      String id = create(Map.of("url", receiver.url("/spent"), "filter", Map.of("repositories", List.of(repo),
          "types", List.of("io.strata.repository.created.v1")))).get("id").asText();
      repository(repo);
      await().atMost(WAIT).until(() -> "failed".equals(deliveries(id).get("items").get(0).get("state").asText()));
      JsonNode failed = deliveries(id).get("items").get(0);
      assertThat(failed.get("attempts")).as("the first attempt and four retries").hasSize(5);
      assertThat(failed.has("next_attempt_at") && !failed.get("next_attempt_at").isNull()).isFalse();

      receiver.answer(200);
      given().post(HOOKS + "/" + id + "/deliveries/" + failed.get("id").asLong() + "/redeliver").then()
          .statusCode(200).body("redelivered", equalTo(1));
      await().atMost(WAIT).until(() -> receiver.accepted().size() == 1);
      await().atMost(WAIT).until(() -> "delivered".equals(deliveries(id).get("items").get(0).get("state").asText()));
      assertThat(deliveries(id).get("items").get(0).get("attempts")).hasSize(6);

      // everything since a position, again
      given().contentType("application/json").body(Map.of("since_position", 0)).post(HOOKS + "/" + id + "/redeliver")
          .then().statusCode(200).body("redelivered", equalTo(1));
      await().atMost(WAIT).until(() -> receiver.accepted().size() == 2);
      assertThat(receiver.accepted().get(1).id()).as("the same webhook-id: receivers may deduplicate")
          .isEqualTo(receiver.accepted().get(0).id());
      await().atMost(WAIT).until(() -> "delivered".equals(deliveries(id).get("items").get(0).get("state").asText()));
      JsonNode log = deliveries(id).get("items").get(0).get("attempts");
      assertThat(log).as("a redelivery keeps the attempts before it, the one that delivered it included")
          .hasSize(7);
      for (int i = 0; i < 7; i++) {
        assertThat(log.get(i).get("status_code").asInt()).as("attempt " + i).isEqualTo(i < 5 ? 500 : 200);
      }
      given().post(HOOKS + "/" + id + "/deliveries/999999999/redeliver").then().statusCode(404)
          .body("error", equalTo("WebhookDeliveryNotFound"));
    }
  }

  @Test
  void nothingIsLostWhenTheSenderStopsMidRetryAndStartsAgain() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      receiver.answer(500);
      String repo = name("restart");
      String id = endpoint(receiver.url("/restart"), repo);
      repository(repo);
      branch(repo, "x");
      List<Long> positions = positions(repo);
      await().atMost(WAIT).until(() -> receiver.received().size() >= 2);
      // this server's reactor and sender stop, as at a shutdown: the queue stays in PostgreSQL
      try {
        webhooks.pause().await().atMost(WAIT);
        branch(repo, "while-stopped"); // appended while nobody reads the feed
        int before = receiver.received().size();
        Thread.sleep(1000);
        assertThat(receiver.received()).as("no sender").hasSize(before);
        assertThat(count("select count(*) from strata_meta.webhook_deliveries where endpoint_id = '" + id
            + "' and state = 'pending'")).as("the queue, in PostgreSQL").isGreaterThanOrEqualTo(1);
        receiver.answer(200);
      } finally {
        webhooks.resume();
      }
      List<Long> all = positions(repo);
      await().atMost(WAIT).until(() -> receiver.accepted().size() == all.size());
      List<Long> got = acceptedPositions(receiver);
      assertThat(got).isEqualTo(all);
    }
  }

  @Test
  void timeoutsRedirectsAndEndlessAnswersAreHandledAndTheHostIsNamed() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      receiver.answer(WebhookReceiver.HANG);
      String repo = name("slow");
      // by name: resolved and checked by the guard, connected to by address, named in Host
      String url = receiver.url("/slow").replace("127.0.0.1", "localhost");
      String id = create(Map.of("url", url, "filter", Map.of("repositories", List.of(repo),
          "types", List.of("io.strata.repository.created.v1")))).get("id").asText();
      repository(repo);
      // the first request hangs (the receiver reads its answer when a request comes); the next is
      // answered 302: switched as soon as the first came, so that a retry 200 ms after the timeout
      // cannot hang too while this thread reads the first attempt (it did once, under load)
      await().atMost(WAIT).until(() -> !receiver.received().isEmpty());
      receiver.answer(302);
      await().atMost(WAIT).until(() -> attemptsOfFirst(id) >= 1);
      JsonNode timedOut = deliveries(id).get("items").get(0).get("attempts").get(0);
      assertThat(timedOut.get("error").asText()).contains("timeout");
      assertThat(timedOut.get("latency_ms").asInt()).isBetween(1900, 5000); // STRATA_WEBHOOKS_TIMEOUT is 2s here
      assertThat(receiver.received().get(0).host()).startsWith("localhost:");

      await().atMost(WAIT).until(() -> receiver.received().stream().anyMatch(r -> r.answered() == 302));
      await().atMost(WAIT).until(() -> attemptsOfFirst(id) >= 2);
      assertThat(receiver.received()).as("the redirect was not followed")
          .noneMatch(r -> r.path().equals("/elsewhere"));

      receiver.answer(WebhookReceiver.ENDLESS);
      long started = System.nanoTime();
      await().atMost(WAIT).until(() -> "delivered".equals(deliveries(id).get("items").get(0).get("state").asText()));
      assertThat(Duration.ofNanos(System.nanoTime() - started)).as("64 MB were not read")
          .isLessThan(Duration.ofSeconds(5));
      JsonNode attempts = deliveries(id).get("items").get(0).get("attempts");
      assertThat(attempts.get(1).get("status_code").asInt()).isEqualTo(302);
      assertThat(attempts.get(1).get("error").asText()).startsWith("HTTP 302");
      assertThat(attempts.get(attempts.size() - 1).get("status_code").asInt()).isEqualTo(200);
    }
  }

  @Test
  void httpsVerifiesTheReceiversCertificateAgainstTheHostName(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    // a receiver with a self-signed certificate for "localhost": no CA the JDK trusts signed it
    java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.HttpsServer https = httpsReceiver(localhostCertificate(dir), requests);
    try {
      String repo = name("tls");
      String id = create(Map.of("url", "https://localhost:" + https.getAddress().getPort() + "/tls", "filter",
          Map.of("repositories", List.of(repo), "types", List.of("io.strata.repository.created.v1"))))
          .get("id").asText();
      repository(repo);
      await().atMost(WAIT).until(() -> attemptsOfFirst(id) >= 1);
      JsonNode attempt = deliveries(id).get("items").get(0).get("attempts").get(0);
      assertThat(attempt.path("status_code").isMissingNode() || attempt.get("status_code").isNull()).isTrue();
      assertThat(attempt.get("error").asText()).as("an untrusted certificate is refused")
          .containsPattern("(?i)certif|pkix");
      assertThat(requests.get()).as("no request got through").isZero();
      given().delete(HOOKS + "/" + id).then().statusCode(204);
    } finally {
      https.stop(0);
    }
  }

  @Test
  void httpsReachesAReceiverSignedByAnAuthorityTheOperatorTrustsAndStillChecksItsName(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    LocalhostCertificate certificate = localhostCertificate(dir);
    java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.HttpsServer https = httpsReceiver(certificate, requests);
    // a sender trusting that certificate (STRATA_WEBHOOKS_TRUSTED_CERTIFICATES), as another server
    // would run it; this server's reactor and sender stop meanwhile, and the deliveries are queued
    WebhookSender trusting = new WebhookSender(vertx, webhooks.store(), new Payloads(log),
        new AddressGuard(List.of("127.0.0.0/8")), new WebhookSender.Settings(Duration.ofSeconds(2),
            List.of(Duration.ofHours(1)), Duration.ofDays(5), Duration.ofMillis(50), Duration.ofSeconds(10), 4,
            List.of(certificate.pem())), "server-" + UUID.randomUUID());
    int port = https.getAddress().getPort();
    String named = endpoint("https://localhost:" + port + "/tls", "none");
    String byAddress = endpoint("https://127.0.0.1:" + port + "/tls", "none");
    webhooks.pause().await().atMost(WAIT);
    try {
      String repo = name("trusted");
      repository(repo);
      List<Long> positions = positions(repo);
      enqueueEventsOf(repo, named, byAddress);
      trusting.start();
      await().atMost(WAIT).until(() -> deliveries(named).get("items").findValuesAsText("state").stream()
          .filter("delivered"::equals).count() == positions.size());
      await().atMost(WAIT).until(() -> attemptsOfFirst(byAddress) >= 1);
      JsonNode refused = deliveries(byAddress).get("items").get(0).get("attempts").get(0);
      assertThat(refused.get("error").asText()).as("trusted, but not issued to 127.0.0.1")
          .containsPattern("(?i)no subject alternative names? matching IP address 127\\.0\\.0\\.1");
      assertThat(requests.get()).as("only the deliveries by name got through").isEqualTo(positions.size());
    } finally {
      trusting.stop().await().atMost(WAIT);
      https.stop(0);
      given().delete(HOOKS + "/" + named).then().statusCode(204);
      given().delete(HOOKS + "/" + byAddress).then().statusCode(204);
      webhooks.resume();
    }
  }

  @Test
  void trustedCertificateFilesThatCannotBeReadAreRefusedByName(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path empty = java.nio.file.Files.writeString(dir.resolve("empty.pem"), "no certificate here\n");
    for (java.nio.file.Path path : List.of(empty, dir.resolve("missing.pem"))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> ReceiverTrust.of(List.of(path)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("STRATA_WEBHOOKS_TRUSTED_CERTIFICATES")
          .hasMessageContaining(path.toString());
    }
    assertThat(ReceiverTrust.of(List.of(localhostCertificate(dir).pem())).getAcceptedIssuers())
        .as("the JDK's authorities and the operator's").anyMatch(c -> c.getSubjectX500Principal().getName()
            .equals("CN=localhost"))
        .hasSizeGreaterThan(1);
  }

  @Test
  void deliveriesDoneForLongerThanTheRetentionAreDeleted() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      String repo = name("old");
      String id = endpoint(receiver.url("/old"), repo);
      repository(repo);
      await().atMost(WAIT).until(() -> !receiver.accepted().isEmpty());
      await().atMost(WAIT).until(() -> "delivered".equals(deliveries(id).get("items").get(0).get("state").asText()));
      long queued = deliveries(id).get("items").size();
      Api.sql(pool, "update strata_meta.webhook_deliveries set updated_at = now() - interval '40 days'"
          + " where id = " + deliveries(id).get("items").get(0).get("id").asLong());
      assertThat(webhooks.store().purge(Duration.ofDays(30)).await().atMost(WAIT)).isGreaterThanOrEqualTo(1L);
      assertThat(deliveries(id).get("items")).hasSize((int) queued - 1);
    }
  }

  @Test
  void twoServersNeverSendToOneEndpointAtOnce() throws Exception {
    // a second sender on the same queue, as another server sharing the database would run it
    // (with a cache of its own, so it reads the bodies of what it sends from the event log)
    WebhookSender other = new WebhookSender(vertx, webhooks.store(), new Payloads(log), new AddressGuard(List.of("127.0.0.0/8")),
        new WebhookSender.Settings(Duration.ofSeconds(2), List.of(Duration.ofMillis(200)), Duration.ofDays(5),
            Duration.ofMillis(20), Duration.ofSeconds(10), 4, List.of()), "server-" + UUID.randomUUID());
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      receiver.delay(50);
      String repo = name("two");
      create(Map.of("url", receiver.url("/two"), "filter", Map.of("repositories", List.of(repo))));
      other.start();
      repository(repo);
      for (int i = 0; i < 8; i++) {
        branch(repo, "b" + i);
      }
      List<Long> positions = positions(repo);
      await().atMost(WAIT).until(() -> receiver.accepted().size() >= positions.size());
      List<Long> got = acceptedPositions(receiver);
      assertThat(got).as("in order, once each").isEqualTo(positions);
      assertThat(receiver.mostAtOnce()).as("one request at a time").isEqualTo(1);
    } finally {
      other.stop().await().atMost(WAIT);
    }
  }

  @Test
  void aServerKeepsTheEndpointsItSendsToRenewingTheirLeasesAndGivesThemBackWhenItStops() throws Exception {
    String owner = checkpoints.owner();
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      String repo = name("held");
      String id = endpoint(receiver.url("/held"), repo);
      repository(repo);
      await().atMost(WAIT).until(() -> acceptedPositions(receiver).equals(positions(repo)));
      // longer than the tests' lease (10 s), busy at times and idle at others: the lease never lapses
      String lease = "select coalesce(lease_owner, 'none')"
          + " || coalesce(' ' || (lease_until > now() + interval '1 second'), '')"
          + " from strata_meta.webhook_endpoints where id = '" + id + "'";
      long until = System.nanoTime() + Duration.ofSeconds(13).toNanos();
      for (int i = 0; System.nanoTime() < until; i++) {
        assertThat(Api.rows(pool, lease)).as("held and renewed, sample %d", i).containsExactly(owner + " true");
        if (i % 10 == 0) {
          branch(repo, "b" + i);
        }
        Thread.sleep(250);
      }
      await().atMost(WAIT).until(() -> acceptedPositions(receiver).equals(positions(repo)));
      try {
        webhooks.pause().await().atMost(WAIT);
        assertThat(Api.rows(pool, lease)).as("given back at a stop").containsExactly("none");
      } finally {
        webhooks.resume();
      }
      branch(repo, "after");
      await().atMost(WAIT).until(() -> acceptedPositions(receiver).equals(positions(repo)));
      assertThat(Api.rows(pool, lease)).as("taken again").containsExactly(owner + " true");
    }
  }

  @Test
  void anEndpointWaitingForItsRetryGivesItsSlotToOneWithDeliveriesWhenEverySlotIsTaken() throws Exception {
    // a sender of one slot and a retry an hour away, as another server would run it; this server's
    // reactor and sender stop meanwhile, and the deliveries are queued as the reactor would queue them
    WebhookSender one = new WebhookSender(vertx, webhooks.store(), new Payloads(log),
        new AddressGuard(List.of("127.0.0.0/8")), new WebhookSender.Settings(Duration.ofSeconds(2),
            List.of(Duration.ofHours(1)), Duration.ofDays(5), Duration.ofMillis(50), Duration.ofSeconds(10), 1, List.of()),
        "server-" + UUID.randomUUID());
    try (WebhookReceiver down = new WebhookReceiver(); WebhookReceiver up = new WebhookReceiver()) {
      down.answer(503);
      String repo = name("slots");
      String downId = endpoint(down.url("/down"), "none");
      String upId = endpoint(up.url("/up"), "none");
      webhooks.pause().await().atMost(WAIT);
      try {
        repository(repo);
        List<Long> positions = positions(repo);
        enqueueEventsOf(repo, downId, upId);
        // the failing endpoint first: it takes the only slot
        Api.sql(pool, "update strata_meta.webhook_deliveries set next_attempt_at = now() + interval '1 second'"
            + " where endpoint_id = '" + upId + "'");
        one.start();
        await().atMost(WAIT).until(() -> down.received().size() == 1);
        await().atMost(WAIT).until(() -> up.accepted().size() == positions.size());
        assertThat(acceptedPositions(up)).isEqualTo(positions);
        assertThat(down.received()).as("its retry is an hour away").hasSize(1);
      } finally {
        one.stop().await().atMost(WAIT);
        given().delete(HOOKS + "/" + downId).then().statusCode(204);
        given().delete(HOOKS + "/" + upId).then().statusCode(204);
        webhooks.resume();
      }
    }
  }

  @Test
  void aRotatedSecretSignsBesideTheOldOneDuringTheOverlap() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      String repo = name("rotate");
      JsonNode created = create(Map.of("url", receiver.url("/rotate"), "filter", Map.of("repositories",
          List.of(repo))));
      String id = created.get("id").asText();
      String oldSecret = created.get("secret").asText();
      JsonNode rotated = patch(id, Map.of("rotate_secret", true, "overlap", "1h"));
      String newSecret = rotated.get("secret").asText();
      assertThat(newSecret).startsWith("whsec_").isNotEqualTo(oldSecret);
      assertThat(rotated.get("previous_secret_until").asText()).isNotBlank();
      assertThat(given().get(HOOKS + "/" + id).asString()).doesNotContain(newSecret).doesNotContain(oldSecret);

      repository(repo);
      await().atMost(WAIT).until(() -> !receiver.accepted().isEmpty());
      Received during = receiver.accepted().get(0);
      assertThat(during.signature().split(" ")).hasSize(2);
      assertThat(StandardWebhooksVerifier.verify(newSecret, during.id(), during.timestamp(), during.body(),
          during.signature())).isTrue();
      assertThat(StandardWebhooksVerifier.verify(oldSecret, during.id(), during.timestamp(), during.body(),
          during.signature())).isTrue();

      // rotated again without overlap: only the newest secret signs
      String newest = patch(id, Map.of("rotate_secret", true, "overlap", "0s")).get("secret").asText();
      int before = receiver.accepted().size();
      branch(repo, "after-rotation");
      await().atMost(WAIT).until(() -> receiver.accepted().size() > before);
      Received after = receiver.accepted().get(receiver.accepted().size() - 1);
      assertThat(after.signature().split(" ")).hasSize(1);
      assertThat(StandardWebhooksVerifier.verify(newest, after.id(), after.timestamp(), after.body(),
          after.signature())).isTrue();
      assertThat(StandardWebhooksVerifier.verify(newSecret, after.id(), after.timestamp(), after.body(),
          after.signature())).isFalse();
    }
  }

  @Test
  void goneDisablesTheEndpointAndEnablingResumesIt() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      receiver.answer(410);
      String repo = name("gone");
      String id = endpoint(receiver.url("/gone"), repo);
      repository(repo);
      await().atMost(WAIT).until(() -> !given().get(HOOKS + "/" + id).jsonPath().getBoolean("enabled"));
      given().get(HOOKS + "/" + id).then().body("disabled_reason", containsString("410"))
          .body("disabled_at", org.hamcrest.Matchers.notNullValue());
      JsonNode event = disabledEvent(id);
      assertThat(event.get("data").get("reason").asText()).contains("410")
          .isEqualTo(given().get(HOOKS + "/" + id).jsonPath().getString("disabled_reason"));
      assertThat(event.get("data").get("url").asText()).isEqualTo(receiver.url("/gone"));
      assertThat(event.get("subject").asText()).isEqualTo("webhooks/" + id);
      assertThat(event.get("source").asText()).isEqualTo("/strata/server");
      assertThat(event.has("repository")).as("a server event is in no repository").isFalse();
      assertThat(event.get("actor").asText()).isEqualTo("strata");
      // the projections follow the server's stream too (its events change no read model): a read waiting
      // for the event's position is answered, not left to time out
      given().header("X-Strata-Min-Position", event.get("position").asText()).get("/api/v1/repositories").then()
          .statusCode(200);
      Thread.sleep(1000);
      assertThat(receiver.received()).as("no attempt after the 410").hasSize(1);

      receiver.answer(200);
      patch(id, Map.of("enabled", true));
      given().get(HOOKS + "/" + id).then().body("enabled", equalTo(true))
          .body("disabled_reason", org.hamcrest.Matchers.nullValue());
      await().atMost(WAIT).until(() -> {
        JsonNode items = deliveries(id).get("items");
        boolean allDelivered = true;
        for (JsonNode d : items) {
          allDelivered &= d.get("state").asText().equals("delivered");
        }
        return allDelivered && receiver.accepted().size() == items.size();
      });
      assertThat(receiver.accepted()).isNotEmpty();
    }
  }

  @Test
  void anEndpointFailingForDaysIsDisabled() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      receiver.answer(500);
      String repo = name("days");
      String id = endpoint(receiver.url("/days"), repo);
      repository(repo);
      await().atMost(WAIT).until(() -> !receiver.received().isEmpty());
      given().get(HOOKS + "/" + id).then().body("failing_since", org.hamcrest.Matchers.notNullValue());
      // its failures began six days ago (STRATA_WEBHOOKS_DISABLE_AFTER is 5 days): the next one disables it
      Api.sql(pool, "update strata_meta.webhook_endpoints set failing_since = now() - interval '6 days'"
          + " where id = '" + id + "'");
      branch(repo, "one-more"); // a delivery to fail, should the first ones have spent their retries
      await().atMost(WAIT).until(() -> !given().get(HOOKS + "/" + id).jsonPath().getBoolean("enabled"));
      given().get(HOOKS + "/" + id).then().body("disabled_reason", containsString("every attempt failed since"));
      JsonNode event = disabledEvent(id);
      assertThat(event.get("data").get("reason").asText()).contains("every attempt failed since")
          .isEqualTo(given().get(HOOKS + "/" + id).jsonPath().getString("disabled_reason"));
      assertThat(event.get("source").asText()).isEqualTo("/strata/server");
      // the server's stream is no repository, and cannot be reached as one
      given().get("/api/v1/repositories/{r}", "$server").then().statusCode(404);
      json().body(Map.of("name", "x")).post("/api/v1/repositories/{r}/branches", "$server").then().statusCode(404);
    }
  }

  @Test
  void urlsReachingPrivateLinkLocalOrMetadataAddressesAreRefused() {
    long before = endpoints();
    for (String url : List.of("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://172.16.5.4/",
        "http://192.168.1.1:8080/hook", "http://100.64.0.1/", "http://[fe80::1]/", "http://[fd00::1]/",
        "http://[::ffff:169.254.169.254]/", "http://[::ffff:10.0.0.1]/", "http://0.0.0.0/", "http://224.0.0.1/",
        "https://[64:ff9b::a9fe:a9fe]/")) {
      Response r = post(Map.of("url", url));
      assertThat(r.statusCode()).as(url + ": " + r.asString()).isEqualTo(422);
      assertThat(r.jsonPath().getString("error")).isEqualTo("ValidationError");
      assertThat(r.jsonPath().getString("details.field")).isEqualTo("url");
      assertThat(r.jsonPath().getString("message")).contains("address");
    }
    assertThat(endpoints()).as("nothing stored").isEqualTo(before);
  }

  /** The hostile pass: numeric hosts that Java and WHATWG parsers (curl, browsers) read as different addresses. */
  @Test
  void numericHostsInFormsParsersDisagreeOnAreRefused() {
    long before = endpoints();
    for (String url : List.of("http://0177.0.0.1/", "http://0x7f.1/", "http://0x7f.0.0.1/", "http://2130706433/",
        "http://127.1/", "http://017700000001/", "http://127.0.0.01/", "http://1.2.3.4./", "http://8.8.8.010/",
        "http://example.0x1/")) {
      Response r = post(Map.of("url", url));
      assertThat(r.statusCode()).as(url + ": " + r.asString()).isEqualTo(422);
      assertThat(r.jsonPath().getString("details.field")).isEqualTo("url");
    }
    // those java.net.URI takes for a host name are refused by name, not only as unresolvable
    for (String url : List.of("http://0177.0.0.1/", "http://127.0.0.01/", "http://8.8.8.010/")) {
      assertThat(post(Map.of("url", url)).jsonPath().getString("message")).as(url).contains("numeric address");
    }
    assertThat(endpoints()).as("nothing stored").isEqualTo(before);
    String id = post(Map.of("url", "http://127.0.0.1:9/ok")).then().statusCode(201).extract().path("id");
    json().body(Map.of("url", "http://0177.0.0.1:9/ok")).patch(HOOKS + "/" + id).then().statusCode(422);
    given().get(HOOKS + "/" + id).then().body("url", equalTo("http://127.0.0.1:9/ok"));
    given().delete(HOOKS + "/" + id).then().statusCode(204);
  }

  @Test
  void badInputIsA4xxAndStoresNothing() throws Exception {
    long before = endpoints();
    String ok = "http://127.0.0.1:9/hook";
    Map<String, Object> bad = new LinkedHashMap<>();
    bad.put("no scheme", Map.of("url", "127.0.0.1/hook"));
    bad.put("relative", Map.of("url", "/hook"));
    bad.put("ftp", Map.of("url", "ftp://127.0.0.1/hook"));
    bad.put("javascript", Map.of("url", "javascript:alert(1)"));
    bad.put("file", Map.of("url", "file:///etc/passwd"));
    bad.put("no host", Map.of("url", "http:///hook"));
    bad.put("user info", Map.of("url", "http://user:pass@127.0.0.1/hook"));
    bad.put("space", Map.of("url", "http://127.0.0.1/a hook"));
    bad.put("control", Map.of("url", "http://127.0.0.1/\r\nX-Injected: 1"));
    bad.put("fragment", Map.of("url", "http://127.0.0.1/hook#f"));
    bad.put("port", Map.of("url", "http://127.0.0.1:99999/hook"));
    bad.put("long", Map.of("url", "http://127.0.0.1/" + "a".repeat(3000)));
    bad.put("unparsable", Map.of("url", "http://[::1/hook"));
    bad.put("number", Map.of("url", 42));
    bad.put("unknown type", Map.of("url", ok, "filter", Map.of("types", List.of("io.strata.commit.created.v9"))));
    bad.put("empty types", Map.of("url", ok, "filter", Map.of("types", List.of())));
    bad.put("bad repository", Map.of("url", ok, "filter", Map.of("repositories", List.of("../etc"))));
    bad.put("bad branch", Map.of("url", ok, "filter", Map.of("branches", List.of("a..b"))));
    bad.put("bidi description", Map.of("url", ok, "description", "\u202Eevil\u200B"));
    bad.put("control description", Map.of("url", ok, "description", "\u0007\u001b[2J"));
    bad.put("newline description", Map.of("url", ok, "description", "a\r\nb"));
    bad.put("long description", Map.of("url", ok, "description", "x".repeat(10_000)));
    bad.put("NUL description", Map.of("url", ok, "description", "a\u0000b"));
    bad.put("unknown field", Map.of("url", ok, "secret", "whsec_mine"));
    bad.put("filter as string", Map.of("url", ok, "filter", "all"));
    for (Map.Entry<String, Object> b : bad.entrySet()) {
      Response r = post(b.getValue());
      assertThat(r.statusCode()).as(b.getKey() + ": " + r.asString()).isBetween(400, 499);
      assertThat(r.asString()).as(b.getKey()).startsWith("{\"error\":");
    }
    Response unknownType = post(Map.of("url", ok, "filter", Map.of("types", List.of("io.strata.commit.created.v9"))));
    assertThat(unknownType.jsonPath().getString("message")).contains("io.strata.commit.created.v9");
    assertThat(unknownType.jsonPath().getString("details.field")).isEqualTo("filter.types");
    assertThat(endpoints()).as("nothing stored").isEqualTo(before);

    // the same on a PATCH: the endpoint is unchanged
    String id = create(Map.of("url", ok, "description", "kept")).get("id").asText();
    for (Map<String, Object> b : List.<Map<String, Object>>of(Map.of("url", "ftp://x/"),
        Map.of("description", "\u202E"), Map.of("filter", Map.of("types", List.of("nope"))),
        Map.of("overlap", "1h"), Map.of("rotate_secret", true, "overlap", "30d"), Map.of("enabled", "yes"))) {
      Response r = given().contentType("application/json").body(b).patch(HOOKS + "/" + id);
      assertThat(r.statusCode()).as(b + ": " + r.asString()).isBetween(400, 499);
    }
    given().get(HOOKS + "/" + id).then().body("description", equalTo("kept")).body("url", equalTo(ok))
        .body("previous_secret_until", org.hamcrest.Matchers.nullValue());
    // ids that are no endpoint's: 404 without echoing them
    for (String wrong : List.of("wh_000000000000000000000000", "x", "%00", "wh_" + "a".repeat(500))) {
      given().urlEncodingEnabled(false).get(HOOKS + "/" + wrong).then().statusCode(org.hamcrest.Matchers
          .anyOf(equalTo(404), equalTo(400))).body("error", org.hamcrest.Matchers.anyOf(equalTo("WebhookNotFound"),
          equalTo("BadRequest")));
    }
    given().get(HOOKS + "/" + id + "/deliveries?after=abc").then().statusCode(400);
    given().get(HOOKS + "/" + id + "/deliveries?limit=0").then().statusCode(422);
    given().delete(HOOKS + "/" + id).then().statusCode(204);
    given().delete(HOOKS + "/" + id).then().statusCode(404).body("error", equalTo("WebhookNotFound"));
  }

  // --- helpers -----------------------------------------------------------------------------------

  private static String name(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static RequestSpecification json() {
    return given().contentType("application/json").accept("application/json");
  }

  private static Response post(Object body) {
    return json().body(body).post(HOOKS);
  }

  private static JsonNode create(Map<String, Object> body) throws Exception {
    Response r = post(body);
    assertThat(r.statusCode()).as(r.asString()).isEqualTo(201);
    return JSON.readTree(r.asString());
  }

  /** An endpoint for the events of one repository: its id. */
  private static String endpoint(String url, String repository) throws Exception {
    return create(Map.of("url", url, "filter", Map.of("repositories", List.of(repository)))).get("id").asText();
  }

  private static JsonNode patch(String id, Map<String, Object> body) throws Exception {
    Response r = json().body(body).patch(HOOKS + "/" + id);
    assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
    return JSON.readTree(r.asString());
  }

  private static JsonNode deliveries(String id) throws Exception {
    return JSON.readTree(given().get(HOOKS + "/" + id + "/deliveries").then().statusCode(200).extract().asString());
  }

  private static JsonNode deliveries(String id, int limit) throws Exception {
    return JSON.readTree(given().queryParam("limit", limit).get(HOOKS + "/" + id + "/deliveries").then()
        .statusCode(200).extract().asString());
  }

  /** The log positions of the events the receiver accepted, in arrival order. */
  private static List<Long> acceptedPositions(WebhookReceiver receiver) throws Exception {
    List<Long> got = new ArrayList<>();
    for (Received r : receiver.accepted()) {
      got.add(JSON.readTree(r.body()).get("position").asLong());
    }
    return got;
  }

  private static int attemptsOfFirst(String id) throws Exception {
    JsonNode items = deliveries(id).get("items");
    return items.isEmpty() ? 0 : items.get(0).get("attempts").size();
  }

  /** The one io.strata.webhook.disabled.v1 event about the endpoint, as GET /api/v1/events shows it. */
  private static JsonNode disabledEvent(String id) throws Exception {
    JsonNode items = JSON.readTree(given().queryParam("types", "io.strata.webhook.disabled.v1")
        .queryParam("limit", 1000).get("/api/v1/events").then().statusCode(200).extract().asString()).get("items");
    List<JsonNode> about = new ArrayList<>();
    items.forEach(e -> {
      if (e.get("data").get("id").asText().equals(id)) {
        about.add(e);
      }
    });
    assertThat(about).as("io.strata.webhook.disabled.v1 events of %s in %s", id, items).hasSize(1);
    return about.get(0);
  }

  private static void repository(String repo) {
    json().body(Map.of("name", repo)).post("/api/v1/repositories").then().statusCode(201);
  }

  private static void branch(String repo, String branch) {
    json().body(Map.of("name", branch)).post("/api/v1/repositories/{r}/branches", repo).then().statusCode(201);
  }

  /** The positions of the repository's events, in order. */
  private List<Long> positions(String repo) {
    return Api.rows(pool, "select position from strata_meta.events where stream_id = '" + repo
        + "' order by position").stream().map(Long::parseLong).toList();
  }

  private long count(String query) {
    return Api.count(pool, query);
  }

  private long endpoints() {
    return count("select count(*) from strata_meta.webhook_endpoints");
  }

  /** A self-signed certificate for "localhost" (and no other name) in a PKCS12 store, also exported as PEM. */
  private record LocalhostCertificate(java.nio.file.Path store, java.nio.file.Path pem) {}

  private static LocalhostCertificate localhostCertificate(java.nio.file.Path dir) throws Exception {
    java.nio.file.Path store = dir.resolve("receiver.p12");
    java.nio.file.Path pem = dir.resolve("receiver.pem");
    String keytool = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    for (List<String> command : List.of(
        List.of(keytool, "-genkeypair", "-alias", "r", "-keyalg", "EC", "-dname", "CN=localhost", "-ext",
            "san=dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
            "-storepass", "secret1", "-keypass", "secret1"),
        List.of(keytool, "-exportcert", "-rfc", "-alias", "r", "-keystore", store.toString(), "-storepass",
            "secret1", "-file", pem.toString()))) {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes())).isZero();
    }
    return new LocalhostCertificate(store, pem);
  }

  /** An HTTPS receiver on loopback with that certificate, answering 200 and counting requests. */
  private static com.sun.net.httpserver.HttpsServer httpsReceiver(LocalhostCertificate certificate,
      java.util.concurrent.atomic.AtomicInteger requests) throws Exception {
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    try (var in = java.nio.file.Files.newInputStream(certificate.store())) {
      ks.load(in, "secret1".toCharArray());
    }
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, "secret1".toCharArray());
    javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 10);
    https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
    https.createContext("/", exchange -> {
      requests.incrementAndGet();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    https.start();
    return https;
  }

  /** Queues a delivery of every event of {@code repo} to each endpoint, as the reactor would. */
  private void enqueueEventsOf(String repo, String... endpoints) {
    List<WebhookStore.NewDelivery> queued = new ArrayList<>();
    for (String endpoint : endpoints) {
      for (String row : Api.rows(pool, "select txid::text || ' ' || position || ' ' || event_id || ' ' || type"
          + " from strata_meta.events where stream_id = '" + repo + "' order by position")) {
        String[] f = row.split(" ");
        queued.add(new WebhookStore.NewDelivery(endpoint, Long.parseLong(f[0]), Long.parseLong(f[1]),
            UUID.fromString(f[2]), f[3], repo));
      }
    }
    webhooks.store().enqueue(queued).await().atMost(WAIT);
  }

  /** SQL helpers of the API tests, reached from this package. */
  static final class Api {
    static void sql(Pool pool, String statement) {
      pool.query(statement).execute().await().atMost(WAIT);
    }

    static List<String> rows(Pool pool, String query) {
      List<String> out = new ArrayList<>();
      pool.query(query).execute().await().atMost(WAIT).forEach(r -> out.add(String.valueOf(r.getValue(0))));
      return out;
    }

    static long count(Pool pool, String query) {
      return pool.query(query).execute().await().atMost(WAIT).iterator().next().getLong(0);
    }
  }
}
