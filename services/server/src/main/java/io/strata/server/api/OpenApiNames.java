package io.strata.server.api;

import java.util.Map;

/** The names people see in /openapi.json and in every client generated from it (OpenApiContract applies them). */
final class OpenApiNames {
  // the paths as OpenApiContract spells them, so that both tables name an operation alike
  private static final String REPO = OpenApiContract.REPO;
  private static final String ROWS = OpenApiContract.ROWS;
  private static final String SERVED_BATCH = OpenApiContract.SERVED_BATCH;
  private static final String TOKENS = OpenApiContract.TOKENS;
  private static final String EVENTS = OpenApiContract.EVENTS;
  private static final String WEBHOOKS = OpenApiContract.WEBHOOKS;

  private OpenApiNames() {}

  /**
   * The operationId of every operation: the method names of every generated client (createBranch,
   * mergeBranch, listCommits). An operation missing here stops the build, so a new endpoint is named
   * by a person, once.
   */
  static final Map<String, String> OPERATION_IDS = Map.ofEntries(
      Map.entry("GET /", "getIndex"),
      Map.entry("GET /health", "getHealth"),
      Map.entry("GET /ready", "getReadiness"),
      Map.entry("GET /api/v1/admin/projections/digest", "getProjectionDigest"),
      Map.entry("GET /api/v1/admin/backup", "getBackup"),
      Map.entry("POST /api/v1/admin/projections/rebuild", "rebuildProjections"),
      Map.entry("GET /api/v1/admin/reactors", "listReactors"),
      Map.entry("GET /api/v1/admin/database", "getDatabase"),
      Map.entry("GET " + EVENTS, "listEvents"),
      Map.entry("GET /api/v1/repositories", "listRepositories"),
      Map.entry("POST /api/v1/repositories", "createRepository"),
      Map.entry("GET " + REPO, "getRepository"),
      Map.entry("DELETE " + REPO, "deleteRepository"),
      Map.entry("GET " + REPO + "/events", "listRepositoryEvents"),
      Map.entry("POST " + REPO + "/query", "queryRepository"),
      Map.entry("GET " + REPO + "/compare", "compareRefs"),
      Map.entry("GET " + REPO + "/diff", "diffRefs"),
      Map.entry("GET " + REPO + "/diff/schema", "diffSchemas"),
      Map.entry("GET " + REPO + "/branches", "listBranches"),
      Map.entry("POST " + REPO + "/branches", "createBranch"),
      Map.entry("GET " + REPO + "/branches/{branch}", "getBranch"),
      Map.entry("PATCH " + REPO + "/branches/{branch}", "updateBranch"),
      Map.entry("DELETE " + REPO + "/branches/{branch}", "deleteBranch"),
      Map.entry("GET " + REPO + "/branches/{branch}/status", "getBranchStatus"),
      Map.entry("POST " + REPO + "/branches/{branch}/stage", "stageChanges"),
      Map.entry("POST " + REPO + "/branches/{branch}/unstage", "unstageChanges"),
      Map.entry("DELETE " + REPO + "/branches/{branch}/working", "discardChanges"),
      Map.entry("POST " + REPO + "/branches/{branch}/commits", "createCommit"),
      Map.entry("GET " + REPO + "/commits", "listCommits"),
      Map.entry("GET " + REPO + "/commits/{id}", "getCommit"),
      Map.entry("POST " + REPO + "/branches/{branch}/merge", "mergeBranch"),
      Map.entry("GET " + REPO + "/branches/{branch}/merge", "getMerge"),
      Map.entry("POST " + REPO + "/branches/{branch}/merge/resolutions", "resolveConflicts"),
      Map.entry("POST " + REPO + "/branches/{branch}/merge/continue", "continueMerge"),
      Map.entry("POST " + REPO + "/branches/{branch}/merge/abort", "abortMerge"),
      Map.entry("POST " + REPO + "/branches/{branch}/reset", "resetBranch"),
      Map.entry("POST " + REPO + "/branches/{branch}/revert", "revertCommit"),
      Map.entry("POST " + REPO + "/branches/{branch}/cherry-pick", "cherryPickCommit"),
      Map.entry("POST " + REPO + "/branches/{branch}/rebase", "rebaseBranch"),
      Map.entry("GET " + REPO + "/branches/{branch}/rebase", "getRebase"),
      Map.entry("POST " + REPO + "/branches/{branch}/rebase/continue", "continueRebase"),
      Map.entry("POST " + REPO + "/branches/{branch}/rebase/skip", "skipRebaseStep"),
      Map.entry("POST " + REPO + "/branches/{branch}/rebase/abort", "abortRebase"),
      Map.entry("POST " + REPO + "/branches/{branch}/stash", "createStash"),
      Map.entry("GET " + REPO + "/branches/{branch}/stash", "listStashes"),
      Map.entry("POST " + REPO + "/branches/{branch}/stash/{n}/apply", "applyStash"),
      Map.entry("POST " + REPO + "/branches/{branch}/stash/{n}/pop", "popStash"),
      Map.entry("DELETE " + REPO + "/branches/{branch}/stash/{n}", "dropStash"),
      Map.entry("PUT " + ROWS + "/rows/{key}", "putRow"),
      Map.entry("PATCH " + ROWS + "/rows/{key}", "patchRow"),
      Map.entry("DELETE " + ROWS + "/rows/{key}", "deleteRow"),
      Map.entry("POST " + ROWS + "/schema", "changeBranchSchema"),
      Map.entry("POST " + REPO + "/branches/{branch}/tables", "createTable"),
      Map.entry("DELETE " + ROWS, "dropBranchTable"),
      Map.entry("POST " + SERVED_BATCH, "batchRows"),
      Map.entry("GET " + REPO + "/tables", "listTables"),
      Map.entry("POST " + REPO + "/tables", "trackTable"),
      Map.entry("GET " + REPO + "/tables/{table}", "getTable"),
      Map.entry("GET " + REPO + "/tables/{table}/schema", "getTableSchema"),
      Map.entry("POST " + REPO + "/tables/{table}/schema/record", "recordTableDrift"),
      Map.entry("GET " + REPO + "/drift", "getSchemaDrift"),
      Map.entry("GET " + REPO + "/migrations", "exportMigrations"),
      Map.entry("DELETE " + REPO + "/tables/{table}", "untrackTable"),
      Map.entry("GET " + REPO + "/tables/{table}/rows", "listRows"),
      Map.entry("GET " + REPO + "/tables/{table}/rows/{key}", "getRow"),
      Map.entry("GET " + REPO + "/promotion-policy", "getPromotionPolicy"),
      Map.entry("PUT " + REPO + "/promotion-policy", "setPromotionPolicy"),
      Map.entry("GET " + REPO + "/promotion-policy/history", "listPromotionPolicies"),
      Map.entry("POST " + REPO + "/promotion-policy/validate", "validatePromotionPolicy"),
      Map.entry("GET " + REPO + "/promotions", "listPromotions"),
      Map.entry("POST " + REPO + "/promotions", "openPromotion"),
      Map.entry("GET " + REPO + "/promotions/{number}", "getPromotion"),
      Map.entry("POST " + REPO + "/promotions/{number}/evaluate", "evaluatePromotion"),
      Map.entry("POST " + REPO + "/promotions/{number}/checks/run", "runPromotionChecks"),
      Map.entry("POST " + REPO + "/promotions/{number}/check-runs", "postCheckRun"),
      Map.entry("POST " + REPO + "/promotions/{number}/approvals", "approvePromotion"),
      Map.entry("POST " + REPO + "/promotions/{number}/merge", "mergePromotion"),
      Map.entry("POST " + REPO + "/promotions/{number}/reject", "rejectPromotion"),
      Map.entry("POST " + REPO + "/promotions/{number}/verify", "verifyPromotion"),
      Map.entry("GET " + REPO + "/promotions/{number}/preview", "getPromotionPreview"),
      Map.entry("GET " + REPO + "/tags", "listTags"),
      Map.entry("POST " + REPO + "/tags", "createTag"),
      Map.entry("GET " + REPO + "/tags/{tag}", "getTag"),
      Map.entry("DELETE " + REPO + "/tags/{tag}", "deleteTag"),
      Map.entry("GET " + REPO + "/storage", "listStorages"),
      Map.entry("POST " + REPO + "/storage", "addStorage"),
      Map.entry("GET " + REPO + "/storage/{name}", "getStorage"),
      Map.entry("DELETE " + REPO + "/storage/{name}", "removeStorage"),
      Map.entry("GET " + TOKENS, "listTokens"),
      Map.entry("POST " + TOKENS, "createToken"),
      Map.entry("GET " + TOKENS + "/{id}", "getToken"),
      Map.entry("DELETE " + TOKENS + "/{id}", "revokeToken"),
      Map.entry("GET " + WEBHOOKS, "listWebhooks"),
      Map.entry("POST " + WEBHOOKS, "createWebhook"),
      Map.entry("GET " + WEBHOOKS + "/{id}", "getWebhook"),
      Map.entry("PATCH " + WEBHOOKS + "/{id}", "updateWebhook"),
      Map.entry("DELETE " + WEBHOOKS + "/{id}", "deleteWebhook"),
      Map.entry("GET " + WEBHOOKS + "/{id}/deliveries", "listDeliveries"),
      Map.entry("POST " + WEBHOOKS + "/{id}/deliveries/{delivery}/redeliver", "redeliverDelivery"),
      Map.entry("POST " + WEBHOOKS + "/{id}/redeliver", "redeliverSince"));

