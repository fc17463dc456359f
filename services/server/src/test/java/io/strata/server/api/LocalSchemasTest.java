package io.strata.server.api;

import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** With STRATA_LOCAL_SCHEMAS set, only those schemas of the server's own database can be tracked. */
@QuarkusTest
@TestProfile(LocalSchemasTest.OnlyPublicAndSales.class)
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class LocalSchemasTest {
  public static class OnlyPublicAndSales implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("strata.local-schemas", "public,sales");
    }
  }

  @Inject Pool pool;

  @Test
  void onlyTheSchemasTheOperatorNamesAreOpenToTracking() throws Exception {
    String repo = createRepository(uniqueName("schemas"));
    String suffix = repo.replace("-", "_");
    sql(pool, "create schema if not exists sales");
    sql(pool, "create schema if not exists payroll");
    sql(pool, "create table sales.orders_" + suffix + " (id int primary key)");
    sql(pool, "create table payroll.salaries_" + suffix + " (id int primary key)");
    Map<String, String> before = Api.digest();
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "salaries",
        "location", "postgresql://local/payroll.salaries_" + suffix))
        .statusCode(422).body("details.field", equalTo("location")).body("message", containsString("STRATA_LOCAL_SCHEMAS"));
    assertThat(Api.digest()).isEqualTo(before);
    // the same database registered as a storage (host, port, a password file) is held to the same rules
    URI db = URI.create(ConfigProvider.getConfig().getValue("quarkus.datasource.reactive.url", String.class));
    Path password = Files.createTempFile("pw", ".txt");
    password.toFile().deleteOnExit();
    Files.writeString(password, ConfigProvider.getConfig().getOptionalValue("quarkus.datasource.password", String.class)
        .orElse(""));
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "itself", "host", db.getHost(), "port",
        db.getPort(), "database", db.getPath().substring(1), "username",
        ConfigProvider.getConfig().getValue("quarkus.datasource.username", String.class),
        "password_file", password.toString())).statusCode(201);
    Map<String, String> registered = Api.digest();
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "salaries",
        "location", "postgresql://itself/payroll.salaries_" + suffix))
        .statusCode(422).body("message", containsString("STRATA_LOCAL_SCHEMAS"));
    assertThat(Api.digest()).isEqualTo(registered);
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "orders",
        "location", "postgresql://local/sales.orders_" + suffix)).statusCode(201);
  }
}
