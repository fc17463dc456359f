package io.strata.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.strata.client.api.BranchesApi;
import io.strata.client.api.CommitsApi;
import io.strata.client.api.EventsApi;
import io.strata.client.api.HistoryApi;
import io.strata.client.api.MergesApi;
import io.strata.client.api.QueryApi;
import io.strata.client.api.RepositoriesApi;
import io.strata.client.api.RowsApi;
import io.strata.client.api.TablesApi;
import io.strata.client.api.TokensApi;
import io.strata.client.api.WebhooksApi;
import io.strata.client.model.AppliedDto;
import io.strata.client.model.ApplyCommit;
import io.strata.client.model.BranchStatus;
import io.strata.client.model.CloudEvent;
import io.strata.client.model.CommitDto;
import io.strata.client.model.ContinueMerge;
import io.strata.client.model.CreateBranch;
import io.strata.client.model.CreateCommit;
import io.strata.client.model.CreateRepository;
import io.strata.client.model.CreateToken;
import io.strata.client.model.CreateWebhook;
import io.strata.client.model.CreatedTokenDto;
import io.strata.client.model.DeliveryPageDto;
import io.strata.client.model.Diff;
import io.strata.client.model.Error;
import io.strata.client.model.EventPage;
import io.strata.client.model.FilterInput;
import io.strata.client.model.Merge;
import io.strata.client.model.MergeDto;
import io.strata.client.model.MergeStateDto;
import io.strata.client.model.Query;
import io.strata.client.model.QueryResult;
import io.strata.client.model.Resolution;
import io.strata.client.model.RowOperation;
import io.strata.client.model.TableDto;
import io.strata.client.model.TrackTable;
import io.strata.client.model.WebhookDto;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's tours (data on branches, tokens, a merge with a conflict and its resolution, revert,
 * the events feed, webhooks) driven through the Java client generated from /openapi.json, typed end
 * to end, against the packaged server with token authentication: the client a user gets is the one
 * the build generates, and it works.
 */
class ReadmeTourClientTest {
  @TempDir static Path dir;
  private static StrataProcess server;
  private static HttpServer receiver;
  private static final LinkedBlockingQueue<Delivery> DELIVERIES = new LinkedBlockingQueue<>();

  private record Delivery(String id, String timestamp, String signature, String body) {}

  @BeforeAll
  static void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      DELIVERIES.add(new Delivery(exchange.getRequestHeaders().getFirst("webhook-id"),
          exchange.getRequestHeaders().getFirst("webhook-timestamp"),
          exchange.getRequestHeaders().getFirst("webhook-signature"), new String(body, StandardCharsets.UTF_8)));
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    receiver.start();
    server = StrataProcess.start(dir, Map.of("STRATA_AUTH", "token",
        "STRATA_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (receiver != null) {
      receiver.stop(0);
    }
  }

  /** A client that sends {@code token} as its bearer token. */
  private static ApiClient client(String token) {
    ApiClient client = new ApiClient();
    client.updateBaseUri(server.baseUri());
    client.setReadTimeout(Duration.ofSeconds(60));
    client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
    return client;
  }

