package io.strata.cli;

/** How commit ids are shown to people: the first twelve characters, as the API's short_id. */
final class Ids {
  private Ids() {}

  static String shortId(String id) {
    return id == null ? "-" : id.length() <= 12 ? id : id.substring(0, 12);
  }
}
