package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import org.junit.jupiter.api.Test;

/**
 * The backup endpoint backs up the embedded database only (BackupRestoreIT in clients/cli takes one): against an
 * external database, as here, it refuses with 409 BackupUnavailable and names the tools that do the job.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BackupResourceTest {
  @Test
  void anExternalDatabaseIsBackedUpWithPostgresToolsNotThroughStrata() {
    given().header("Accept", "application/x-tar").get("/api/v1/admin/backup").then().statusCode(409)
        .contentType("application/json").body("error", equalTo("BackupUnavailable"))
        .body("message", containsString("pg_dump")).body("request_id", org.hamcrest.Matchers.notNullValue());
  }
}
