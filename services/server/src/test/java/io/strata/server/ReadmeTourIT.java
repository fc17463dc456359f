package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's tours run as written, as a user would run them: the packaged server started as the
 * README says (embedded PostgreSQL in the directory it runs in), each tour a script in a temporary
 * directory elsewhere, which finds the database through the API.
 */
class ReadmeTourIT {
  @TempDir static Path dir;
  private static PackagedServer server;

  @BeforeAll
  static void startServer() throws Exception {
    Files.createDirectories(dir.resolve("server"));
    // the Delta tour's tables live under the directory the README has the server allow
    // and the S3 tour's bucket is on the tests' S3 server, the keys in the variables the tour names
    server = new PackagedServer(dir.resolve("server"), Map.of("STRATA_DELTA_ROOTS", "/tmp/strata-lake",
        "STRATA_DELTA_S3_ENDPOINTS", TestS3.shared().endpoint(), "STRATA_STORAGE_LAKE_KEY", TestS3.ACCESS_KEY,
        "STRATA_STORAGE_LAKE_SECRET", TestS3.SECRET_KEY));
    server.start();
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @Test
  void theTourRunsAsWritten() throws Exception {
    String output = ReadmeTours.run("tour", server, Map.of());

    assertThat(output).contains("\"name\":\"demo\"").contains("\"name\":\"feature/cleanup\"")
        .contains("\"message\":\"Start the cleanup\"").contains("\"error\":\"HeadMoved\"")
        .contains("\"error\":\"BranchNotMerged\"").contains("\"name\":\"v0.1\"");
    // the tag points at the first commit on the branch; the idempotent retry made no extra commit
    assertThat(server.send("GET", "/api/v1/repositories/demo/commits?ref=v0.1", null, 200).get("total").asInt())
        .isEqualTo(2);
    assertThat(server.send("GET", "/api/v1/repositories/demo/commits?ref=main", null, 200).get("total").asInt())
        .isEqualTo(1);
    assertThat(names(server.send("GET", "/api/v1/repositories/demo/branches", null, 200).get("items")))
        .containsExactly("main");
  }

  @Test
  void theDeltaTourRunsAsWritten() throws Exception {
    String output = ReadmeTours.run("deltatour", server, Map.of());

    assertThat(output).contains("\"name\":\"lake\"").contains("\"type\":\"delta\"")
        .contains("\"location\":\"delta://files/trips\"")
        .containsPattern("\\{\"table\":\"trips\",\"location\":\"file:///tmp/strata-lake/tour-[0-9]+/trips/_strata/branches/"
            + "pricing-[0-9a-f]{8}\",\"staged\":\\{\"deleted\":0,\"inserted\":0,\"updated\":1\\}\\}")
        .contains("{\"table\":\"trips\",\"inserted\":0,\"updated\":1,\"deleted\":0}")
        .contains("\"error\":\"MergeConflict\"").contains("{\"message\":\"Pricing\"}")
        .contains("\"fare\":18.50").contains("\"tip\":2.00").contains("\"fare\":16.00")
        .contains("\"type\":\"decimal(8,2)\"")
        .contains("00000000000000000000.json");
    // the branch's row as written, then main's after the merge: the column came along with the resolved row
    assertThat(output.split("\"fare\":18.50,\"tip\":2.00", -1)).hasSize(3);
  }

  /** The S3 part, on the tests' S3 server (the tour starts s3proxy itself only where none answers). */
  @Test
  void theS3TourRunsAsWritten() throws Exception {
    String output = ReadmeTours.run("s3tour", server, Map.of("S3", TestS3.shared().endpoint(),
        "S3_KEY", TestS3.ACCESS_KEY, "S3_SECRET", TestS3.SECRET_KEY));

    assertThat(output).contains("\"name\":\"s3lake\"").contains("\"type\":\"delta\"")
        .contains("\"location\":\"delta://bucket/events\"").contains("\"fast_forward\":true")
        .contains("\"kind\":\"purchase\"")
        .containsPattern("<Key>warehouse/events/_delta_log/0{20}\\.json</Key>")
        .containsPattern("<Key>warehouse/events/_delta_log/0{19}2\\.json</Key>");
    // the storage answers the names of the variables, never the keys; nor does the server's log
    assertThat(output).contains("STRATA_STORAGE_LAKE_SECRET").doesNotContain(TestS3.SECRET_KEY);
    assertThat(server.log()).doesNotContain(TestS3.SECRET_KEY);
  }

  @Test
  void theDataTourRunsAsWritten() throws Exception {
    String output = ReadmeTours.run("datatour", server, Map.of());

    assertThat(output).contains("\"name\":\"orders\"").contains("\"customer\":\"c-new\"").contains("\"applied\":2")
        .contains("\"message\":\"Double the first ten orders\"")
        .contains("\"table\":\"orders\",\"recordable\":true").contains("\"recorded\":true")
        .containsPattern("\"file_name\":\"V[0-9]+__index_orders_by_customer_add_region\\.sql\"")
        .contains("ADD COLUMN \\\"region\\\" text");
    // main reads the column it gained; dev, which kept the columns it had when main gained it, took it by merging main
    assertThat(server.send("GET", "/api/v1/repositories/shop/tables/orders/rows/1?ref=main&working=true", null, 200)
        .has("region")).isTrue();
    assertThat(output).contains("{\"conflicts\":0}");
    assertThat(server.send("GET", "/api/v1/repositories/shop/tables/orders/rows/1?ref=dev&working=true", null, 200)
        .has("region")).isTrue();
    // main (the table) kept its rows; dev has its own, at its head and one commit back
    assertThat(server.send("GET", "/api/v1/repositories/shop/tables/orders/rows/1?ref=dev", null, 200)
        .get("amount").asDouble()).isEqualTo(3.0);
    assertThat(server.send("GET", "/api/v1/repositories/shop/tables/orders/rows/1?ref=main", null, 200)
        .get("amount").asDouble()).isEqualTo(1.5);
    // the column added on branch channel reached the table with the merge: five rows from the store, the rest web
    assertThat(output).contains("violates check constraint")
        .contains("amount_positive: CHECK ((amount > (0)::numeric))")
        .contains("CREATE INDEX orders_by_amount ON public.orders USING btree (amount)") // built CONCURRENTLY
        .containsPattern("\\nnumeric\\(14,2\\)\\n") // the rules branch's wider type, merged into the table
        // merged into refunds, the check's violation was a conflict, resolved with a value that passes
        .contains("{\"key\":[2101],\"type\":\"constraint_violation\",\"constraint\":\"amount_positive\"}")
        .contains("\"Refunds keep to the rules\"").containsPattern("\\n2101: 20(\\.00)?\\n");
    assertThat(output).contains("\"default_value\":\"'web'::text\"").containsPattern("store\\s*\\|\\s*5")
        .containsPattern("web\\s*\\|\\s*[0-9]+");
    assertThat(server.send("GET", "/api/v1/repositories/shop/tables/orders/rows/1?ref=main", null, 200)
        .get("channel").asText()).isEqualTo("store");
    // the column defined two ways: a schema conflict, settled as ours (main's text column, triage's numbers in it)
    // a table made on a branch: 404 on main until the merge makes it in public, with the branch's rows
    assertThat(output).contains("\"made\":{\"branch\":\"returns\",\"branches\":[\"returns\"]}")
        .contains("main: 404").contains("\"change_type\":\"added\",\"up\":[\"CREATE TABLE \\\"public\\\".\\\"returns\\\"")
        .contains("1: 7 damaged\n2: 9 damaged");
    assertThat(output).contains("\"error\":\"SchemaConflict\"").contains("\"column\":\"priority\",\"type\":\"type_mismatch\"")
        .containsPattern("\\n 1\\s*\\|\\s*3");
    assertThat(server.send("GET", "/api/v1/repositories/shop/tables/orders/rows/2?ref=main", null, 200)
        .get("priority").asText()).isEqualTo("1");
    JsonNode diff = server.send("GET", "/api/v1/repositories/shop/diff?from=main&to=dev", null, 200).get("tables").get(0);
    assertThat(diff.get("inserted").asInt()).isEqualTo(2);
    assertThat(diff.get("updated").asInt()).isEqualTo(10);
    // dev's deletes (999, 1000) and the row the rules branch brought to main (2002), which dev lacks
    assertThat(diff.get("deleted").asInt()).isEqualTo(3);
  }

  @Test
  void theMergeTourRunsAsWritten() throws Exception {
    String output = ReadmeTours.run("mergetour", server, Map.of());

    assertThat(output).contains("\"dry_run\":true").contains("\"error\":\"MergeConflict\"")
        .contains("\"type\":\"modify_modify\"").contains("\"remaining\":0")
        .contains("\"message\":\"Merge the e-mail cleanup\"");
    JsonNode rows = server.send("GET", "/api/v1/repositories/crm/tables/customers/rows?ref=main", null, 200).get("items");
    List<String> emails = new ArrayList<>();
    List<String> tiers = new ArrayList<>();
    rows.forEach(r -> {
      emails.add(r.get("email").asText());
      tiers.add(r.get("tier").asText());
    });
    assertThat(emails).containsExactly("ada@new.example", "grace@new.example", "alan@new.example");
    assertThat(tiers).containsExactly("gold", "gold", "silver");
    assertThat(server.send("GET", "/api/v1/repositories/crm/commits?ref=main&limit=1", null, 200)
        .get("items").get(0).get("parents").size()).isEqualTo(2);
  }

  @Test
  void thePromotionTourRunsAsWritten() throws Exception {
    String output = ReadmeTours.run("promotiontour", server, Map.of());

    // the rows at every step, in order
    Matcher step = Pattern.compile("(development|production|staging)[a-z0-9. ]*: 1=\\d+ 2=\\d+ 3=\\d+").matcher(output);
    List<String> steps = new ArrayList<>();
    while (step.find()) {
      steps.add(step.group());
    }
    assertThat(steps).containsExactly(
        "development: 1=150 2=200 3=300",
        "production: 1=150 2=200 3=300",
        "production after the reset: 1=100 2=200 3=300",
        "production at v1.2.0 again: 1=150 2=200 3=300",
        "production after the revert: 1=100 2=200 3=300",
        "production: 1=100 2=200 3=310",
        "staging: 1=100 2=250 3=310",
        "development: 1=100 2=250 3=310");
    assertThat(output).contains("\"fast_forward\":true").contains("\"message\":\"Revert \\\"Raise the north target\\\"\"");
    // the hotfix came back into staging and development by three-way merges (two parents each)
    for (String branch : List.of("staging", "development")) {
      assertThat(server.send("GET", "/api/v1/repositories/sales/commits?ref=" + branch + "&limit=1", null, 200)
          .get("items").get(0).get("parents").size()).isEqualTo(2);
    }
    server.send("GET", "/api/v1/repositories/sales/tags/v1.2.0", null, 200);
    assertThat(server.send("GET", "/api/v1/repositories/sales/tables/regions/rows/1?ref=v1.2.0", null, 200)
        .get("target").asInt()).isEqualTo(150);
  }

  private static List<String> names(JsonNode items) {
    List<String> names = new ArrayList<>();
    items.forEach(i -> names.add(i.get("name").asText()));
    return names;
  }
}
