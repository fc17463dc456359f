package io.strata.server.contract;

import io.quarkus.test.junit.callback.QuarkusTestAfterTestExecutionCallback;
import io.quarkus.test.junit.callback.QuarkusTestBeforeEachCallback;
import io.quarkus.test.junit.callback.QuarkusTestMethodContext;
import io.restassured.RestAssured;
import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.http.Header;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every answer a Quarkus test receives through RestAssured is held to /openapi.json (AnswerValidator):
 * a status, media type, body or header the document does not declare for that operation fails the
 * test that received it, naming the operation and what differs. Installed for every @QuarkusTest by
 * the Quarkus test callbacks (META-INF/services), so a test needs nothing to be checked.
 */
public final class ContractValidation implements Filter, QuarkusTestBeforeEachCallback,
    QuarkusTestAfterTestExecutionCallback {
  private static final Filter INSTALLED = new ContractValidation();
  private static final List<String> MISMATCHES = new ArrayList<>();
  private static volatile AnswerValidator validator;
  private static volatile int validatorPort = -1;

  @Override
  public void beforeEach(QuarkusTestMethodContext context) {
    synchronized (MISMATCHES) {
      MISMATCHES.clear();
    }
    if (RestAssured.filters().stream().noneMatch(f -> f instanceof ContractValidation)) {
      RestAssured.filters(INSTALLED);
    }
  }

  @Override
  public void afterTestExecution(QuarkusTestMethodContext context) {
    List<String> found;
    synchronized (MISMATCHES) {
      found = List.copyOf(MISMATCHES);
      MISMATCHES.clear();
    }
    if (!found.isEmpty() && context.getTestStatus().getTestErrorCause() == null) {
      throw new AssertionError("answers that differ from /openapi.json:\n  " + String.join("\n  ", found));
    }
  }

  @Override
  public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification expected,
      FilterContext context) {
    Response answer = context.next(request, expected);
    String path = URI.create(request.getURI()).getRawPath();
    if (path.equals("/openapi.json") || path.equals("/openapi")) {
      return answer;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (Header h : answer.getHeaders()) {
      headers.put(h.getName(), h.getValue());
    }
    List<String> problems = validator(request.getPort()).check(request.getMethod(), path, answer.getStatusCode(),
        answer.getContentType(), headers, answer.asString());
    if (!problems.isEmpty()) {
      synchronized (MISMATCHES) {
        MISMATCHES.addAll(problems);
      }
    }
    return answer;
  }

  /** The document as the server under test serves it, read once per server. */
  private static AnswerValidator validator(int port) {
    AnswerValidator v = validator;
    if (v == null || validatorPort != port) {
      synchronized (ContractValidation.class) {
        try {
          // HTTP/1.1: the JDK client's default cleartext HTTP/2 upgrade now and then misreads the server's
          // frames ("Frame type(34) length(6909543) exceeds MAX_FRAME_SIZE"), which a fresh clone's run hit
          HttpResponse<String> document = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
              HttpRequest.newBuilder(
              URI.create("http://localhost:" + port + "/openapi.json")).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
          v = new AnswerValidator(document.body());
        } catch (IOException e) {
          throw new IllegalStateException("cannot read /openapi.json to check answers against", e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        validator = v;
        validatorPort = port;
      }
    }
    return v;
  }
}