  /** What each tag (one API class of a generated client) groups. */
  static final Map<String, String> TAGS = Map.ofEntries(
      Map.entry("Admin", "Projections and reactors: digest, rebuild, checkpoints (admin of everything)"),
      Map.entry("Branches", "Branches, their working changes (status, stage, unstage, discard) and comparisons"),
      Map.entry("Commits", "Commits, the log, and differences between refs"),
      Map.entry("Events", "The event log as CloudEvents: pages, and server-sent event streams"),
      Map.entry("History", "Rewriting a branch's history: reset, revert, cherry-pick, rebase, stash"),
      Map.entry("Merges", "Merges into a branch, and a merge in progress: conflicts, resolutions, continue, abort"),
      Map.entry("Promotion", "Promotion policies, the gate into protected branches, and promotion requests: previews,"
          + " checks, approvals, merges, verification and rollback"),
      Map.entry("Query", "Read-only SQL over a ref's tables"),
      Map.entry("Repositories", "Repositories"),
      Map.entry("Rows", "Row writes into a branch's working state"),
      Map.entry("Service", "Liveness and readiness"),
      Map.entry("Storage", "Storage connections a repository's tables may live in"),
      Map.entry("Tables", "Tracked tables and their rows at a ref"),
      Map.entry("Tags", "Tags: names for commits"),
      Map.entry("Tokens", "API tokens (STRATA_AUTH=token)"),
      Map.entry("Webhooks", "Webhook endpoints, their deliveries and redeliveries"));
}
