package io.strata.cli;

import io.strata.client.ApiClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every command shares: the settings, a client for the server, the output. */
abstract class Verb implements Callable<Integer> {
  @Spec CommandSpec spec;
  private Settings settings;
  private ApiClient client;
  private Output output;

  Map<String, String> env() {
    return System.getenv();
  }

  Settings settings() {
    if (settings == null) {
      settings = Settings.resolve((Strata) spec.root().userObject(), env());
    }
    return settings;
  }

  /** The server's address, once the settings were read (for error messages). */
  String serverOrNull() {
    return settings == null ? null : settings.server();
  }

  ApiClient client() {
    if (client == null) {
      ApiClient c = new SharedHttpClient();
      c.setHttpClientBuilder(httpClient(settings().server()));
      c.updateBaseUri(settings().server());
      c.setConnectTimeout(Duration.ofSeconds(10));
      String token = settings().token();
      c.setRequestInterceptor(request -> {
        request.header("User-Agent", "strata-cli");
        if (token != null) {
          request.header("Authorization", "Bearer " + token);
        }
      });
      client = c;
    }
    return client;
  }

  /**
   * HTTP/1.1 (no h2c upgrade round trip on plain http), and for a plain-http server no TLS set-up: the JDK's client
   * otherwise loads the default trust store at its creation, a tenth of a second of a command's start.
   */
  static java.net.http.HttpClient.Builder httpClient(String server) {
    java.net.http.HttpClient.Builder builder = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1);
    if (server.startsWith("http://")) {
      try {
        javax.net.ssl.SSLContext none = javax.net.ssl.SSLContext.getInstance("TLS");
        none.init(new javax.net.ssl.KeyManager[0], new javax.net.ssl.TrustManager[0], null);
        builder.sslContext(none);
      } catch (java.security.GeneralSecurityException e) {
        // the default context then: slower, not wrong
      }
    }
    return builder;
  }

  Output out() {
    if (output == null) {
      output = new Output(((Strata) spec.root().userObject()).output, spec.commandLine().getOut(),
          client().getObjectMapper(), env());
    }
    return output;
  }

  /**
   * A call the generated client cannot make as wanted (a streamed body, a document sent as written): the request
   * gets the client's headers (token, user agent); an error answer becomes the one-line failure of its status.
   * The caller reads (and closes) the body.
   */
  java.net.http.HttpResponse<java.io.InputStream> send(java.net.http.HttpRequest.Builder request)
      throws java.io.IOException, InterruptedException {
    client().getRequestInterceptor().accept(request);
    java.net.http.HttpResponse<java.io.InputStream> answer = client().getHttpClient().send(request.build(),
        java.net.http.HttpResponse.BodyHandlers.ofInputStream());
    if (answer.statusCode() / 100 != 2) {
      String error;
      try (java.io.InputStream in = answer.body()) {
        error = new String(in.readNBytes(64 * 1024), java.nio.charset.StandardCharsets.UTF_8);
      }
      throw new Failures.Refused(ExitCodes.of(answer.statusCode()), Failures.describe(answer.statusCode(), error));
    }
    return answer;
  }

  /** The repository the command works on: --repo, STRATA_REPOSITORY or the config file's. */
  String repository() {
    String repo = settings().repository();
    if (repo == null) {
      throw new Failures.Refused(ExitCodes.USAGE, "which repository? give --repo <name>, or set STRATA_REPOSITORY");
    }
    return repo;
  }

  /** The branch named, else the repository's default branch. */
  String branchOrDefault(String named) throws io.strata.client.ApiException {
    if (named != null) {
      return named;
    }
    return new io.strata.client.api.RepositoriesApi(client()).getRepository(repository(), null).getDefaultBranch();
  }
}
