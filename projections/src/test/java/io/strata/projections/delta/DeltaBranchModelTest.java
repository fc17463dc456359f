package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import io.strata.projections.rowdata.Merges.Strategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Delta branches against a small in-memory reference (docs/delta.md, §8): random writes, updates and deletes on the
 * table and on branches (shallow clones made along the way), and merges of a branch into the table under the
 * {@code theirs} strategy; after every step each branch reads through Kernel exactly as the model says, and every
 * merge writes what a three-way merge by key and field, written here independently of the merge core, decides.
 */
class DeltaBranchModelTest {
  private static final StructType SCHEMA = KernelTables.SCHEMA;
  private static final List<String> KEY = KernelTables.KEY;
  private static final Engine ENGINE = DeltaTable.defaultEngine();

  /** A branch: its table, the model's rows, and (for a branch of the table) where it started on the table. */
  private static final class Branch {
    final DeltaTable table;
    Map<Long, Map<String, Object>> rows;
    long forkVersionOnMain;
    Map<Long, Map<String, Object>> forkRows;

    Branch(DeltaTable table, Map<Long, Map<String, Object>> rows) {
      this.table = table;
      this.rows = rows;
    }
  }

  @Property(tries = 12)
  @StatisticsReport(onFailureOnly = true)
  void branchesReadAsTheModelAndMergesDecideAsThreeWayByField(@ForAll Random random) throws Exception {
    Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "delta-model-");
    Path root = dir.resolve("t");
    KernelTables.create(ENGINE, root, SCHEMA);
    List<Map<String, Object>> initial = new ArrayList<>();
    for (long id = 1; id <= 30; id++) {
      initial.add(KernelTables.row(id, "n" + id, id));
    }
    KernelTables.append(ENGINE, root, List.of(initial.subList(0, 15), initial.subList(15, 30)));
    Branch main = new Branch(DeltaTable.local(root, ENGINE), new TreeMap<>());
    initial.forEach(r -> main.rows.put((Long) r.get("id"), r));
    List<Branch> branches = new ArrayList<>();

