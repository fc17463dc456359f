package io.strata.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Token secrets: {@code strata_} and 256 random bits (base64url), so a leaked one is recognizable
 * (secret scanners, logs). Only their SHA-256 is kept: a fast hash is enough for 256-bit random
 * secrets, which no dictionary or brute force reaches.
 */
public final class TokenSecrets {
  public static final String PREFIX = "strata_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private TokenSecrets() {}

  public static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static String newId() {
    byte[] bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    return "tok_" + HexFormat.of().formatHex(bytes);
  }

  /** Whether {@code id} has the shape of a token id (anything else cannot name a token). */
  public static boolean isId(String id) {
    return id != null && id.matches("tok_[0-9a-f]{24}");
  }

  public static byte[] hash(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Constant-time comparison of two hashes. */
  public static boolean same(byte[] a, byte[] b) {
    return a != null && b != null && MessageDigest.isEqual(a, b);
  }
}
