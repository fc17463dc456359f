package io.strata.server.reactors.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A receiver's check of a Standard Webhooks delivery, written from the specification and nothing of
 * the server's: the signed content is {@code <webhook-id>.<webhook-timestamp>.<body>}, the key the
 * base64-decoded part of the secret after {@code whsec_}, the header a space-separated list of
 * {@code v1,<base64 HMAC-SHA256>} (any one may match, compared in constant time), and a timestamp
 * too far from now is refused (replays).
 */
public final class StandardWebhooksVerifier {
  private static final Duration TOLERANCE = Duration.ofMinutes(5);

  private StandardWebhooksVerifier() {}

  public static boolean verify(String secret, String id, String timestamp, String body, String signatureHeader) {
    if (secret == null || !secret.startsWith("whsec_") || id == null || timestamp == null || body == null
        || signatureHeader == null) {
      return false;
    }
    long sent;
    try {
      sent = Long.parseLong(timestamp);
    } catch (NumberFormatException e) {
      return false;
    }
    if (Math.abs(Instant.now().getEpochSecond() - sent) > TOLERANCE.toSeconds()) {
      return false;
    }
    byte[] expected;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
      expected = mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    for (String signature : signatureHeader.split(" ")) {
      int comma = signature.indexOf(',');
      if (comma < 0 || !signature.substring(0, comma).equals("v1")) {
        continue;
      }
      byte[] given;
      try {
        given = Base64.getDecoder().decode(signature.substring(comma + 1));
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (MessageDigest.isEqual(expected, given)) {
        return true;
      }
    }
    return false;
  }
}
