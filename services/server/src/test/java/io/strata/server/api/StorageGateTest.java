package io.strata.server.api;

import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.registerStorage;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.testing.TestDatabase;
import io.strata.server.TestDatabaseResource;
import io.strata.server.application.StorageGates;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The promotion gate in a registered storage: a gated branch's view in the other database refuses SQL writes as
 * the server's own database's views do, from right after the policy's append; lifting the gate lets them through
 * again; a gate lost in that database (written by hand, or missed while it was out of reach) is written back by
 * the periodic round.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class StorageGateTest {
  private static Warehouse storage;
  private static TestDatabase warehouse;
  private static Pool remote;

  @Inject StorageGates gates;

  @BeforeAll
  static void startWarehouse() {
    storage = Warehouse.start();
    warehouse = storage.database;
    remote = storage.pool;
  }

  @AfterAll
  static void stopWarehouse() {
    storage.close();
  }

  @Test
  void aGatedBranchsViewInARegisteredStorageRefusesWrites() throws Exception {
    String repo = createRepository(uniqueName("stgate"));
    registerStorage(repo, "warehouse", warehouse);
    String table = "sg_" + uniqueName("t").substring(2).replace("-", "_");
    sql(remote, "create table public." + table + " (id int primary key, v int)");
    sql(remote, "insert into public." + table + " select g, g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t",
        "location", "postgresql://warehouse/public." + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "production")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String production = Api.view(repo, "production", "t");
    String dev = Api.view(repo, "dev", "t");
    sql(remote, "update " + production + " set v = 10 where id = 1"); // not gated yet

    policy(repo, "refuse");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThatThrownBy(() -> sql(remote, "update " + production + " set v = 11 where id = 1"))
            .hasMessageContaining("protected by its promotion policy"));
    assertThatThrownBy(() -> sql(remote, "insert into " + production + " values (42, 42)"))
        .hasMessageContaining("protected by its promotion policy");
    sql(remote, "update " + dev + " set v = 12 where id = 1"); // an ungated branch takes writes

    // lost in the storage (written by hand here): the round writes it back
    sql(remote, "delete from strata.gated_branches");
    sql(remote, "update " + production + " set v = 13 where id = 1");
    gates.round().await().atMost(Duration.ofSeconds(30));
    assertThatThrownBy(() -> sql(remote, "update " + production + " set v = 14 where id = 1"))
        .hasMessageContaining("protected by its promotion policy");

    // the gate lifted: writes go through again
    policy(repo, "allow");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> sql(remote, "update " + production
        + " set v = 15 where id = 1"));
  }

  private static void policy(String repo, String directChanges) {
    Api.json().body(Map.of("version", 1, "protected_branches", List.of("production"), "direct_changes", directChanges,
            "paths", List.of(Map.of("source", "dev", "target", "production"))))
        .put("/api/v1/repositories/" + repo + "/promotion-policy").then().statusCode(200);
  }
}
