package io.strata.server.auth;

import java.util.Locale;
import java.util.Optional;

/** A token's role; each includes the ones before it. */
public enum Role {
  READER,
  WRITER,
  ADMIN;

  public boolean includes(Role other) {
    return compareTo(other) >= 0;
  }

  /** The wire name: {@code reader}, {@code writer}, {@code admin}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> parse(String wire) {
    for (Role r : values()) {
      if (r.wire().equals(wire)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
