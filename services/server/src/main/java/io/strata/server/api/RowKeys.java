package io.strata.server.api;

import io.strata.projections.tables.TableRow;
import io.strata.server.domain.StrataException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** A row key in a path: the key columns' values joined by ',', each percent-encoded. */
final class RowKeys {
  private RowKeys() {}

  static Map<String, String> parse(String key, TableRow table) {
    String[] parts = key.split(",", -1);
    if (parts.length != table.primaryKey().size()) {
      throw StrataException.badRequest("table '" + table.name() + "' has a key of " + table.primaryKey().size()
          + " column(s); give that many values joined by ','");
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < parts.length; i++) {
      try {
        values.put(table.primaryKey().get(i), URLDecoder.decode(parts[i], StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw StrataException.badRequest("the key is not validly percent-encoded");
      }
    }
    return values;
  }
}
