package io.strata.events;

import java.math.BigDecimal;
import java.util.List;

/**
 * A repository's promotion policy, normalised (every default filled in, so equal policies encode equally):
 * the branches it protects, whether they take changes outside promotions, the paths data is promoted
 * along with what each requires, and the SQL checks the paths name. Validated by the server before it is
 * recorded; see {@code docs/promotion.md}.
 *
 * @param protectedBranches branch names and glob patterns ({@code *}: any characters but {@code /}; {@code
 *     **}: any)
 * @param directChanges {@code refuse} or {@code allow}: whether protected branches take changes outside
 *     promotions
 */
public record PromotionPolicy(int version, List<String> protectedBranches, String directChanges, List<Path> paths,
    List<Check> checks) {
  public PromotionPolicy {
    protectedBranches = List.copyOf(protectedBranches);
    paths = List.copyOf(paths);
    checks = List.copyOf(checks);
  }

  /**
   * A promotion path: data goes from {@code source} (a branch, or a pattern such as {@code hotfix/*}) into
   * {@code target}.
   *
   * @param requiredChecks checks that must pass on the merge preview: names of {@link #checks} (run by Strata)
   *     or names with a {@code /} (posted by an external system)
   * @param conflictStrategy {@code fail}, {@code ours} or {@code theirs}
   * @param schemaStrategy {@code ours}, {@code theirs} or null (schema conflicts refuse the promotion)
   * @param tag the template of the tag put on the promotion's merge commit, or null
   * @param verify checks run on the target after the merge, and what a failure does; or null
   */
  public record Path(String source, String target, List<String> requiredChecks, Approvals approvals,
      boolean autoMerge, String conflictStrategy, String schemaStrategy, String tag, Verify verify) {
    public Path {
      requiredChecks = List.copyOf(requiredChecks);
    }
  }

  /** How many approvals a promotion needs, and whose count: tokens of these roles, or these actors. */
  public record Approvals(int required, List<String> roles, List<String> actors) {
    public Approvals {
      roles = List.copyOf(roles);
      actors = List.copyOf(actors);
    }
  }

  /** Checks run on the target after a promotion merged, and {@code rollback} ({@code revert} or {@code none}). */
  public record Verify(List<String> checks, String rollback) {
    public Verify {
      checks = List.copyOf(checks);
    }
  }

  /**
   * A SQL check: one read-only statement, run with a statement timeout; {@code maxRows} rows of its output
   * are kept.
   */
  public record Check(String name, String sql, Expect expect, int timeoutSeconds, int maxRows) {}

  /**
   * What a check's statement must give: {@code no_rows}, or ({@code bounds}) one value within {@code min} and
   * {@code max} (either may be null: unbounded).
   */
  public record Expect(String kind, BigDecimal min, BigDecimal max) {}
}
