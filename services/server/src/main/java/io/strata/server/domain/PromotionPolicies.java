package io.strata.server.domain;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.events.CommitIds;
import io.strata.events.EventCodec;
import io.strata.events.PromotionPolicy;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a promotion policy document (JSON, or YAML read as JSON) into its normalised form, every default filled
 * in, or lists every error in it with its JSON path ({@code $.paths[1].approvals.required}). Pure: the document's
 * SQL is only looked at here (one read-only statement); it runs in the query sandbox when a check runs. The rules
 * are those of {@code docs/promotion.md}.
 */
public final class PromotionPolicies {
  public static final int MAX_PATTERNS = 100;
  public static final int MAX_PATHS = 100;
  public static final int MAX_CHECKS = 200;
  public static final int MAX_SQL = 65_536;
  public static final int MAX_APPROVALS = 10;
  public static final int MAX_ORIGIN = 500;
  public static final String REFUSE = "refuse";
  public static final String ALLOW = "allow";
  public static final String NO_ROWS = "no_rows";
  public static final String BOUNDS = "bounds";
  /** The message of a field the document's schema does not have (a 400, as every request body's). */
  public static final String UNKNOWN_FIELD = "is an unknown field";

  private static final Pattern CHECK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
  private static final Pattern EXTERNAL_CHECK = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}(/[A-Za-z0-9_.-]{1,100})+");
  private static final Pattern READ_ONLY = Pattern.compile("^(select|with|values|table)\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
  private static final Map<String, String> TAG_SAMPLES = Map.of("source", "development", "target", "production",
      "date", "20261129", "time", "235959", "seq", "12", "commit", "0123456789ab");

  private PromotionPolicies() {}

  /** One error of a document: where ({@code $.paths[0].target}) and what. */
  public record Problem(String path, String message, String didYouMean) {
    public Problem(String path, String message) {
      this(path, message, null);
    }

    /** Whether the error is a field the schema does not have (the request's shape, not its meaning). */
    public boolean unknownField() {
      return message.startsWith(UNKNOWN_FIELD);
    }
  }

  /** A document read: its policy and digest when it has no errors, else its errors. */
  public record Read(PromotionPolicy policy, String digest, List<Problem> problems) {
    public boolean valid() {
      return problems.isEmpty();
    }
  }

  /** The digest of a normalised policy: SHA-256 of its canonical JSON (equal policies, equal digests). */
  public static String digest(PromotionPolicy policy) {
    try {
      return CommitIds.sha256Hex(EventCodec.mapper().writeValueAsString(policy));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Read read(JsonNode document) {
    Reader r = new Reader();
    PromotionPolicy policy = r.policy(document);
    return r.problems.isEmpty() ? new Read(policy, digest(policy), List.of()) : new Read(null, null, r.problems);
  }

  /** The validation of one document: errors are collected, never thrown, so that every one is reported. */
  private static final class Reader extends DocumentFields {

    PromotionPolicy policy(JsonNode doc) {
      if (doc == null || !doc.isObject()) {
        problems.add(new Problem("$", "must be an object (a JSON or YAML mapping)"));
        return null;
      }
      known(doc, "$", "version", "protected_branches", "direct_changes", "paths", "checks");
      JsonNode version = doc.get("version");
      if (version == null || version.isNull()) {
        problems.add(new Problem("$.version", "is required (1)"));
      } else if (!version.isIntegralNumber() || version.asInt() != 1) {
        problems.add(new Problem("$.version", "must be 1"));
      }
      List<String> patterns = strings(doc, "$", "protected_branches", MAX_PATTERNS, (p, s) -> pattern(p, s));
      String direct = choice(doc, "$", "direct_changes", REFUSE, List.of(REFUSE, ALLOW), false);
      List<PromotionPolicy.Check> checks = list(doc, "$", "checks", MAX_CHECKS, this::check);
      // names as written: a check with other errors still has its name, and paths may name it
      Set<String> checkNames = new HashSet<>();
      JsonNode written = doc.get("checks");
      for (int i = 0; written != null && written.isArray() && i < written.size(); i++) {
        JsonNode name = written.get(i).get("name");
        if (name != null && name.isTextual() && !checkNames.add(name.asText())) {
          problems.add(new Problem("$.checks[" + i + "].name", "'" + name.asText() + "' names another check too"));
        }
      }
      List<PromotionPolicy.Path> paths = list(doc, "$", "paths", MAX_PATHS, (p, n) -> path(p, n, checkNames));
      pathsTogether(paths);
      return new PromotionPolicy(1, patterns, direct, paths.stream().filter(x -> x != null).toList(),
          checks.stream().filter(x -> x != null).toList());
    }

    PromotionPolicy.Path path(String at, JsonNode p, Set<String> checkNames) {
      if (!object(at, p)) {
        return null;
      }
      known(p, at, "source", "target", "required_checks", "approvals", "auto_merge", "conflict_strategy",
          "schema_strategy", "tag", "verify");
      String source = required(p, at, "source", s -> pattern(at + ".source", s));
      String target = required(p, at, "target", s -> branch(at + ".target", s));
      if (source != null && source.equals(target)) {
        problems.add(new Problem(at + ".target", "must not be the path's source"));
      }
      List<String> required = strings(p, at, "required_checks", MAX_CHECKS, (x, s) -> checkRef(x, s, checkNames));
      PromotionPolicy.Approvals approvals = approvals(at + ".approvals", p.get("approvals"));
      boolean autoMerge = bool(p, at, "auto_merge", false);
      String conflicts = choice(p, at, "conflict_strategy", "fail", List.of("fail", "ours", "theirs"), false);
      String schema = choice(p, at, "schema_strategy", null, List.of("ours", "theirs"), true);
      String tag = text(p, at, "tag");
      if (tag != null) {
        tagTemplate(at + ".tag", tag);
      }
      PromotionPolicy.Verify verify = verify(at + ".verify", p.get("verify"), checkNames);
      return source == null || target == null || approvals == null ? null
          : new PromotionPolicy.Path(source, target, required, approvals, autoMerge, conflicts, schema, tag, verify);
    }

    /** Paths are told apart by (source, target), and those that auto-merge form no cycle. */
    void pathsTogether(List<PromotionPolicy.Path> paths) {
      Map<String, Integer> seen = new HashMap<>();
      Map<String, List<String>> autoEdges = new HashMap<>();
      for (int i = 0; i < paths.size(); i++) {
        PromotionPolicy.Path p = paths.get(i);
        if (p == null) {
          continue;
        }
        Integer first = seen.putIfAbsent(p.source() + "\u0000" + p.target(), i);
        if (first != null) {
          problems.add(new Problem("$.paths[" + i + "]", "repeats $.paths[" + first + "] (" + p.source() + " to "
              + p.target() + ")"));
        }
        if (p.autoMerge() && !p.source().contains("*")) {
          autoEdges.computeIfAbsent(p.source(), s -> new ArrayList<>()).add(p.target());
        }
      }
      for (String start : autoEdges.keySet()) {
        List<String> cycle = cycleFrom(start, start, autoEdges, new LinkedHashSet<>());
        if (cycle != null && cycle.get(0).equals(autoEdges.keySet().stream().filter(cycle::contains).sorted()
            .findFirst().orElse(start))) {
          problems.add(new Problem("$.paths", "paths that auto-merge form a cycle (" + String.join(" -> ", cycle)
              + " -> " + cycle.get(0) + "): it would promote for ever"));
        }
      }
    }

    private static List<String> cycleFrom(String start, String at, Map<String, List<String>> edges,
        LinkedHashSet<String> walked) {
      walked.add(at);
      for (String next : edges.getOrDefault(at, List.of())) {
        if (next.equals(start)) {
          return new ArrayList<>(walked);
        }
        if (!walked.contains(next)) {
          List<String> found = cycleFrom(start, next, edges, walked);
          if (found != null) {
            return found;
          }
        }
      }
      walked.remove(at);
      return null;
    }

    PromotionPolicy.Approvals approvals(String at, JsonNode a) {
      if (a == null || a.isNull()) {
        return new PromotionPolicy.Approvals(0, List.of(), List.of());
      }
      if (!object(at, a)) {
        return null;
      }
      known(a, at, "required", "roles", "actors");
      int required = integer(a, at, "required", 0, 0, MAX_APPROVALS);
      List<String> roles = strings(a, at, "roles", 3, (x, s) -> {
        if (!List.of("reader", "writer", "admin").contains(s)) {
          problems.add(new Problem(x, "must be reader, writer or admin"));
          return null;
        }
        return s;
      });
      List<String> actors = strings(a, at, "actors", 100, (x, s) -> {
        String problem = Names.refNameProblem(s.startsWith("token:") ? s.substring(6) : s);
        if (s.length() > 320 || s.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
          problems.add(new Problem(x, "must be an actor id (token:<name>, or an X-User-Id) of at most 320 characters"));
          return null;
        }
        return problem == null || !s.startsWith("token:") ? s : fail(x, "names no token: " + problem);
      });
      if (required > 0 && roles.isEmpty() && actors.isEmpty()) {
        problems.add(new Problem(at, "says who may approve: roles, actors, or both"));
      }
      return new PromotionPolicy.Approvals(required, roles, actors);
    }

    PromotionPolicy.Verify verify(String at, JsonNode v, Set<String> checkNames) {
      if (v == null || v.isNull() || !object(at, v)) {
        return null;
      }
      known(v, at, "checks", "rollback");
      // Strata runs verification itself, on the target after the merge: SQL checks only
      List<String> checks = strings(v, at, "checks", MAX_CHECKS, (x, s) -> checkNames.contains(s) ? s
          : fail(x, "names no SQL check of $.checks: verification runs on the target after the merge, as Strata's"));
      if (checks.isEmpty() && v.has("checks")) {
        problems.add(new Problem(at + ".checks", "names at least one check"));
      } else if (!v.has("checks")) {
        problems.add(new Problem(at + ".checks", "is required"));
      }
      String rollback = choice(v, at, "rollback", "revert", List.of("revert", "none"), false);
      return new PromotionPolicy.Verify(checks, rollback);
    }

    PromotionPolicy.Check check(String at, JsonNode c) {
      if (!object(at, c)) {
        return null;
      }
      known(c, at, "name", "sql", "expect", "timeout_seconds", "max_rows");
      String name = required(c, at, "name", s -> {
        if (!CHECK_NAME.matcher(s).matches()) {
          return fail(at + ".name", "must be 1-100 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit"
              + " (a name with '/' is an external check's)");
        }
        return s;
      });
      String sql = required(c, at, "sql", s -> sql(at + ".sql", s));
      PromotionPolicy.Expect expect = expect(at + ".expect", c.get("expect"));
      int timeout = integer(c, at, "timeout_seconds", 30, 1, 300);
      int maxRows = integer(c, at, "max_rows", 100, 1, 1000);
      return name == null || sql == null || expect == null ? null
          : new PromotionPolicy.Check(name, sql, expect, timeout, maxRows);
    }

    PromotionPolicy.Expect expect(String at, JsonNode e) {
      if (e == null || e.isNull()) {
        problems.add(new Problem(at, "is required: no_rows, or {min, max}"));
        return null;
      }
      if (e.isTextual()) {
        if (e.asText().equals(NO_ROWS)) {
          return new PromotionPolicy.Expect(NO_ROWS, null, null);
        }
        problems.add(new Problem(at, "must be no_rows, or {min, max}"));
        return null;
      }
      if (!object(at, e)) {
        return null;
      }
      // the normalised form ({kind, min, max}) reads back as itself: a policy answered can be set again
      known(e, at, "kind", "min", "max");
      String kind = choice(e, at, "kind", BOUNDS, List.of(NO_ROWS, BOUNDS), false);
      BigDecimal min = number(e, at, "min");
      BigDecimal max = number(e, at, "max");
      if (NO_ROWS.equals(kind)) {
        if (min != null || max != null) {
          problems.add(new Problem(at, "no_rows takes no bounds"));
          return null;
        }
        return new PromotionPolicy.Expect(NO_ROWS, null, null);
      }
      if (min == null && max == null) {
        problems.add(new Problem(at, "names a bound: min, max or both"));
        return null;
      }
      if (min != null && max != null && min.compareTo(max) > 0) {
        problems.add(new Problem(at + ".max", "must not be below min"));
      }
      return new PromotionPolicy.Expect(BOUNDS, min, max);
    }

    String sql(String at, String s) {
      String t = s.strip();
      while (t.endsWith(";")) {
        t = t.substring(0, t.length() - 1).strip();
      }
      if (t.isEmpty() || s.length() > MAX_SQL) {
        return fail(at, "must be one statement of 1 to " + MAX_SQL + " characters");
      }
      if (!READ_ONLY.matcher(t).find()) {
        return fail(at, "must be one read-only statement: select, with, values or table");
      }
      return s;
    }

    String checkRef(String at, String s, Set<String> checkNames) {
      if (checkNames.contains(s) || EXTERNAL_CHECK.matcher(s).matches()) {
        return s;
      }
      return fail(at, "names no check: '" + s + "' is not in $.checks, and an external check's name has a '/'"
          + " (ci/build)");
    }

    void tagTemplate(String at, String template) {
      StringBuilder sample = new StringBuilder();
      Matcher m = PLACEHOLDER.matcher(template);
      while (m.find()) {
        String value = TAG_SAMPLES.get(m.group(1));
        if (value == null) {
          problems.add(new Problem(at, "has an unknown placeholder {" + m.group(1) + "}: use " + String.join(", ",
              TAG_SAMPLES.keySet().stream().sorted().map(k -> "{" + k + "}").toList())));
          return;
        }
        m.appendReplacement(sample, value);
      }
      m.appendTail(sample);
      String problem = Names.refNameProblem(sample.toString());
      if (problem != null) {
        problems.add(new Problem(at, "renders no valid tag name (" + sample + "): " + problem));
      }
    }

    String pattern(String at, String s) {
      String problem = Names.refNameProblem(s.replace("*", "x"));
      return problem == null ? s : fail(at, "must be a branch name or pattern (* and ** match): " + problem);
    }

    String branch(String at, String s) {
      String problem = Names.refNameProblem(s);
      return problem == null ? s : fail(at, "must be a branch name: " + problem);
    }
  }
}
