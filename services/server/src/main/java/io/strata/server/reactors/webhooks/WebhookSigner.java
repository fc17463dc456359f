package io.strata.server.reactors.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signing: the secret is {@code whsec_} and the base64 of 32 random bytes, whose
 * decoded bytes are the HMAC-SHA256 key; a delivery's {@code webhook-signature} is {@code v1,} and the
 * base64 HMAC of {@code <webhook-id>.<webhook-timestamp>.<body>}. Several signatures (a rotated
 * secret's overlap) are separated by spaces.
 */
public final class WebhookSigner {
  public static final String SECRET_PREFIX = "whsec_";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern ENDPOINT_ID = Pattern.compile("wh_[0-9a-f]{24}");

  /** One per thread: looking the algorithm up cost more than signing a delivery. */
  private static final ThreadLocal<Mac> MACS = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  });

  private WebhookSigner() {}

  public static String newSecret() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /** An endpoint's id: {@code wh_} and 24 hex digits. */
  public static String newEndpointId() {
    byte[] id = new byte[12];
    RANDOM.nextBytes(id);
    return "wh_" + HexFormat.of().formatHex(id);
  }

  public static boolean isEndpointId(String id) {
    return id != null && ENDPOINT_ID.matcher(id).matches();
  }

  /** {@code v1,<base64 HMAC-SHA256 of id.timestamp.body>} under {@code secret} (whsec_...). */
  public static String sign(String secret, String id, long timestampSeconds, String body) {
    return sign(key(secret), id, timestampSeconds, body.getBytes(StandardCharsets.UTF_8));
  }

  /** The HMAC key of a secret (whsec_...): decoded once, for every delivery signed with it. */
  static SecretKeySpec key(String secret) {
    return new SecretKeySpec(Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length())), "HmacSHA256");
  }

  /** {@code v1,<base64 HMAC-SHA256 of id.timestamp.body>} under {@code key}; the body as it is sent. */
  static String sign(SecretKeySpec key, String id, long timestampSeconds, byte[] body) {
    try {
      Mac mac = MACS.get();
      mac.init(key); // resets it: nothing of the previous signature stays
      mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
