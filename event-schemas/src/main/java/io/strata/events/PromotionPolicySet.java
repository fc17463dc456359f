package io.strata.events;

/**
 * The repository's promotion policy was set: the whole document as validated and normalised, its digest
 * (SHA-256 of its canonical JSON: equal documents have equal digests) and where it came from ({@code origin}: a
 * Git commit, a ConfigMap, …, as the caller said; null when unsaid).
 */
public record PromotionPolicySet(PromotionPolicy policy, String digest, String origin) implements StrataEvent {
  @Override
  public String subject() {
    return "promotion-policy";
  }
}