  private static void sql(String... statements) throws Exception {
    try (Connection c = server.sql(); Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  @Test
  void theToursRunThroughTheGeneratedClient() throws Exception {
    String adminSecret = Files.readString(dir.resolve(".strata/admin-token")).trim();
    ApiClient admin = client(adminSecret);

    // tokens: a writer token for one repository, its secret read from the typed answer
    new RepositoriesApi(admin).createRepository(new CreateRepository().name("shop"), null, null, null, null, null, null,
        null, null);
    CreatedTokenDto created = new TokensApi(admin).createToken(new CreateToken().name("tour-writer")
        .role(CreateToken.RoleEnum.WRITER).repositories(List.of("shop")), null);
    assertThat(created.getToken()).startsWith("strata_");
    ApiClient writer = client(created.getToken());

    // data on branches: a table of one's own, tracked in place
    sql("create table public.orders (id int primary key, customer text not null, amount numeric(10,2))",
        "insert into public.orders select g, 'c' || (g % 5), g * 1.5 from generate_series(1, 1000) g");
    TableDto orders = new TablesApi(admin).trackTable("shop", new TrackTable().name("orders")
        .location("postgresql://local/public.orders"), null, null, null, null, null, null, null, null);
    assertThat(orders.getRowCount()).isEqualTo(1000);
    new BranchesApi(writer).createBranch("shop", new CreateBranch().name("dev"), null, null, null, null, null, null, null,
        null);
    sql("update strata_dev.orders set amount = amount * 2 where id <= 10", "delete from strata_dev.orders where id = 1000");
    RowsApi rows = new RowsApi(writer);
    Map<String, Object> stored = rows.putRow("shop", "dev", "orders", "1001",
        Map.of("customer", "c-new", "amount", 9.99), null, null, null, null, null, null);
    assertThat(stored).containsEntry("customer", "c-new");
    assertThat(rows.batchRows("shop", "dev", "orders", List.of(
        new RowOperation().op(RowOperation.OpEnum.UPSERT).row(Map.of("id", 1002, "customer", "c0", "amount", 1)),
        new RowOperation().op(RowOperation.OpEnum.DELETE).key(Map.of("id", 999))), null, null, null, null, null, null)
        .getApplied()).isEqualTo(2);
    BranchStatus status = new BranchesApi(writer).getBranchStatus("shop", "dev", null);
    assertThat(status.getClean()).isFalse();
    CommitDto commit = new CommitsApi(writer).createCommit("shop", "dev", new CreateCommit()
        .message("Double the first ten orders").all(true), null, null, null, null, null, null, null, null);
    assertThat(commit.getParents()).hasSize(1);
    assertThat(new TablesApi(writer).getRow("shop", "orders", "1", "dev", null, null)).containsEntry("amount", 3.0);
    Diff diff = new CommitsApi(writer).diffRefs("shop", "main", "dev", null, true, null);
    assertThat(diff.getChanges()).hasSize(14); // 10 doubled, 1000 and 999 deleted, 1001 and 1002 added
    QueryResult query = new QueryApi(writer).queryRepository("shop", new Query()
        .sql("select count(*) as n from orders").ref("dev"), null);
    assertThat(query.getColumns()).containsExactly("n");

    // a merge with a conflict, and its resolution
    sql("update strata_dev.orders set customer = 'dev-side' where id = 2");
    new CommitsApi(writer).createCommit("shop", "dev", new CreateCommit().message("Rename on dev").all(true),
        null, null, null, null, null, null, null, null);
    sql("update public.orders set customer = 'main-side' where id = 2");
    new CommitsApi(writer).createCommit("shop", "main", new CreateCommit().message("Rename on main").all(true),
        null, null, null, null, null, null, null, null);
    MergesApi merges = new MergesApi(writer);
    MergeDto dryRun = merges.mergeBranch("shop", "main", new Merge().source("dev").dryRun(true), null, null, null, null,
        null, null, null, null);
    assertThat(dryRun.getConflicts()).isEqualTo(1);
    ApiException stopped = catchThrowableOfType(ApiException.class, () -> merges.mergeBranch("shop", "main",
        new Merge().source("dev"), null, null, null, null, null, null, null, null));
    assertThat(stopped.getCode()).isEqualTo(409);
    Error error = new ObjectMapper().findAndRegisterModules().readValue(stopped.getResponseBody(), Error.class);
    assertThat(error.getError()).isEqualTo(Error.ErrorEnum.MERGE_CONFLICT);
    MergeStateDto inProgress = merges.getMerge("shop", "main", null, null, null);
    assertThat(inProgress.getMergeInProgress()).isTrue();
    assertThat(inProgress.getItems()).singleElement().satisfies(c -> {
      assertThat(c.getTable()).isEqualTo("orders");
      assertThat(c.getKey()).isEqualTo(List.of(2)); // the key as a JSON array, sent back as it came
    });
    assertThat(merges.resolveConflicts("shop", "main", new Resolution().table("orders").key(List.of(2))
        .field("customer").take(Resolution.TakeEnum.THEIRS), null, null, null, null, null, null, null, null)
        .getRemaining()).isZero();
    CommitDto merged = merges.continueMerge("shop", "main", null, null, null, null, null, null, null, null,
        new ContinueMerge().message("Merge dev"));
    assertThat(merged.getParents()).hasSize(2);

    // revert: the merge's changes undone by a new commit on main (201 with the commit, typed as every answer of
    // the operation is)
    ApiResponse<AppliedDto> reverted = new HistoryApi(writer).revertCommitWithHttpInfo("shop", "main",
        new ApplyCommit().commit(commit.getId()), null, null, null, null, null, null, null, null);
    assertThat(reverted.getStatusCode()).isEqualTo(201);
    assertThat(reverted.getData().getCommit().getMessage()).startsWith("Revert");
    assertThat(reverted.getData().getMerge().getMergeInProgress()).isFalse();
    assertThat(new CommitsApi(writer).listCommits("shop", "main", 1, null, null, null, null, null, null, null)
        .getItems()).singleElement().satisfies(c -> assertThat(c.getMessage()).startsWith("Revert"));

    // webhooks: an endpoint on loopback, its signing secret from the typed answer
    WebhookDto hook = new WebhooksApi(admin).createWebhook(new CreateWebhook()
        .url("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook")
        .filter(new FilterInput().repositories(List.of("shop")).types(List.of("io.strata.tag.created.v1"))), null);
    assertThat(hook.getSecret()).startsWith("whsec_");
    new io.strata.client.api.TagsApi(writer).createTag("shop", new io.strata.client.model.CreateTag().name("v1")
        .ref("main"), null, null, null, null, null, null, null, null);
    Delivery delivery = DELIVERIES.poll(60, TimeUnit.SECONDS);
    assertThat(delivery).as("a delivery of the tag's event").isNotNull();
    assertThat(delivery.body()).contains("io.strata.tag.created.v1");
    assertThat(delivery.signature()).contains("v1," + sign(hook.getSecret(), delivery));
    DeliveryPageDto deliveries = new WebhooksApi(admin).listDeliveries(hook.getId(), null, null, null);
    assertThat(deliveries.getItems()).isNotEmpty();

    // the events feed: every step above, in order, typed
    EventPage events = new EventsApi(writer).listRepositoryEvents("shop", 0L, null, null, 1000, null);
    assertThat(events.getItems()).extracting(CloudEvent::getType)
        .contains("io.strata.merge.started.v3", "io.strata.tag.created.v1");
    assertThat(events.getNext()).isPositive();

    // a revoked token is refused
    new TokensApi(admin).revokeToken(created.getId(), null);
    ApiException refused = catchThrowableOfType(ApiException.class,
        () -> new RepositoriesApi(writer).getRepository("shop", null));
    assertThat(refused.getCode()).isEqualTo(401);
  }

  /** Standard Webhooks: base64 HMAC-SHA256 of id.timestamp.body, keyed with the secret's base64 part. */
  private static String sign(String secret, Delivery d) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
    return Base64.getEncoder().encodeToString(mac.doFinal((d.id() + "." + d.timestamp() + "." + d.body())
        .getBytes(StandardCharsets.UTF_8)));
  }
}
