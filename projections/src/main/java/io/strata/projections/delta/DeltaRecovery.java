package io.strata.projections.delta;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a unit of work whose process died left in Delta tables (docs/delta.md, §7): the versions it wrote under its
 * transaction ids after the intents it journalled ({@link DeltaUnit#writing}) and before its transaction committed.
 * Neither Strata's log nor its refs name them; the recovery sweep at start puts back, newest first, the rows they
 * changed that nobody changed since ({@link DeltaStates#undoKeys}), as a unit rolled back in a live process does, then
 * forgets the intents. A unit still alive (another server's) holds the advisory lock on its id: passed by.
 */
final class DeltaRecovery {
  /** The advisory lock key's prefix of a unit's id (hashed with hashtextextended). */
  static final String LOCK_PREFIX = "strata-delta-unit:";

  private DeltaRecovery() {
  }

  private record Intent(String unit, String root, long before, List<String> key) {}

  /**
   * Puts back what dead units wrote to tables of {@code unit}'s storage; answers the number of keys put back. The
   * intents of each are deleted in {@code unit}'s transaction (again at the next start if it does not commit).
   */
  static Uni<Long> recover(DeltaUnit unit) {
    return unit.metadata().preparedQuery("select unit, root, before_version, key from strata_meta.delta_intents"
            + " order by unit, at").execute()
        .map(rows -> {
          Map<String, List<Intent>> byUnit = new LinkedHashMap<>();
          for (Row r : rows) {
            String root = r.getString(1);
            if (unit.storage().holds(root)) {
              byUnit.computeIfAbsent(r.getString(0), u -> new ArrayList<>()).add(new Intent(r.getString(0), root,
                  r.getLong(2), Arrays.asList(r.getArrayOfStrings(3))));
            }
          }
          return byUnit;
        })
        .chain(byUnit -> Multi.createFrom().iterable(byUnit.entrySet())
            .onItem().transformToUniAndConcatenate(e -> unit.metadata()
                .preparedQuery("select pg_try_advisory_xact_lock(hashtextextended($1, 0))")
                .execute(Tuple.of(LOCK_PREFIX + e.getKey()))
                .chain(locked -> !locked.iterator().next().getBoolean(0) ? Uni.createFrom().item(0L)
                    // read again under the lock: a unit that committed since the first read deleted its intents
                    : unit.metadata().preparedQuery("select unit, root, before_version, key from"
                            + " strata_meta.delta_intents where unit = $1 order by at").execute(Tuple.of(e.getKey()))
                        .map(DeltaRecovery::intents)
                        .chain(still -> still.isEmpty() ? Uni.createFrom().item(0L)
                            : unit.blocking(() -> putBack(unit, e.getKey(), still))
                                .call(() -> unit.metadata().preparedQuery("delete from strata_meta.delta_intents"
                                    + " where unit = $1").execute(Tuple.of(e.getKey()))))
                        // one unit's failure holds up none of the others (its intents stay: again next sweep)
                        .onFailure().recoverWithItem(0L)))
            .collect().asList()
            .map(counts -> counts.stream().mapToLong(Long::longValue).sum()));
  }

  private static List<Intent> intents(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
    List<Intent> intents = new ArrayList<>();
    for (Row r : rows) {
      intents.add(new Intent(r.getString(0), r.getString(1), r.getLong(2), Arrays.asList(r.getArrayOfStrings(3))));
    }
    return intents;
  }

  /** Puts back, newest first, the versions written under {@code unitId}'s transaction ids after its intents. */
  private static long putBack(DeltaUnit unit, String unitId, List<Intent> intents) throws java.io.IOException {
    List<long[]> versions = new ArrayList<>(); // [intent index, version]
    for (int i = 0; i < intents.size(); i++) {
      Intent intent = intents.get(i);
      DeltaTable table = unit.at(intent.root());
      for (long v : table.log().versionsAfter(intent.before())) {
        if (writtenBy(table, v, unitId)) {
          versions.add(new long[] {i, v});
          break; // an intent is one version: the first after it under the unit's ids
        }
      }
    }
    versions.sort((a, b) -> Long.compare(b[1], a[1]));
    long back = 0;
    for (long[] found : versions) {
      Intent intent = intents.get((int) found[0]);
      back += DeltaStates.undoKeys(unit, intent.root(), found[1] - 1, found[1], intent.key());
    }
    return back;
  }

  /** Whether version {@code v} of {@code table} was written under one of unit {@code unitId}'s transaction ids. */
  private static boolean writtenBy(DeltaTable table, long v, String unitId) throws java.io.IOException {
    String entry = new String(table.log().read(v), StandardCharsets.UTF_8);
    String first = entry.lines().findFirst().orElse("");
    return first.contains("\"commitInfo\"") && first.contains("\"txnId\":\"" + unitId + ".");
  }
}
