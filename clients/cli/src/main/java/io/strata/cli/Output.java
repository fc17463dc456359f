package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a command prints: for people (aligned tables, colour only on a terminal and without {@code NO_COLOR}), or
 * with {@code --output json} the API's answer as JSON, one document, for scripts.
 */
final class Output {
  enum Format { TEXT, JSON }

  private final Format format;
  private final PrintWriter out;
  private final ObjectMapper json;
  private final boolean colour;

  Output(Format format, PrintWriter out, ObjectMapper json, Map<String, String> env) {
    this.format = format;
    this.out = out;
    this.json = json.copy().enable(SerializationFeature.INDENT_OUTPUT);
    this.colour = System.console() != null && env.get("NO_COLOR") == null && !"dumb".equals(env.get("TERM"));
  }

  boolean json() {
    return format == Format.JSON;
  }

  /** With --output json: {@code value} as JSON; answers whether it printed it (else the caller prints text). */
  boolean printedAsJson(Object value) {
    if (!json()) {
      return false;
    }
    try {
      out.println(json.writeValueAsString(value));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
    return true;
  }

  void line(String text) {
    out.println(text);
    out.flush();
  }

  /** Rows under their headers, each column as wide as its widest cell. */
  void table(List<String> headers, List<List<String>> rows) {
    List<List<String>> all = new ArrayList<>();
    all.add(headers);
    all.addAll(rows);
    int[] width = new int[headers.size()];
    for (List<String> row : all) {
      for (int i = 0; i < row.size(); i++) {
        width[i] = Math.max(width[i], String.valueOf(row.get(i)).length());
      }
    }
    for (int r = 0; r < all.size(); r++) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < all.get(r).size(); i++) {
        String cell = String.valueOf(all.get(r).get(i));
        boolean last = i == all.get(r).size() - 1;
        line.append(last ? cell : String.format("%-" + width[i] + "s  ", cell));
      }
      out.println(r == 0 ? bold(line.toString().stripTrailing()) : line.toString().stripTrailing());
    }
    out.flush();
  }

  String bold(String s) {
    return colour ? "\u001b[1m" + s + "\u001b[0m" : s;
  }

  String yellow(String s) {
    return colour ? "\u001b[33m" + s + "\u001b[0m" : s;
  }

  String green(String s) {
    return colour ? "\u001b[32m" + s + "\u001b[0m" : s;
  }

  String red(String s) {
    return colour ? "\u001b[31m" + s + "\u001b[0m" : s;
  }
}
