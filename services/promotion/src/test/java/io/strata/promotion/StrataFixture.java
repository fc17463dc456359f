package io.strata.promotion;

import io.strata.client.ApiClient;
import io.strata.client.StrataProcess;
import io.strata.client.api.BranchesApi;
import io.strata.client.api.CommitsApi;
import io.strata.client.api.PromotionApi;
import io.strata.client.api.RepositoriesApi;
import io.strata.client.api.RowsApi;
import io.strata.client.api.TablesApi;
import io.strata.client.api.TokensApi;
import io.strata.client.model.CreateBranch;
import io.strata.client.model.CreateCommit;
import io.strata.client.model.CreateRepository;
import io.strata.client.model.CreateToken;
import io.strata.client.model.PromotionDto;
import io.strata.client.model.TrackTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One packaged Strata server (token auth, its private PostgreSQL) for every integration test of the service in
 * this JVM, the admin's client, and the promotion service's own token (an admin of every repository: it applies
 * policy files).
 */
final class StrataFixture {
  private static StrataFixture shared;

  final Path dir;
  final StrataProcess server;
  final ApiClient admin;
  final String botToken;

  private StrataFixture(Path dir, StrataProcess server, ApiClient admin, String botToken) {
    this.dir = dir;
    this.server = server;
    this.admin = admin;
    this.botToken = botToken;
  }

  static synchronized StrataFixture get() throws Exception {
    if (shared == null) {
      Path dir = Files.createTempDirectory(Path.of("target"), "promotion-it").toAbsolutePath();
      Files.createDirectories(dir.resolve("server"));
      StrataProcess server = StrataProcess.start(dir.resolve("server"), Map.of("STRATA_AUTH", "token"));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          server.close();
        } catch (Exception ignored) {
          // the JVM is ending
        }
      }));
      ApiClient admin = client(server, Files.readString(dir.resolve("server/.strata/admin-token")).trim());
      String bot = new TokensApi(admin).createToken(new CreateToken().name("promotion-bot")
          .role(CreateToken.RoleEnum.ADMIN).repositories(List.of("*")), null).getToken();
      shared = new StrataFixture(dir, server, admin, bot);
    }
    return shared;
  }

  static ApiClient client(StrataProcess server, String token) {
    ApiClient client = new ApiClient();
    client.updateBaseUri(server.baseUri());
    client.setReadTimeout(Duration.ofSeconds(120));
    client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
    return client;
  }

  /** The service's environment: this server, the bot's token, a quick resync for tests that want one. */
  Map<String, String> serviceEnv(Map<String, String> more) {
    Map<String, String> env = new java.util.HashMap<>(Map.of("STRATA_URL", server.baseUri(), "STRATA_TOKEN", botToken));
    env.putAll(more);
    return env;
  }

  void sql(String... statements) throws Exception {
    try (Connection c = server.sql(); Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  /**
   * A repository with a table {@code table} of {@code rows} rows ({@code id}, {@code region}, {@code amount}
   * = id) tracked on main, and these branches made from main.
   */
  void repository(String repo, String table, int rows, String... branches) throws Exception {
    new RepositoriesApi(admin).createRepository(new CreateRepository().name(repo), null, null, null, null, null, null,
        null, null);
    sql("create table public." + table + " (id int primary key, region text not null, amount numeric(12,2))",
        "insert into public." + table + " select g, 'r' || (g % 7), g from generate_series(1, " + rows + ") g");
    new TablesApi(admin).trackTable(repo, new TrackTable().name(table).location("postgresql://local/public." + table),
        null, null, null, null, null, null, null, null);
    for (String b : branches) {
      new BranchesApi(admin).createBranch(repo, new CreateBranch().name(b), null, null, null, null, null, null, null,
          null);
    }
  }

  /** Upserts a row on a branch and commits it; answers the commit's id. */
  String commitRow(String repo, String branch, String table, int id, double amount, String message) throws Exception {
    new RowsApi(admin).putRow(repo, branch, table, String.valueOf(id), Map.of("region", "r0", "amount", amount),
        null, null, null, null, null, null);
    return new CommitsApi(admin).createCommit(repo, branch, new CreateCommit().message(message).all(true), null, null,
        null, null, null, null, null, null).getId();
  }

  String head(String repo, String branch) throws Exception {
    return new BranchesApi(admin).getBranch(repo, branch, null).getHead();
  }

  List<PromotionDto> promotions(String repo) throws Exception {
    return new PromotionApi(admin).listPromotions(repo, null, 1000, 0, null).getItems();
  }

  Object amount(String repo, String table, String ref, int id) throws Exception {
    try {
      return new TablesApi(admin).getRow(repo, table, String.valueOf(id), ref, null, null).get("amount");
    } catch (io.strata.client.ApiException e) {
      if (e.getCode() == 404) {
        return null;
      }
      throw e;
    }
  }
}
