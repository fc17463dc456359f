package io.strata.promotion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.ApiClient;
import io.strata.client.ApiException;
import io.strata.client.api.BranchesApi;
import io.strata.client.api.PromotionApi;
import io.strata.client.api.RepositoriesApi;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The server as the service sees it: the generated client's APIs, every call sending the service's token. The two
 * things the generated client cannot do are here too, on the same HTTP client: a policy document sent as the file
 * holds it (YAML or JSON, for the server to validate as it is), and the event stream.
 */
public final class StrataApi {
  private static final ObjectMapper JSON = new ObjectMapper();

  final ApiClient client;
  final PromotionApi promotions;
  final BranchesApi branches;
  final RepositoriesApi repositories;
  private final String token;
  private final String actor;
  /** One HTTP client for the calls the generated client cannot make (its getHttpClient() builds a new one each time). */
  private final java.net.http.HttpClient http;

  StrataApi(String serverUrl, String token, String actor, Duration requestTimeout) {
    this.token = token;
    this.actor = actor;
    client = new ApiClient();
    client.updateBaseUri(serverUrl.replaceAll("/+$", ""));
    client.setConnectTimeout(Duration.ofSeconds(10));
    client.setReadTimeout(requestTimeout);
    client.setRequestInterceptor(this::identify);
    http = client.getHttpClient();
    promotions = new PromotionApi(client);
    branches = new BranchesApi(client);
    repositories = new RepositoriesApi(client);
  }

  static StrataApi of(ServiceConfig config) {
    String token = config.token().filter(t -> !t.isBlank()).orElse(null);
    if (token == null && config.tokenFile().filter(f -> !f.isBlank()).isPresent()) {
      try {
        token = Files.readString(Path.of(config.tokenFile().get())).trim();
      } catch (IOException e) {
        throw new IllegalStateException("STRATA_TOKEN_FILE " + config.tokenFile().get() + " cannot be read: " + e);
      }
    }
    return new StrataApi(config.serverUrl(), token, config.actor(), config.requestTimeout());
  }

  java.net.http.HttpClient http() {
    return http;
  }

  String baseUri() {
    return client.getBaseUri();
  }

  /** A request to {@code path} (absolute, already encoded) carrying the service's token. */
  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(client.getBaseUri() + path));
    identify(b);
    return b;
  }

  /** The service's token; and its name, which the server records when it takes no tokens. */
  private void identify(HttpRequest.Builder request) {
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (actor != null && !actor.isBlank()) {
      request.header("X-User-Id", actor);
    }
  }

  /**
   * Sets a repository's policy from a document as its file holds it ({@code application/yaml} or JSON), so the
   * server validates exactly what the file says (every error with its path) and records {@code origin}.
   */
  HttpResponse<String> putPolicy(String repository, byte[] document, boolean yaml, String origin)
      throws IOException, InterruptedException {
    HttpRequest put = request("/api/v1/repositories/" + ApiClient.urlEncode(repository) + "/promotion-policy?origin="
        + ApiClient.urlEncode(origin))
        .timeout(Duration.ofMinutes(1))
        .header("Content-Type", yaml ? "application/yaml" : "application/json")
        .header("Accept", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(document))
        .build();
    return http.send(put, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** The error type of a refusal ({@code {"error": "PromotionAlreadyOpen", …}}), or null when it has none. */
  static String errorType(ApiException e) {
    JsonNode body = errorBody(e.getResponseBody());
    return body == null ? null : body.path("error").asText(null);
  }

  /** A detail of a refusal ({@code details.<name>}), or a missing node. */
  static JsonNode errorDetail(ApiException e, String name) {
    JsonNode body = errorBody(e.getResponseBody());
    return body == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : body.path("details").path(name);
  }

  static JsonNode errorBody(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  /** What a refusal says, for a log line: its type and message, or the status alone. */
  static String describe(ApiException e) {
    JsonNode body = errorBody(e.getResponseBody());
    if (body == null) {
      return e.getCode() == 0 ? String.valueOf(e.getCause() == null ? e.getMessage() : e.getCause())
          : "HTTP " + e.getCode();
    }
    return e.getCode() + " " + body.path("error").asText() + ": " + body.path("message").asText();
  }
}
