package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import io.strata.projections.rowdata.Merges.Strategy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;

/**
 * Random sequences on a Delta table and its branches against a small in-memory reference (docs/delta.md, §8): writes,
 * updates and deletes on the table and on branches (shallow clones made along the way), checkpoints, and merges of a
 * branch into the table under the {@code theirs} strategy, moves of the table or a branch to any state of any of them
 * (a reset, a fast-forward: files only, {@link DeltaFileMove}). After every step a {@link Reader} — Kernel in the
 * projections' tests, Delta's reference implementation (Spark) in the interoperability tests — reads each table's
 * latest version and an earlier version of one of them (time travel), which must be exactly what the model says;
 * every merge writes what a three-way merge by key and field, written here independently of the merge core, decides.
 */
public final class DeltaBranchModel {
  private static final List<String> KEY = KernelTables.KEY;

  /** How a test reads a Delta table: its rows at {@code version}, or at its latest version when null, by id. */
  @FunctionalInterface
  public interface Reader {
    Map<Long, Map<String, Object>> rows(Path root, Long version) throws Exception;
  }

  /** What a run did, for a property's statistics. */
  public record Run(int steps, int merges, int mergesWhereBothChangedAKey, int checkpoints, int moves) {
  }

  /** A branch: its table, the model's rows (now and per version), and where it started on the table. */
  private static final class Branch {
    final Path root;
    final DeltaTable table;
    Map<Long, Map<String, Object>> rows;
    final Map<Long, Map<Long, Map<String, Object>>> versions = new HashMap<>();
    long forkVersionOnMain;
    Map<Long, Map<String, Object>> forkRows;

    Branch(Path root, DeltaTable table, Map<Long, Map<String, Object>> rows) {
      this.root = root;
      this.table = table;
      this.rows = rows;
    }

    /** Records the rows of the version just written. */
    void wrote() {
      versions.put(table.latest().getVersion(), new TreeMap<>(rows));
    }
  }

  private final Engine engine;
  private final Reader reader;
  private final Random random;

  private DeltaBranchModel(Engine engine, Reader reader, Random random) {
    this.engine = engine;
    this.reader = reader;
    this.random = random;
  }

  /** One random sequence in a new table under {@code dir}, read by {@code reader} after every step. */
  public static Run run(Path dir, Random random, Reader reader) throws Exception {
    return new DeltaBranchModel(DeltaTable.defaultEngine(), reader, random).run(dir);
  }

  private Run run(Path dir) throws Exception {
    Path root = dir.resolve("t");
    KernelTables.create(engine, root, KernelTables.SCHEMA);
    List<Map<String, Object>> initial = new ArrayList<>();
    for (long id = 1; id <= 30; id++) {
      initial.add(KernelTables.row(id, "n" + id, id));
    }
    KernelTables.append(engine, root, List.of(initial.subList(0, 15), initial.subList(15, 30)));
    Branch main = new Branch(root, DeltaTable.local(root, engine), new TreeMap<>());
    initial.forEach(r -> main.rows.put((Long) r.get("id"), r));
    main.versions.put(0L, new TreeMap<>());
    main.wrote();
    List<Branch> branches = new ArrayList<>();

    int merges = 0;
    int bothChanged = 0;
    int checkpoints = 0;
    int moves = 0;
    int steps = 8 + random.nextInt(8);
    for (int step = 0; step < steps; step++) {
      int op = random.nextInt(14);
      if (op < 2 || branches.isEmpty()) {
        Path branchRoot = root.resolve("_strata/branches/b" + step);
        Branch b = new Branch(branchRoot, DeltaTable.local(branchRoot, engine), new TreeMap<>(main.rows));
        b.forkVersionOnMain = main.table.latest().getVersion();
        b.forkRows = new TreeMap<>(main.rows);
        assertThat(ShallowClone.create(main.table, b.forkVersionOnMain, b.table, "fork-" + step, step)).isTrue();
        b.wrote();
        branches.add(b);
      } else if (op < 8) {
        write(random.nextInt(3) == 0 ? main : branches.get(random.nextInt(branches.size())), step);
      } else if (op < 10) {
        Branch b = random.nextBoolean() ? main : branches.get(random.nextInt(branches.size()));
        b.table.latest().writeCheckpoint(engine);
        checkpoints++;
      } else if (op < 12) {
        merges++;
        bothChanged += merge(branches.remove(random.nextInt(branches.size())), main, step) ? 1 : 0;
      } else {
        moves++;
        move(main, branches, step);
      }
      check(main, branches, step);
    }
    // every branch left is merged at the end
    for (int i = 0; !branches.isEmpty(); i++) {
      merges++;
      bothChanged += merge(branches.remove(0), main, steps + i) ? 1 : 0;
      check(main, branches, steps + i);
    }
    return new Run(steps, merges, bothChanged, checkpoints, moves);
  }