    Statistics.label("keys both sides changed differently, per merge").coverage(c -> c.check("some").count(n -> n > 0));
    int steps = 8 + random.nextInt(8);
    for (int step = 0; step < steps; step++) {
      int op = random.nextInt(10);
      if (op < 2 || branches.isEmpty()) {
        Branch b = new Branch(DeltaTable.local(root.resolve("_strata/branches/b" + step), ENGINE),
            new TreeMap<>(main.rows));
        b.forkVersionOnMain = main.table.latest().getVersion();
        b.forkRows = new TreeMap<>(main.rows);
        assertThat(ShallowClone.create(main.table, b.forkVersionOnMain, b.table, "fork-" + step, step)).isTrue();
        branches.add(b);
      } else if (op < 8) {
        Branch b = random.nextInt(3) == 0 ? main : branches.get(random.nextInt(branches.size()));
        write(b, random, step);
      } else {
        Branch b = branches.remove(random.nextInt(branches.size()));
        merge(b, main, step);
      }
      check(main, branches, step);
    }
    // every branch left is merged at the end
    for (int i = 0; !branches.isEmpty(); i++) {
      merge(branches.remove(0), main, steps + i);
      check(main, branches, steps + i);
    }
  }

  private static void check(Branch main, List<Branch> branches, int step) {
    assertThat(read(main.table)).as("main after step %d", step).isEqualTo(main.rows);
    for (Branch b : branches) {
      assertThat(read(b.table)).as("a branch after step %d", step).isEqualTo(b.rows);
    }
  }

  /** 1 to 4 random changes in one copy-on-write commit: updates of one or both fields, deletes, inserts. */
  private static void write(Branch b, Random random, int step) throws Exception {
    Map<List<Object>, Map<String, Object>> writes = new HashMap<>();
    for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
      // mostly the first dozen keys, so that sides overlap; now and then one past the table's rows (an insert)
      long id = random.nextInt(5) == 0 ? 31 + random.nextInt(4) : 1 + random.nextInt(12);
      Map<String, Object> current = b.rows.get(id);
      int what = random.nextInt(4);
      Map<String, Object> after;
      if (current == null) {
        after = KernelTables.row(id, "ins" + step, step);
      } else if (what == 0) {
        after = null;
      } else {
        after = new LinkedHashMap<>(current);
        if (what != 2) {
          after.put("name", "s" + step + "-" + random.nextInt(3));
        }
        if (what != 1) {
          after.put("amount", (long) random.nextInt(3));
        }
      }
      writes.put(List.of(id), after);
      if (after == null) {
        b.rows.remove(id);
      } else {
        b.rows.put(id, after);
      }
    }
    long version = b.table.latest().getVersion();
    DeltaMerge.apply(new DeltaMerge.Plan(version, writes, Map.of()), b.table, KEY, "w" + step, step);
  }

  /** Merges branch {@code b} into main with {@code theirs} and checks it against {@link #expected}. */
  private static void merge(Branch b, Branch main, int step) throws Exception {
    long head = main.table.latest().getVersion();
    long theirs = b.table.latest().getVersion();
    DeltaMerge.Plan plan = DeltaMerge.plan(main.table, b.forkVersionOnMain, main.table, head, b.table, theirs, KEY,
        Strategy.THEIRS);
    assertThat(plan.clean()).isTrue();
    if (!plan.writes().isEmpty()) {
      DeltaMerge.apply(plan, main.table, KEY, "m" + step, step);
    }
    long bothChanged = b.rows.keySet().stream().filter(k -> !Objects.equals(b.rows.get(k), b.forkRows.get(k))
        && !Objects.equals(main.rows.get(k), b.forkRows.get(k)) && !Objects.equals(main.rows.get(k), b.rows.get(k)))
        .count();
    Statistics.label("keys both sides changed differently, per merge").collect(bothChanged > 0 ? "some" : "none");
    main.rows = expected(b.forkRows, main.rows, b.rows);
  }

  /**
   * The reference: per key, theirs unchanged keeps ours, ours unchanged takes theirs, the same on both keeps it; a
   * delete against a change (or an insert against an insert) is a row conflict, which {@code theirs} settles with
   * theirs' row; otherwise field by field, theirs' value where the two changed one differently.
   */
  static Map<Long, Map<String, Object>> expected(Map<Long, Map<String, Object>> base,
      Map<Long, Map<String, Object>> ours, Map<Long, Map<String, Object>> theirs) {
    Map<Long, Map<String, Object>> result = new TreeMap<>();
    java.util.Set<Long> keys = new java.util.TreeSet<>(base.keySet());
    keys.addAll(ours.keySet());
    keys.addAll(theirs.keySet());
    for (Long k : keys) {
      Map<String, Object> b = base.get(k);
      Map<String, Object> o = ours.get(k);
      Map<String, Object> t = theirs.get(k);
      Map<String, Object> r;
      if (Objects.equals(t, b)) {
        r = o;
      } else if (Objects.equals(o, b) || Objects.equals(o, t)) {
        r = t;
      } else if (o == null || t == null || b == null) {
        r = t;
      } else {
        r = new LinkedHashMap<>(o);
        for (String f : List.of("name", "amount")) {
          if (!Objects.equals(t.get(f), b.get(f))) {
            r.put(f, t.get(f)); // only theirs changed it, or both did and theirs settles it
          }
        }
      }
      if (r != null) {
        result.put(k, r);
      }
    }
    return result;
  }

  private static Map<Long, Map<String, Object>> read(DeltaTable table) {
    Map<Long, Map<String, Object>> rows = new TreeMap<>();
    table.rows(table.latest(), KEY).forEach((k, r) -> rows.put((Long) k.get(0), r));
    return rows;
  }
}
