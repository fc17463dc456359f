package io.strata.projections.delta;

import io.delta.kernel.Snapshot;
import io.delta.kernel.types.FieldMetadata;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Column mapping by name (PROTOCOL.md, "Column Mapping"): each column of such a table is stored in its files under a
 * physical name of its own, which no other column of the table has, and carries an id, unique in the schema and at
 * most the table's {@code delta.columnMapping.maxColumnId}. Readers in {@code name} mode (Kernel, Spark) find a
 * column's values by its physical name only; the id is checked by writers (Spark refuses a schema whose ids repeat or
 * exceed the maximum).
 *
 * <p>Two rules follow for Strata's schema changes. A column added gets the next id and a fresh {@code col-<uuid>}
 * physical name, so a column dropped and added again never reads the old values. And a table moved to another state's
 * files (a fast-forward, a reset) reads them under that state's physical names: after the move every live file is
 * the state's, written under its names — even where the table had added the same column itself under another name
 * (a merge's schema step adds it to the target independently of the branch that added it first).
 */
final class MappedColumns {
  static final String MODE = "delta.columnMapping.mode";
  static final String ID = "delta.columnMapping.id";
  static final String PHYSICAL_NAME = "delta.columnMapping.physicalName";
  static final String MAX_ID = "delta.columnMapping.maxColumnId";

  private MappedColumns() {
  }

  /** The table's column mapping mode: none, name or id. */
  static String mode(Snapshot snapshot) {
    return mode(snapshot.getTableProperties());
  }

  static String mode(Map<String, String> properties) {
    return properties.getOrDefault(MODE, "none");
  }

  static boolean mapped(Snapshot snapshot) {
    return !"none".equals(mode(snapshot));
  }

  /** A schema and the table properties it goes with (the highest column id). */
  record Mapped(StructType schema, Map<String, String> properties) {
  }

  /**
   * {@code schema} with {@code adding} after its columns, each given the next id and a physical name of its own when
   * the table maps its columns; and {@code properties} with the new highest id. Only {@code name} mode is written:
   * another is refused.
   */
  static Mapped added(StructType schema, List<StructField> adding, Map<String, String> properties) {
    String mode = mode(properties);
    if (!"none".equals(mode) && !"name".equals(mode)) {
      throw DeltaUnsupported.because("changing the columns of a table with column mapping mode " + mode
          + " (only name)");
    }
    boolean mapped = "name".equals(mode);
    long max = mapped ? maxId(schema, properties) : 0;
    List<StructField> fields = new ArrayList<>(schema.fields());
    for (StructField field : adding) {
      fields.add(!mapped ? field : field.withNewMetadata(FieldMetadata.builder().fromMetadata(field.getMetadata())
          .putLong(ID, ++max).putString(PHYSICAL_NAME, "col-" + UUID.randomUUID()).build()));
    }
    return new Mapped(new StructType(fields), mapped ? withMax(properties, max) : properties);
  }

  /**
   * The columns {@code columns} (those a table of {@code now}'s columns has once it holds {@code wanted}'s files) as
   * that table reads them: a column {@code wanted} has under its physical name there, with its id; a column only the
   * table has under its own, renumbered when a column taken from {@code wanted} has its id. Refused: a column of the
   * table's whose physical name a column taken from the state has (renamed there: the move would read it twice), and
   * states of other mapping modes unless each column the two share is stored under its own name (what enabling
   * column mapping on a table keeps).
   */
  static Mapped moved(StructType columns, Snapshot now, Snapshot wanted) {
    Map<String, String> properties = now.getTableProperties();
    String from = mode(now);
    String to = mode(wanted);
    if (!from.equals(to)) {
      return acrossModes(columns, now, wanted);
    }
    if (!mapped(now)) {
      return new Mapped(columns, properties);
    }
    Map<String, StructField> theirs = new LinkedHashMap<>();
    wanted.getSchema().fields().forEach(f -> theirs.put(lower(f.getName()), f));
    long max = Math.max(maxId(columns, properties), maxId(wanted.getSchema(), wanted.getTableProperties()));
    StructField[] fields = new StructField[columns.length()];
    Set<Long> ids = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < fields.length; i++) { // first the columns the state has: its names and ids
      StructField field = columns.at(i);
      StructField their = theirs.get(lower(field.getName()));
      if (their != null) {
        fields[i] = field.withNewMetadata(FieldMetadata.builder().fromMetadata(field.getMetadata())
            .putLong(ID, id(their)).putString(PHYSICAL_NAME, physicalName(their)).build());
        ids.add(id(their));
        names.add(physicalName(their));
      }
    }
    for (int i = 0; i < fields.length; i++) { // then the table's own, beside them
      if (fields[i] != null) {
        continue;
      }
      StructField field = columns.at(i);
      if (!names.add(physicalName(field))) {
        throw new ClientValues.Refused(field.getName(), "the state moved to has its values under another name"
            + " (renamed there): move the table's column first");
      }
      FieldMetadata metadata = field.getMetadata();
      if (!ids.add(id(field))) {
        metadata = FieldMetadata.builder().fromMetadata(metadata).putLong(ID, ++max).build();
        ids.add(max);
      }
      fields[i] = field.withNewMetadata(metadata);
    }
    return new Mapped(new StructType(List.of(fields)), withMax(properties, max));
  }

  /**
   * {@link #moved} between a table and a state of another mode: column mapping enabled on one of them since (Delta
   * keeps each existing column's values under its own name then). The move reads right when every column the two
   * share, and every column the result takes from the state, is stored under its own name on the mapped side; the
   * table keeps its mode (an unmapped table its columns without mapping metadata).
   */
  private static Mapped acrossModes(StructType columns, Snapshot now, Snapshot wanted) {
    String from = mode(now);
    String to = mode(wanted);
    if (!"none".equals(from) && !"name".equals(from) || !"none".equals(to) && !"name".equals(to)) {
      throw DeltaUnsupported.because("moving a table with column mapping mode " + from + " to a state with mode "
          + to);
    }
    for (StructField field : columns.fields()) {
      StructField onWanted = DeltaStates.named(wanted.getSchema(), field.getName());
      StructField onNow = DeltaStates.named(now.getSchema(), field.getName());
      if (onWanted != null) {
        // where the state's files hold it, and where the table reads it after the move
        String stored = "name".equals(to) ? physicalName(onWanted) : onWanted.getName();
        String read = "name".equals(from) ? (onNow == null ? null : physicalName(onNow)) : field.getName();
        if (!stored.equals(read)) {
          throw DeltaUnsupported.because("moving a table with column mapping mode " + from + " to a state with mode "
              + to + ": its files hold column " + field.getName() + " under " + stored);
        }
      } else if ("name".equals(to) && wanted.getSchema().fields().stream()
          .anyMatch(f -> physicalName(f).equalsIgnoreCase(field.getName()))) {
        throw DeltaUnsupported.because("moving a table with column mapping mode " + from + " to a state with mode "
            + to + ": its files hold another column under the name " + field.getName());
      }
    }
    if ("name".equals(from)) {
      return new Mapped(columns, now.getTableProperties());
    }
    List<StructField> plain = new ArrayList<>();
    for (StructField field : columns.fields()) {
      plain.add(field.withNewMetadata(FieldMetadata.builder().fromMetadata(field.getMetadata()).remove(ID)
          .remove(PHYSICAL_NAME).build()));
    }
    return new Mapped(new StructType(plain), now.getTableProperties());
  }

  private static String lower(String name) {
    return name.toLowerCase(java.util.Locale.ROOT);
  }

  /** A mapped column's id; a column without one is not the protocol's (refused, as its writes are). */
  static long id(StructField field) {
    if (!field.getMetadata().contains(ID)) {
      throw DeltaUnsupported.because("a column mapped without an id (" + field.getName() + ")");
    }
    return field.getMetadata().getLong(ID);
  }

  /** A mapped column's physical name; a column without one is refused, as its writes are. */
  static String physicalName(StructField field) {
    if (!field.getMetadata().contains(PHYSICAL_NAME)) {
      throw DeltaUnsupported.because("a column mapped without a physical name (" + field.getName() + ")");
    }
    return field.getMetadata().getString(PHYSICAL_NAME);
  }

  /** The highest column id of {@code schema} and {@code properties}' maximum. */
  private static long maxId(StructType schema, Map<String, String> properties) {
    long max;
    try {
      max = Long.parseLong(properties.getOrDefault(MAX_ID, "0"));
    } catch (NumberFormatException e) {
      throw DeltaUnsupported.because("a table whose " + MAX_ID + " is not a number");
    }
    for (StructField field : schema.fields()) {
      if (field.getMetadata().contains(ID)) {
        max = Math.max(max, field.getMetadata().getLong(ID));
      }
    }
    return max;
  }

  private static Map<String, String> withMax(Map<String, String> properties, long max) {
    if (String.valueOf(max).equals(properties.get(MAX_ID))) {
      return properties;
    }
    Map<String, String> with = new LinkedHashMap<>(properties);
    with.put(MAX_ID, String.valueOf(max));
    return with;
  }
}