  /** Each table's latest version, and a random earlier version of one of them, read as the model says. */
  private void check(Branch main, List<Branch> branches, int step) throws Exception {
    List<Branch> all = new ArrayList<>(branches);
    all.add(0, main);
    for (Branch b : all) {
      assertThat(reader.rows(b.root, null)).as("%s after step %d", name(b, main), step).isEqualTo(b.rows);
    }
    Branch b = all.get(random.nextInt(all.size()));
    List<Long> versions = new ArrayList<>(b.versions.keySet());
    long version = versions.get(random.nextInt(versions.size()));
    assertThat(reader.rows(b.root, version)).as("%s at version %d after step %d", name(b, main), version, step)
        .isEqualTo(b.versions.get(version));
    // the files two states differ in, read from the commits since their common point, are those listing both finds
    Branch other = all.get(random.nextInt(all.size()));
    List<Long> others = new ArrayList<>(other.versions.keySet());
    long otherVersion = others.get(random.nextInt(others.size()));
    var fromCommits = ChangedFiles.between(b.table, version, other.table, otherVersion,
        RowChanges.known(main.table, b.table, other.table));
    var listed = RowChanges.files(b.table, b.table.files(b.table.at(version)), other.table,
        other.table.files(other.table.at(otherVersion)));
    String states = name(b, main) + " at " + version + " and " + name(other, main) + " at " + otherVersion;
    assertThat(fromCommits).as(states).isPresent();
    assertThat(fromCommits.get().removed()).as("removed, %s", states).isEqualTo(listed.removed());
    assertThat(fromCommits.get().added()).as("added, %s", states).isEqualTo(listed.added());
  }

  private static String name(Branch b, Branch main) {
    return b == main ? "the table" : "branch " + b.root.getFileName();
  }

  /** 1 to 4 random changes in one copy-on-write commit: updates of one or both fields, deletes, inserts. */
  private void write(Branch b, int step) throws Exception {
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
    b.wrote();
  }

  /**
   * Moves the table or a branch to a random state of any of them, in one commit of files (no adoption of a branch's
   * files into the table: the model's table may name them by absolute URI). The files come from the commits since
   * the common point, and must be those listing both states finds; the commit's removes name the files as the moved
   * table's log does, which the readers check (a remove named otherwise would leave its file live for Kernel).
   */
  private void move(Branch main, List<Branch> branches, int step) throws Exception {
    List<Branch> all = new ArrayList<>(branches);
    all.add(0, main);
    Branch b = all.get(random.nextInt(all.size()));
    Branch source = all.get(random.nextInt(all.size()));
    List<Long> versions = new ArrayList<>(source.versions.keySet());
    long version = versions.get(random.nextInt(versions.size()));
    var now = b.table.latest();
    var wanted = source.table.at(version);
    DeltaFileMove.Files files = DeltaFileMove.between(b.table, now, source.table, wanted,
        RowChanges.known(main.table, b.table, source.table));
    DeltaFileMove.Files listed = DeltaFileMove.listed(b.table, now, source.table, wanted);
    String states = name(b, main) + " to " + name(source, main) + " at " + version + " at step " + step;
    assertThat(files.traced()).as(states).isTrue();
    assertThat(identities(files.removes(), b.table)).as("removes, %s", states)
        .isEqualTo(identities(listed.removes(), b.table));
    assertThat(files.removes()).as("named as the moved table's log names them, %s", states)
        .containsExactlyInAnyOrderElementsOf(listed.removes());
    assertThat(identities(files.adds(), b.table)).as("adds, %s", states).isEqualTo(identities(listed.adds(), b.table));
    if (!files.isEmpty()) {
      DeltaCommit commit = DeltaCommit.of("move-" + step, "RESTORE", step);
      files.removes().forEach(f -> commit.remove(f, step));
      files.adds().forEach(commit::add);
      assertThat(b.table.log().create(now.getVersion() + 1, commit.bytes())).isTrue();
    }
    b.rows = new TreeMap<>(source.versions.get(version));
    b.wrote();
  }

  private static java.util.Set<String> identities(List<DeltaFile> files, DeltaTable table) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    files.forEach(f -> out.add(f.identity(table.root())));
    return out;
  }

  /** Merges branch {@code b} into main with {@code theirs}; answers whether both sides changed a key differently. */
  private static boolean merge(Branch b, Branch main, int step) throws Exception {
    long head = main.table.latest().getVersion();
    long theirs = b.table.latest().getVersion();
    DeltaMerge.Plan plan = DeltaMerge.plan(main.table, b.forkVersionOnMain, main.table, head, b.table, theirs, KEY,
        Strategy.THEIRS);
    assertThat(plan.clean()).isTrue();
    long bothChanged = b.rows.keySet().stream().filter(k -> !Objects.equals(b.rows.get(k), b.forkRows.get(k))
        && !Objects.equals(main.rows.get(k), b.forkRows.get(k)) && !Objects.equals(main.rows.get(k), b.rows.get(k)))
        .count();
    main.rows = expected(b.forkRows, main.rows, b.rows);
    if (!plan.writes().isEmpty()) {
      DeltaMerge.apply(plan, main.table, KEY, "m" + step, step);
      main.wrote();
    }
    return bothChanged > 0;
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

  /** The Kernel reader: Strata's own reads of the table's files. */
  public static Reader kernel() {
    Engine engine = DeltaTable.defaultEngine();
    return (root, version) -> {
      DeltaTable table = DeltaTable.local(root, engine);
      Map<Long, Map<String, Object>> rows = new TreeMap<>();
      table.rows(version == null ? table.latest() : table.at(version), KEY)
          .forEach((k, r) -> rows.put((Long) k.get(0), r));
      return rows;
    };
  }
}
