package io.strata.server.domain;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.events.PromotionPolicy;
import java.math.BigDecimal;
import java.util.List;

/**
 * What a SQL check's answer means under its {@code expect}: {@code no_rows} passes with no row; bounds pass with one
 * row of one numeric value within them. Any other answer fails, saying why in a line. Pure.
 */
public final class CheckOutcomes {
  private CheckOutcomes() {}

  /** A check's verdict: {@code passed} or {@code failed}, and why. */
  public record Verdict(String status, String summary) {}

  public static Verdict judge(PromotionPolicy.Expect expect, List<String> columns, List<JsonNode> rows,
      boolean truncated) {
    if (PromotionPolicies.NO_ROWS.equals(expect.kind())) {
      return rows.isEmpty() ? new Verdict("passed", "no rows")
          : new Verdict("failed", (truncated ? "more than " : "") + rows.size() + (rows.size() == 1 ? " row" : " rows")
              + " where none may be");
    }
    String bounds = "[" + (expect.min() == null ? "-" : expect.min().toPlainString()) + ", "
        + (expect.max() == null ? "-" : expect.max().toPlainString()) + "]";
    if (rows.size() != 1 || columns.size() != 1) {
      return new Verdict("failed", "expected one row of one value within " + bounds + ", got " + rows.size()
          + (rows.size() == 1 ? " row" : " rows") + " of " + columns.size() + (columns.size() == 1 ? " column" : " columns"));
    }
    JsonNode value = rows.get(0).get(columns.get(0));
    if (value == null || !value.isNumber()) {
      return new Verdict("failed", "expected a number within " + bounds + ", got " + (value == null ? "null" : value));
    }
    BigDecimal v = value.decimalValue();
    boolean within = (expect.min() == null || v.compareTo(expect.min()) >= 0)
        && (expect.max() == null || v.compareTo(expect.max()) <= 0);
    return new Verdict(within ? "passed" : "failed", v.toPlainString() + (within ? " within " : " outside ") + bounds);
  }
}
