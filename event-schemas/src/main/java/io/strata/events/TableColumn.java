package io.strata.events;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A column of a tracked table: its name, its SQL type as PostgreSQL formats it, and nullability. */
public record TableColumn(String name, String type, boolean nullable) {

  /**
   * The columns a ref reads ({@code reads}) with the table's columns named {@code given} given back: the table's
   * columns ({@code table}) it then reads in the table's order, each it read already as it read it (a branch may read
   * one in a wider type), then the ref's columns the table lacks (those a branch added), in their order.
   */
  public static List<TableColumn> restoring(List<TableColumn> table, List<TableColumn> reads,
      Collection<String> given) {
    Map<String, TableColumn> read = new HashMap<>();
    reads.forEach(c -> read.put(c.name(), c));
    List<TableColumn> after = new ArrayList<>(table.stream()
        .filter(c -> read.containsKey(c.name()) || given.contains(c.name()))
        .map(c -> read.getOrDefault(c.name(), c)).toList());
    reads.stream().filter(c -> table.stream().noneMatch(x -> x.name().equals(c.name()))).forEach(after::add);
    return List.copyOf(after);
  }
}
