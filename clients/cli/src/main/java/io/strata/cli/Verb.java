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
      ApiClient c = new ApiClient();
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

  Output out() {
    if (output == null) {
      output = new Output(((Strata) spec.root().userObject()).output, spec.commandLine().getOut(),
          client().getObjectMapper(), env());
    }
    return output;
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
