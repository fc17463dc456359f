package io.strata.cli;

/** How commit ids are shown to people: the first seven characters, as the API's short_id and git's log. */
final class Ids {
  private Ids() {}

  static String shortId(String id) {
    return id == null ? "-" : id.length() <= 7 ? id : id.substring(0, 7);
  }
}
