package io.strata.server.api;

import com.fasterxml.jackson.databind.node.TextNode;
import io.strata.server.domain.StrataException;
import java.util.ArrayList;
import java.util.List;

/**
 * A DDL statement's tokens as PostgreSQL's lexer splits them — names (unquoted ones folded to lower case, quoted
 * ones as written), string constants (standard, {@code E'…'} with backslash escapes, dollar-quoted), numbers,
 * symbols — comments and white space left out, each with where it stands, so that a type or an expression is
 * taken as written ({@link #spanUntil}, {@link #parenthesized}). Read by {@link DdlStatementInput}.
 */
final class DdlTokens {
  enum Kind { WORD, QUOTED, STRING, NUMBER, SYMBOL }

  private static final java.util.regex.Pattern DECIMAL =
      java.util.regex.Pattern.compile("(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d{1,4})?");

  record Token(Kind kind, String value, int start, int end) {}

  private final String text;
  private final String at;
  private final List<Token> tokens = new ArrayList<>();
  /** Where comments stand ({@code [start, end)}): left out of the text a span gives. */
  private final List<int[]> comments = new ArrayList<>();
  private int next;

  DdlTokens(String text, String at) {
    this.text = text;
    this.at = at;
    lex();
  }

  private void lex() {
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (text.startsWith("--", i)) {
        int eol = text.indexOf('\n', i);
        int end = eol < 0 ? n : eol + 1;
        comments.add(new int[] {i, end});
        i = end;
      } else if (text.startsWith("/*", i)) {
        int end = blockComment(i);
        comments.add(new int[] {i, end});
        i = end;
      } else if ((c == 'e' || c == 'E') && i + 1 < n && text.charAt(i + 1) == '\'') {
        i = string(i + 1, true, i);
      } else if (c == '\'') {
        i = string(i, false, i);
      } else if (c == '"') {
        i = quoted(i);
      } else if (c == '$' && i + 1 < n && !Character.isDigit(text.charAt(i + 1))) {
        i = dollarQuoted(i);
      } else if (Character.isDigit(c) || c == '.' && i + 1 < n && Character.isDigit(text.charAt(i + 1))) {
        int j = i;
        while (j < n && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '.' || text.charAt(j) == '_'
            || (text.charAt(j) == '+' || text.charAt(j) == '-') && (text.charAt(j - 1) == 'e' || text.charAt(j - 1) == 'E'))) {
          j++;
        }
        tokens.add(new Token(Kind.NUMBER, text.substring(i, j), i, j));
        i = j;
      } else if (Character.isLetter(c) || c == '_' || c > 127) {
        int j = i + 1;
        while (j < n && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_' || text.charAt(j) == '$'
            || text.charAt(j) > 127)) {
          j++;
        }
        if (j < n && (text.charAt(j) == '\'' || j == i + 1 && (c == 'u' || c == 'U') && text.charAt(j) == '&')) {
          throw refusedAt("string and name prefixes (U&, B'…', X'…', N'…') are not taken", i);
        }
        tokens.add(new Token(Kind.WORD, folded(text.substring(i, j)), i, j));
        i = j;
      } else if (text.startsWith("::", i)) {
        tokens.add(new Token(Kind.SYMBOL, "::", i, i + 2));
        i += 2;
      } else {
        tokens.add(new Token(Kind.SYMBOL, String.valueOf(c), i, i + 1));
        i++;
      }
    }
  }

  /** An unquoted name as PostgreSQL folds it: A-Z to lower case, every other character as it is. */
  private static String folded(String word) {
    StringBuilder b = new StringBuilder(word.length());
    word.chars().forEach(c -> b.append((char) (c >= 'A' && c <= 'Z' ? c + 32 : c)));
    return b.toString();
  }

  private int blockComment(int from) {
    int depth = 0;
    int i = from;
    while (i < text.length()) {
      if (text.startsWith("/*", i)) {
        depth++;
        i += 2;
      } else if (text.startsWith("*/", i)) {
        depth--;
        i += 2;
        if (depth == 0) {
          return i;
        }
      } else {
        i++;
      }
    }
    throw unterminated("comment", from);
  }

  /** A string constant from the quote at {@code quote} ({@code escapes}: backslashes escape, E'…'). */
  private int string(int quote, boolean escapes, int start) {
    StringBuilder value = new StringBuilder();
    int i = quote + 1;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (escapes && c == '\\' && i + 1 < text.length()) {
        i = escape(i + 1, value);
      } else if (c == '\'') {
        if (i + 1 < text.length() && text.charAt(i + 1) == '\'') {
          value.append('\'');
          i += 2;
        } else {
          tokens.add(new Token(Kind.STRING, value.toString(), start, i + 1));
          return i + 1;
        }
      } else {
        value.append(c);
        i++;
      }
    }
    throw unterminated("string", start);
  }

  /**
   * The escape after a backslash at {@code at} of an {@code E'…'} string, as PostgreSQL reads it (b, f, n, r, t; up to
   * three octal digits; x and one or two hex digits; u and four, U and eight; any other character as itself),
   * appended to {@code value}; answers where the string goes on.
   */
  private int escape(int at, StringBuilder value) {
    char e = text.charAt(at);
    int end = at + 1;
    int code;
    if (e >= '0' && e <= '7') {
      while (end < text.length() && end < at + 3 && text.charAt(end) >= '0' && text.charAt(end) <= '7') {
        end++;
      }
      code = Integer.parseInt(text.substring(at, end), 8);
    } else if (e == 'x' || e == 'u' || e == 'U') {
      int most = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      while (end < text.length() && end < at + 1 + most && Character.digit(text.charAt(end), 16) >= 0) {
        end++;
      }
      if (end == at + 1 || e != 'x' && end != at + 1 + most) {
        throw refusedAt("an escape \\" + e + " with " + (e == 'x' ? "1 or 2" : String.valueOf(most)) + " hex digits", at - 1);
      }
      code = Integer.parseInt(text.substring(at + 1, end), 16);
    } else {
      value.append(switch (e) {
        case 'n' -> '\n';
        case 't' -> '\t';
        case 'r' -> '\r';
        case 'b' -> '\b';
        case 'f' -> '\f';
        default -> e;
      });
      return end;
    }
    if (code == 0 || !Character.isValidCodePoint(code)) {
      throw refusedAt("a character a string may hold", at - 1);
    }
    value.appendCodePoint(code);
    return end;
  }

  private int quoted(int from) {
    StringBuilder value = new StringBuilder();
    int i = from + 1;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '"') {
        if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
          value.append('"');
          i += 2;
        } else {
          if (value.isEmpty()) {
            throw refusedAt("a quoted name is not empty", from);
          }
          tokens.add(new Token(Kind.QUOTED, value.toString(), from, i + 1));
          return i + 1;
        }
      } else {
        value.append(c);
        i++;
      }
    }
    throw unterminated("quoted name", from);
  }

  private int dollarQuoted(int from) {
    int close = text.indexOf('$', from + 1);
    String tag = close < 0 ? null : text.substring(from, close + 1);
    if (tag == null || !tag.matches("\\$([A-Za-z_][A-Za-z0-9_]*)?\\$")) {
      throw refusedAt("a dollar-quoted string's $tag$", from);
    }
    int end = text.indexOf(tag, close + 1);
    if (end < 0) {
      throw unterminated("dollar-quoted string", from);
    }
    tokens.add(new Token(Kind.STRING, text.substring(close + 1, end), from, end + tag.length()));
    return end + tag.length();
  }

  boolean atEnd() {
    return next >= tokens.size();
  }

  /** Whether the next tokens are the (unquoted) words {@code words}. */
  boolean peekWords(String... words) {
    for (int k = 0; k < words.length; k++) {
      if (next + k >= tokens.size()) {
        return false;
      }
      Token t = tokens.get(next + k);
      if (t.kind() != Kind.WORD || !t.value().equalsIgnoreCase(words[k])) {
        return false;
      }
    }
    return true;
  }

  /** Takes the words {@code words} when they come next. */
  boolean takeWords(String... words) {
    if (!peekWords(words)) {
      return false;
    }
    next += words.length;
    return true;
  }

  void requireWords(String... words) {
    if (!takeWords(words)) {
      throw refused(String.join(" ", words));
    }
  }

  boolean peekSymbol(String symbol) {
    return !atEnd() && tokens.get(next).kind() == Kind.SYMBOL && tokens.get(next).value().equals(symbol);
  }

  boolean takeSymbol(String symbol) {
    if (!peekSymbol(symbol)) {
      return false;
    }
    next++;
    return true;
  }

  /** A name: an unquoted word folded to lower case, or a quoted name as written. */
  String name() {
    if (atEnd() || tokens.get(next).kind() != Kind.WORD && tokens.get(next).kind() != Kind.QUOTED) {
      throw refused("a name");
    }
    return tokens.get(next++).value();
  }

  /** {@code (a, b, …)}: the names. */
  List<String> names() {
    if (!takeSymbol("(")) {
      throw refused("( and the columns' names");
    }
    List<String> names = new ArrayList<>();
    do {
      names.add(name());
    } while (takeSymbol(","));
    if (!takeSymbol(")")) {
      throw refused("the columns' names only, then )");
    }
    return names;
  }

  /** {@code ( … )}: what stands between the parentheses, as written. */
  String parenthesized() {
    if (!takeSymbol("(")) {
      throw refused("(");
    }
    int from = next;
    int depth = 1;
    while (!atEnd()) {
      Token t = tokens.get(next);
      if (t.kind() == Kind.SYMBOL && t.value().equals("(")) {
        depth++;
      } else if (t.kind() == Kind.SYMBOL && t.value().equals(")") && --depth == 0) {
        String inside = from == next ? "" : written(tokens.get(from).start(), tokens.get(next - 1).end());
        next++;
        if (inside.isBlank()) {
          throw refused("an expression between the parentheses");
        }
        return inside.strip();
      }
      next++;
    }
    throw refused(")");
  }

  /**
   * The tokens up to a comma or semicolon outside parentheses, the end, or one of the (unquoted) words {@code stops}
   * outside parentheses, as written: a type, an expression. Empty when one of those comes first.
   */
  String spanUntil(List<String> stops) {
    int from = next;
    int depth = 0;
    while (!atEnd()) {
      Token t = tokens.get(next);
      if (t.kind() == Kind.SYMBOL && (t.value().equals("(") || t.value().equals("["))) {
        depth++;
      } else if (t.kind() == Kind.SYMBOL && (t.value().equals(")") || t.value().equals("]"))) {
        if (--depth < 0) {
          throw refused("no ) before its (");
        }
      } else if (depth == 0 && (t.kind() == Kind.SYMBOL && (t.value().equals(",") || t.value().equals(";"))
          || t.kind() == Kind.WORD && stops.stream().anyMatch(s -> s.equalsIgnoreCase(t.value())))) {
        break;
      }
      next++;
    }
    if (depth > 0) {
      throw refused(")");
    }
    return from == next ? "" : written(tokens.get(from).start(), tokens.get(next - 1).end()).strip();
  }

  /** The text from {@code start} to {@code end}, each comment in it a space. */
  private String written(int start, int end) {
    StringBuilder b = new StringBuilder();
    int at = start;
    for (int[] c : comments) {
      if (c[0] >= start && c[1] <= end) {
        b.append(text, at, c[0]).append(' ');
        at = c[1];
      }
    }
    return b.append(text, at, end).toString();
  }

  /** A constant: a string, a number (signed or not), true or false; null for NULL. */
  TextNode literal() {
    if (takeWords("NULL")) {
      return null;
    }
    if (takeWords("TRUE") || takeWords("FALSE")) {
      return TextNode.valueOf(tokens.get(next - 1).value());
    }
    String sign = takeSymbol("-") ? "-" : takeSymbol("+") ? "" : null;
    if (!atEnd() && tokens.get(next).kind() == Kind.NUMBER) {
      String number = tokens.get(next).value();
      // as PostgreSQL reads the number (007 is 7, 1e3 is 1000), then the column's type the text of it
      if (!DECIMAL.matcher(number).matches()) {
        throw refused("a decimal number (hex, octal, binary and _ separators are not taken)");
      }
      next++;
      return TextNode.valueOf((sign == null ? "" : sign) + new java.math.BigDecimal(number).toPlainString());
    }
    if (sign == null && !atEnd() && tokens.get(next).kind() == Kind.STRING) {
      return TextNode.valueOf(tokens.get(next++).value());
    }
    throw refused("a constant default the column's type reads: a string, number or boolean (an expression is not"
        + " taken on a branch)");
  }

  /** A 422 for the statement: {@code expected} where it stops. */
  StrataException refused(String expected) {
    return atEnd() ? StrataException.invalid(at, expected + " (at the end of the statement)")
        : refusedAt(expected, tokens.get(next).start());
  }

  private StrataException refusedAt(String expected, int position) {
    String near = text.substring(position, Math.min(text.length(), position + 30));
    return StrataException.invalid(at, expected + " (at \"" + near + "\", character " + (position + 1) + ")");
  }

  private StrataException unterminated(String what, int from) {
    return refusedAt("an unterminated " + what, from);
  }
}
