package io.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.client.StrataProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verbs the README's tour leaves out, against the packaged server: stash, rebase, promotion, webhooks, tokens,
 * and what a failure looks like (one line, the documented exit status, the request's id).
 */
class CliVerbsIT {
  @TempDir Path dir;

  @Test
  void stashRebasePromotionWebhooksAndTokens() throws Exception {
    // a webhook's host must resolve: a loopback one, allowed for the test (the server refuses private addresses)
    try (StrataProcess server = StrataProcess.start(Files.createDirectories(dir.resolve("server")),
        Map.of("STRATA_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1/32"))) {
      Cli cli = new Cli(dir, Map.of("STRATA_URL", server.baseUri(), "STRATA_REPOSITORY", "verbs", "STRATA_USER", "alice"));
      ok(cli, "repo", "create", "verbs");
      try (Connection sql = server.sql(); Statement s = sql.createStatement()) {
        s.execute("create table public.verbs_items (id int primary key, v int not null)");
        s.execute("insert into public.verbs_items select g, g from generate_series(1, 20) g");
      }
      ok(cli, "table", "add", "items", "postgresql://local/public.verbs_items");
      ok(cli, "branch", "topic");

      // stash: the working change goes aside and comes back
      try (Connection sql = server.sql(); Statement s = sql.createStatement()) {
        s.execute("update strata_topic.items set v = 100 where id = 1");
      }
      assertThat(ok(cli, "stash", "-b", "topic", "-m", "half done")).contains("as stash@{0}: half done");
      assertThat(ok(cli, "status", "-b", "topic")).contains("nothing to commit");
      assertThat(ok(cli, "stash", "list", "-b", "topic")).contains("stash@{0}: on topic");
      assertThat(ok(cli, "stash", "pop", "-b", "topic")).contains("Popped stash@{0}");
      assertThat(ok(cli, "status", "-b", "topic")).contains("items  +0 ~1 -0");
      ok(cli, "commit", "-b", "topic", "-a", "-m", "v of 1 on topic");

      // rebase: main moves on, topic's commit is replayed on it
      try (Connection sql = server.sql(); Statement s = sql.createStatement()) {
        s.execute("update public.verbs_items set v = 200 where id = 2");
      }
      ok(cli, "commit", "-a", "-m", "v of 2 on main");
      assertThat(ok(cli, "rebase", "main", "-b", "topic")).contains("Rebased topic onto main: 1 commit(s) replayed");
      assertThat(ok(cli, "log", "--oneline", "-n", "2", "topic")).containsPattern("[0-9a-f]{7} v of 1 on topic\\n"
          + "[0-9a-f]{7} v of 2 on main");

      // log by time: everything is after 2000, nothing before
      assertThat(ok(cli, "log", "--oneline", "--since", "2000-01-01T00:00:00Z", "topic")).contains("v of 1 on topic");
      assertThat(ok(cli, "log", "--oneline", "--until", "2000-01-01T00:00:00Z", "topic")).isEmpty();

      // promotion: a policy from a file, a request of topic into main, its check run on the preview, an approval
      Path policy = Files.writeString(dir.resolve("verbs.yaml"), """
          version: 1
          protected_branches: [main]
          paths:
            - {source: topic, target: main, required_checks: [positive], approvals: {required: 1, actors: [alice]}}
          checks:
            - {name: positive, sql: "select id from items where v <= 0", expect: no_rows}
          """);
      assertThat(ok(cli, "promotion", "policy", "--set", policy.toString())).contains("Set the promotion policy");
      assertThat(ok(cli, "promotion", "policy")).contains("\"protected_branches\"");
      assertThat(ok(cli, "promotion", "open", "topic", "main")).contains("#1 topic -> main: ");
      assertThat(ok(cli, "promotion", "checks", "1")).contains("positive:passed");
      assertThat(ok(cli, "promotion", "approve", "1", "-m", "looks right")).contains("approvals: 1/1");
      assertThat(ok(cli, "promotion")).contains("topic").contains("main");
      assertThat(ok(cli, "promotion", "show", "1")).contains("#1 topic -> main");

      // webhooks and tokens: added and listed, the secret shown once, removed
      String hook = ok(cli, "webhooks", "add", "http://127.0.0.1:9/strata", "--type", "io.strata.tag.created.v1");
      assertThat(hook).contains("Its signing secret, shown once:").containsPattern("whsec_[A-Za-z0-9+/=]+");
      String id = hook.split(" ")[2];
      assertThat(ok(cli, "webhooks")).contains(id).contains("http://127.0.0.1:9/strata");
      assertThat(ok(cli, "webhooks", "rm", id)).contains("Removed webhook " + id);
      String token = ok(cli, "tokens", "create", "ci-bot", "--role", "writer", "--repository", "verbs");
      assertThat(token).contains("Created token ci-bot").contains("Its secret, shown once:");
      assertThat(ok(cli, "tokens")).contains("ci-bot").contains("writer");

      // a failure: one line on stderr with the server's message, its type and the request's id; exit 3
      Cli.Result missing = cli.run("log", "no-such-branch");
      assertThat(missing.exit()).isEqualTo(ExitCodes.NOT_FOUND_OR_REFUSED);
      assertThat(missing.err()).startsWith("strata: ").containsPattern("\\(RefNotFound, request [0-9a-f-]{36}\\)")
          .doesNotContain("Exception").hasLineCount(1);
      Cli.Result taken = cli.run("branch", "topic");
      assertThat(taken.exit()).isEqualTo(ExitCodes.CONFLICT);
      assertThat(taken.err()).contains("BranchAlreadyExists");
      // --output json: the API's answer as it is
      assertThat(ok(cli, "--output", "json", "branch")).contains("\"items\"").contains("\"name\" : \"topic\"");
    }
    // no server there: exit 5, saying where it looked
    Cli.Result away = new Cli(dir, Map.of("STRATA_URL", "http://127.0.0.1:9", "STRATA_REPOSITORY", "x")).run("log");
    assertThat(away.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(away.err()).contains("cannot reach the server at http://127.0.0.1:9");
  }

  private static String ok(Cli cli, String... args) throws Exception {
    Cli.Result r = cli.run(args);
    assertThat(r.exit()).as("strata %s\n%s%s", String.join(" ", args), r.out(), r.err()).isZero();
    return r.out();
  }
}
