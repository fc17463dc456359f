package io.strata.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Content addressing. A commit id is the SHA-256 of the commit's canonical text, git style:
 *
 * <pre>
 * tree &lt;hex&gt;
 * parent &lt;hex&gt;          (one line per parent, in order)
 * author &lt;name&gt; &lt;email&gt; &lt;ISO-8601 instant, microseconds&gt;
 *
 * &lt;message&gt;
 * </pre>
 *
 * Names and emails cannot contain line breaks (the command side refuses control characters), so the
 * text is unambiguous. Times are truncated to microseconds, the precision PostgreSQL stores.
 */
public final class CommitIds {
  /** The tree of a commit that records no table: the hash of the empty text. */
  public static final String EMPTY_TREE = sha256Hex("");

  public static final int SHORT_LENGTH = 7;

  private CommitIds() {}

  public static String of(
      List<String> parents, String tree, Author author, Instant createdAt, String message) {
    StringBuilder text = new StringBuilder();
    text.append("tree ").append(tree).append('\n');
    for (String parent : parents) {
      text.append("parent ").append(parent).append('\n');
    }
    text.append("author ")
        .append(author.name())
        .append(" <")
        .append(author.email())
        .append("> ")
        .append(createdAt.truncatedTo(ChronoUnit.MICROS))
        .append('\n')
        .append('\n')
        .append(message);
    return sha256Hex(text.toString());
  }

  /**
   * The tree of a commit: one line {@code table <name> <schema hash> <content hash>} per tracked table,
   * sorted by name. No table gives {@link #EMPTY_TREE}.
   */
  public static String treeOf(Collection<TableTracked> tables) {
    StringBuilder text = new StringBuilder();
    tables.stream()
        .sorted(Comparator.comparing(TableTracked::name))
        .forEach(t -> text.append("table ").append(t.name()).append(' ').append(t.schemaHash()).append(' ')
            .append(t.contentHash()).append('\n'));
    return sha256Hex(text.toString());
  }

  public static String shortId(String id) {
    return id.substring(0, SHORT_LENGTH);
  }

  public static String sha256Hex(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }
}
