package io.strata.server.api;

import static io.strata.server.api.OpenApiContract.REPO;
import static io.strata.server.api.OpenApiContract.ROWS;
import static io.strata.server.api.OpenApiContract.SERVED_BATCH;
import static io.strata.server.api.OpenApiContract.TOKENS;
import static io.strata.server.api.OpenApiContract.WEBHOOKS;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** The tables {@link OpenApiContract} writes into the document: what each operation answers, what each parameter is. */
final class OpenApiTables {
  private OpenApiTables() {}

  /** Success answers of every operation that does not answer plain 200. */
  static final Map<String, List<Integer>> SUCCESS = Map.ofEntries(
      Map.entry("POST /api/v1/repositories", List.of(201, 202)),
      Map.entry("DELETE " + REPO, List.of(204, 202)),
      Map.entry("POST " + REPO + "/branches", List.of(201, 202)),
      Map.entry("PATCH " + REPO + "/branches/{branch}", List.of(200, 202)),
      Map.entry("DELETE " + REPO + "/branches/{branch}", List.of(204, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/commits", List.of(201, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/stage", List.of(200, 204, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/unstage", List.of(200, 204, 202)),
      Map.entry("DELETE " + REPO + "/branches/{branch}/working", List.of(200, 204, 202)),
      Map.entry("PUT " + ROWS + "/rows/{key}", List.of(200)),
      Map.entry("PATCH " + ROWS + "/rows/{key}", List.of(200)),
      Map.entry("DELETE " + ROWS + "/rows/{key}", List.of(204)),
      Map.entry("POST " + REPO + "/storage", List.of(201, 202)),
      Map.entry("DELETE " + REPO + "/storage/{name}", List.of(204, 202)),
      Map.entry("POST " + REPO + "/tables", List.of(201, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/tables", List.of(201, 202)),
      Map.entry("DELETE " + ROWS, List.of(204, 202)),
      Map.entry("DELETE " + REPO + "/tables/{table}", List.of(204, 202)),
      Map.entry("POST " + REPO + "/tables/{table}/schema/record", List.of(200, 202)),
      Map.entry("POST " + ROWS + "/schema", List.of(200, 202)),
      Map.entry("PUT " + REPO + "/promotion-policy", List.of(200, 202)),
      Map.entry("POST " + REPO + "/promotions", List.of(201)),
      Map.entry("POST " + REPO + "/promotions/{number}/evaluate", List.of(200)),
      Map.entry("POST " + REPO + "/promotions/{number}/checks/run", List.of(200)),
      Map.entry("POST " + REPO + "/promotions/{number}/check-runs", List.of(200)),
      Map.entry("POST " + REPO + "/promotions/{number}/approvals", List.of(200)),
      Map.entry("POST " + REPO + "/promotions/{number}/merge", List.of(200)),
      Map.entry("POST " + REPO + "/promotions/{number}/reject", List.of(200)),
      Map.entry("POST " + REPO + "/promotions/{number}/verify", List.of(200)),
      Map.entry("POST " + REPO + "/tags", List.of(201, 202)),
      Map.entry("DELETE " + REPO + "/tags/{tag}", List.of(204, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/merge", List.of(200, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/merge/resolutions", List.of(200, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/merge/continue", List.of(201, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/merge/abort", List.of(204, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/reset", List.of(200, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/stash", List.of(201, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/rebase", List.of(200, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/rebase/continue", List.of(200, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/rebase/skip", List.of(200, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/rebase/abort", List.of(204, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/stash/{n}/apply", List.of(200, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/stash/{n}/pop", List.of(200, 202)),
      Map.entry("DELETE " + REPO + "/branches/{branch}/stash/{n}", List.of(204, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/revert", List.of(200, 201, 202)),
      Map.entry("POST " + REPO + "/branches/{branch}/cherry-pick", List.of(200, 201, 202)),
      Map.entry("POST " + TOKENS, List.of(201)),
      Map.entry("DELETE " + TOKENS + "/{id}", List.of(204)),
      // webhooks
      Map.entry("POST " + WEBHOOKS, List.of(201)),
      Map.entry("DELETE " + WEBHOOKS + "/{id}", List.of(204)),
      // readiness answers its own body, also when not ready
      Map.entry("GET /ready", List.of(200, 503)));

  /** Row writes: not commands (no Idempotency-Key kept, never async), but they answer a position. */
  static final Set<String> ROW_WRITES = Set.of(
      "PUT " + ROWS + "/rows/{key}", "PATCH " + ROWS + "/rows/{key}", "DELETE " + ROWS + "/rows/{key}",
      "POST " + SERVED_BATCH);

  /**
   * Promotion requests' operations: each runs several commands (a preview branch made, a merge, the record), so an
   * Idempotency-Key names none of them (not commands: never async); they answer a position, and take the caller's
   * X-User-* (an approval names its approver).
   */
  static final Set<String> UNKEYED_WRITES = Set.of("POST " + REPO + "/promotions",
      "POST " + REPO + "/promotions/{number}/evaluate", "POST " + REPO + "/promotions/{number}/checks/run",
      "POST " + REPO + "/promotions/{number}/check-runs", "POST " + REPO + "/promotions/{number}/approvals",
      "POST " + REPO + "/promotions/{number}/merge", "POST " + REPO + "/promotions/{number}/reject",
      "POST " + REPO + "/promotions/{number}/verify");

  static final Map<Integer, String> STATUS_TEXT = Map.ofEntries(
      Map.entry(200, "OK"), Map.entry(201, "Created"),
      Map.entry(202, "Accepted (?async=true): recorded; its projection may not be visible yet"),
      Map.entry(204, "Done; no body"),
      Map.entry(400, "Malformed request: body not JSON or of the wrong shape, unknown field, bad parameter or"
          + " header, NUL in the path or query"),
      Map.entry(401, "Unauthorized: no token, or one that is unknown, revoked or expired (STRATA_AUTH=token);"
          + " the answer carries WWW-Authenticate: Bearer"),
      Map.entry(403, "Forbidden: the token's role or repositories do not grant this operation"),
      Map.entry(404, "The repository or another named thing does not exist (or the token may not see it)"),
      Map.entry(409, "Conflict with the current state (exists already, head moved, protected, concurrent write)"),
      Map.entry(413, "Request body too large"),
      Map.entry(415, "Content-Type not supported"),
      Map.entry(422, "Well-formed but invalid: a name, value or limit the server does not take"),
      Map.entry(429, "TooManyQueries (every query connection is in use) or TooManySubscribers (every event stream"
          + " is taken): try again shortly"),
      Map.entry(503, "A database is unavailable, or X-Strata-Min-Position was not reached in time"));

  static final String NOT_READY = "Not ready: the metadata database does not answer";

  static final Map<String, String> PARAMETERS = Map.ofEntries(
      Map.entry("repo", "Repository name"),
      Map.entry("branch", "Branch name (percent-encode '/' as %2F)"),
      Map.entry("table", "Tracked table's name in the repository"),
      Map.entry("key", "Row key: the key columns' values joined by ',', each percent-encoded"),
      Map.entry("tag", "Tag name"),
      Map.entry("number", "Promotion request's number"),
      Map.entry("state", "Only requests in this state (open, passing, failing, approved, merged, rejected,"
          + " rolled_back)"),
      Map.entry("origin", "Where the policy document comes from, recorded with it (a Git commit, a ConfigMap; at most"
          + " 500 characters)"),
      Map.entry("n", "A stash's index on its branch (0 is the newest), or its id"),
      Map.entry("id", "Commit id, full or a unique prefix of at least 7 hex digits"),
      Map.entry("name", "Storage connection name ('local' is the server's own database)"),
      Map.entry("ref", "A ref: branch, tag, commit id or prefix, with ~n / ^n ancestry or @{time}"),
      Map.entry("limit", "Page size, 1 to " + Params.MAX_LIMIT + " (default " + Params.DEFAULT_LIMIT + ")"),
      Map.entry("offset", "Items to skip (default 0)"),
      Map.entry("force", "true to delete even when history or unmerged commits would be lost"),
      Map.entry("working", "true to read the branch's live working state instead of its last commit"),
      Map.entry("after", "Cursor: the previous page's 'next' (for events: an event position; 0 = from the first)"),
      Map.entry("repository", "Only the events of these repositories (comma-separated names)"),
      Map.entry("types", "Only events of these CloudEvents types (comma-separated, e.g. io.strata.commit.created.v4)"),
      Map.entry("first_parent", "true to follow only first parents"),
      Map.entry("author", "Only commits whose author name or email is this"),
      Map.entry("since", "Only commits at or after this time (ISO-8601)"),
      Map.entry("until", "Only commits at or before this time (ISO-8601)"),
      Map.entry("base", "The ref compared against"),
      Map.entry("head", "The ref compared"),
      Map.entry("from", "The ref the diff starts at"),
      Map.entry("to", "The ref the diff ends at"),
      Map.entry("rows", "true to include every changed row"),
      Map.entry("async", "true to answer 202 as soon as the command is recorded, before it is projected"),
      // webhooks
      Map.entry("delivery", "A delivery's id, as its endpoint's delivery list shows it"));

  static final Set<String> BOOLEAN_PARAMETERS = Set.of("force", "working", "first_parent", "rows", "async");
  static final Set<String> INTEGER_PARAMETERS = Set.of("limit", "offset");
}
