package io.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.strata.server.TestDatabaseResource;
import io.strata.server.TokenAuthProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The promotion gate against a small reference model: random policies (protected patterns, direct changes refused
 * or allowed), random protection flags, and random writes (commits, row writes and deletes, merges, resets,
 * unprotections) sent by a writer or an admin, with or without an override. Nothing reaches a branch the model says
 * is gated unless an admin overrode it (then it is recorded); a writer's override is refused; and everything the
 * model lets through is not refused by the gate.
 */
@QuarkusTest
@TestProfile(TokenAuthProfile.class)
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class GateModelTest {
  private static final List<String> BRANCHES = List.of("main", "b1", "b2", "release/x");
  private static final List<String> PATTERNS = List.of("main", "b*", "release/*", "**", "b1", "release");
  /** Refusals that are not the gate's: the write is let through and found wanting for its own reasons. */
  private static final java.util.Set<String> OTHER_REFUSALS = java.util.Set.of("WorkingChangesPresent", "RowNotFound",
      "MergeConflict");

  @Inject Pool pool;

  private int refused;
  private int overridden;
  private int allowed;

  @Test
  void nothingReachesAGatedBranchThatThePolicyRefusesAndEverythingItAllowsDoes() throws Exception {
    SeededRuns.run("gatemodel", 3, 60, 20261129L, this::run);
    System.out.printf("GateModelTest: %d writes refused by the gate, %d overridden by an admin, %d let through%n",
        refused, overridden, allowed);
    assertThat(refused).as("writes the gate refused").isPositive();
    assertThat(overridden).as("writes an admin overrode the gate for").isPositive();
    assertThat(allowed).as("writes to branches the policy leaves open").isPositive();
  }

  private void run(Random random, int steps, StringBuilder trace) throws Exception {
    String repo = TokenAuthTest.repository("gatemodel");
    String table = "gm_" + repo.replace("-", "_");
    Api.sql(pool, "create table public." + table + " (id int primary key, v int)");
    Api.sql(pool, "insert into public." + table + " select g, g from generate_series(1, 5) g");
    String admin = (String) TokenAuthTest.createToken(Api.uniqueName("gm-admin"), "admin", List.of(repo), null)
        .get("token");
    String writer = (String) TokenAuthTest.createToken(Api.uniqueName("gm-writer"), "writer", List.of(repo), null)
        .get("token");
    as(admin).body(Map.of("name", "t", "location", "postgresql://local/public." + table))
        .post(repoPath(repo) + "/tables").then().statusCode(201);
    for (String b : BRANCHES.subList(1, BRANCHES.size())) {
      as(admin).body(Map.of("name", b)).post(repoPath(repo) + "/branches").then().statusCode(201);
    }
    Map<String, Boolean> flags = new HashMap<>();
    BRANCHES.forEach(b -> flags.put(b, false));
    List<String> patterns = List.of();
    boolean refuse = false;
    boolean policy = false;
    for (int step = 0; step < steps; step++) {
      int kind = random.nextInt(10);
      if (kind == 0 || !policy) {
        // a new policy, and protection flags set by an admin's override where the branch is gated
        List<String> chosen = new ArrayList<>();
        PATTERNS.stream().filter(p -> random.nextInt(4) == 0).forEach(chosen::add);
        patterns = chosen;
        refuse = random.nextInt(4) > 0;
        policy = true;
        trace.append(step).append(": policy ").append(patterns).append(refuse ? " refuse" : " allow").append('\n');
        as(admin).body(Map.of("version", 1, "protected_branches", patterns, "direct_changes", refuse ? "refuse" : "allow"))
            .put(repoPath(repo) + "/promotion-policy").then().statusCode(200);
        continue;
      }
      if (kind == 1) {
        String b = BRANCHES.get(random.nextInt(BRANCHES.size()));
        boolean protect = random.nextBoolean();
        trace.append(step).append(": admin protects ").append(b).append(' ').append(protect).append('\n');
        as(admin).header("Strata-Gate-Override", "model").body(Map.of("protected", protect))
            .patch(branchPath(repo, b)).then().statusCode(200);
        flags.put(b, protect);
        continue;
      }
      String branch = BRANCHES.get(random.nextInt(BRANCHES.size()));
      boolean byAdmin = random.nextBoolean();
      boolean override = random.nextInt(3) == 0;
      boolean gated = refuse && (flags.get(branch) || patterns.stream().anyMatch(p -> matches(p, branch)));
      String before = stateOf(repo, branch, admin);
      long eventsBefore = overrides(repo, admin);
      RequestSpecification request = as(byAdmin ? admin : writer);
      if (override) {
        request = request.header("Strata-Gate-Override", "model step " + step);
      }
      String op;
      Response r;
      switch (kind) {
        case 2, 3 -> {
          op = "commit";
          r = request.body(Map.of("message", "step " + step, "allow_empty", true)).post(branchPath(repo, branch)
              + "/commits");
        }
        case 4, 5 -> {
          op = "put";
          r = request.body(Map.of("v", step)).put(branchPath(repo, branch) + "/tables/t/rows/" + (1 + random.nextInt(5)));
        }
        case 6 -> {
          op = "merge";
          String source = BRANCHES.get(random.nextInt(BRANCHES.size()));
          r = request.body(Map.of("source", source.equals(branch) ? "main~0" : source, "strategy", "theirs"))
              .post(branchPath(repo, branch) + "/merge");
        }
        case 7 -> {
          op = "reset";
          r = request.body(Map.of("to", branch.equals("main") ? "b1" : "main", "mode", "hard", "force", true))
              .post(branchPath(repo, branch) + "/reset");
        }
        case 8 -> {
          op = "unprotect";
          r = request.body(Map.of("protected", false)).patch(branchPath(repo, branch));
        }
        default -> {
          op = "delete row";
          r = request.delete(branchPath(repo, branch) + "/tables/t/rows/" + (1 + random.nextInt(5)));
        }
      }
      String error = r.statusCode() >= 400 && r.contentType() != null && r.contentType().contains("json")
          ? r.jsonPath().getString("error") : null;
      trace.append(step).append(": ").append(byAdmin ? "admin " : "writer ").append(op).append(" on ").append(branch)
          .append(override ? " (override)" : "").append(gated ? " [gated]" : "").append(" -> ").append(r.statusCode())
          .append(error == null ? "" : " " + error).append('\n');
      boolean adminOnly = op.equals("unprotect") || op.equals("reset") && flags.get(branch);
      if (override && !byAdmin || adminOnly && !byAdmin) {
        // a writer's override is refused; an admin's operation too (or the gate refuses it first)
        assertThat(r.statusCode()).as("refused: " + r.asString()).isIn(403, 409);
        assertThat(stateOf(repo, branch, admin)).as("nothing changed").isEqualTo(before);
        continue;
      }
      if (gated && !override) {
        // nothing reaches the gated branch: refused, or a write that changes nothing (up to date, unprotecting an
        // unflagged branch)
        assertThat(stateOf(repo, branch, admin)).as("nothing reached the gated branch").isEqualTo(before);
        if (r.statusCode() == 409 && "BranchGated".equals(error)) {
          refused++;
        } else {
          assertThat(r.statusCode()).as("a gated branch refuses " + op + ": " + r.asString()).isLessThan(300);
        }
        continue;
      }
      assertThat(error).as("the gate lets " + op + " through: " + r.asString()).isNotEqualTo("BranchGated");
      assertThat(r.statusCode() < 300 || OTHER_REFUSALS.contains(error)).as(op + " goes through: " + r.asString())
          .isTrue();
      boolean changed = !stateOf(repo, branch, admin).equals(before);
      if (gated) {
        // an admin's override: recorded once when the write changed the branch; a write that changes nothing records
        // none, unless it still appended its event (a reset to the commit the branch is at)
        long recorded = overrides(repo, admin) - eventsBefore;
        if (changed) {
          assertThat(recorded).as("the override is recorded").isEqualTo(1);
        } else {
          assertThat(recorded).as("at most one override, for a write that appended its event").isBetween(0L, 1L);
        }
        overridden += changed ? 1 : 0;
      } else {
        assertThat(overrides(repo, admin)).as("no override where the gate does not refuse").isEqualTo(eventsBefore);
        allowed += r.statusCode() < 300 ? 1 : 0;
      }
      if (op.equals("unprotect")) {
        flags.put(branch, false);
      }
    }
  }

  /** The model's patterns: {@code **} matches anything, {@code *} anything but a '/'. */
  private static boolean matches(String pattern, String branch) {
    String re = Pattern.quote(pattern.replace("**", "\u0000")).replace("*", "\\E[^/]*\\Q")
        .replace("\u0000", "\\E.*\\Q");
    return branch.matches(re);
  }

  private static String stateOf(String repo, String branch, String token) {
    Response b = as(token).get(branchPath(repo, branch));
    Response rows = as(token).urlEncodingEnabled(false).queryParam("ref", branch.replace("/", "%2F"))
        .queryParam("working", true).get(repoPath(repo) + "/tables/t/rows");
    return b.jsonPath().getString("head") + " " + b.jsonPath().getBoolean("protected") + " " + rows.asString();
  }

  private static long overrides(String repo, String token) {
    List<Object> items = as(token).queryParam("types", "io.strata.promotion.gate_overridden").queryParam("limit", 1000)
        .get(repoPath(repo) + "/events").then().statusCode(200).extract().path("items");
    return items.size();
  }

  private static RequestSpecification as(String token) {
    return TokenAuthTest.as(token).urlEncodingEnabled(false);
  }

  private static String repoPath(String repo) {
    return "/api/v1/repositories/" + repo;
  }

  private static String branchPath(String repo, String branch) {
    return repoPath(repo) + "/branches/" + branch.replace("/", "%2F");
  }
}
