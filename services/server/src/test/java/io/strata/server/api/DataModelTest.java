package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.events.EventCodec;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Model-based test of row versioning: random sequences over several branches (branches of branches,
 * branches from old commits) mixing REST writes, SQL through branch views, direct writes to the
 * default branch's table, stage/commit, discard and branch deletion, with reads at every branch
 * (working and committed), at old commits and through the query endpoint checked against a small
 * in-memory model: per branch a working and a committed map of key to value, per commit a snapshot.
 * Merges of random refs into random branches (fast-forwards, three-way with strategies three_way,
 * ours and theirs, conflicts resolved and continued or aborted) are checked against a reference
 * three-way merge of the model's snapshots at the merge base the server chose, which must be one of
 * the model's lowest common ancestors. Resets (hard and soft) to random commits, reverts of random
 * commits of a branch's history and cherry-picks of random commits (merge commits with a random
 * mainline) are checked against the same reference three-way merge, and so are stashes applied or
 * popped after the branch moved on, and rebases onto random refs (replayed commit by commit; a conflict
 * aborted, restoring the branch exactly). Columns are added to the table on the default branch at random
 * (an application's ALTER TABLE): the default branch and branches created afterwards read them, a branch
 * alive then keeps the columns it had, every read answers a branch's columns (a read at a commit of the
 * default branch's history, the columns it had then), and moving rows into a branch from a ref of other
 * columns is refused (422) as the model's rule says. Columns are added on branches through Strata too (at
 * fixed steps): the branch reads them, a merge gives the target the source's added columns
 * first (the default branch's table gains them, online, and the merge makes a merge commit: one such merge
 * at a fixed step), and the
 * branch takes rows of the columns it had before. At the end, a rebuild of the projections from the
 * log must equal them. Fixed seed; scale with -Ddatamodel.runs / .steps / .seed.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DataModelTest {
  private static final int KEYS = 24;

  @Inject Pool pool;

  /** The model of one repository: branch states and commit snapshots. */
  private static final class Model {
    final Map<String, TreeMap<Integer, Integer>> working = new TreeMap<>();
    final Map<String, TreeMap<Integer, Integer>> committed = new TreeMap<>();
    final Map<String, TreeMap<Integer, Integer>> commits = new HashMap<>();
    final List<String> commitOrder = new ArrayList<>();
    /** Per branch, the keys whose working change is staged: REST writes stage, SQL writes un-stage. */
    final Map<String, Set<Integer>> staged = new HashMap<>();
    /** The commit graph: each commit's parents, and each branch's head. */
    final Map<String, List<String>> parents = new HashMap<>();
    final Map<String, String> heads = new HashMap<>();
    /** Per branch its stashes, the newest first: the head's state when saved, and the working state saved. */
    final Map<String, List<TreeMap<Integer, Integer>[]>> stashes = new HashMap<>();
    int branchSeq;
    int incarnations;
    /**
     * Columns added to the table by DDL so far (c1, c2, …), columns added on branches through Strata so far
     * (x1, x2, …); the table's columns in order (the default branch's), and per branch the columns it reads
     * in order and those it added (a merge gives the target the source's added columns first: the default
     * branch's table gains them, another branch adds them).
     */
    int tableColumns;
    int branchColumns;
    final List<String> table = new ArrayList<>(List.of("id", "v", "note"));
    final Map<String, List<String>> columns = new HashMap<>();
    final Map<String, List<String>> added = new HashMap<>();
    /** Per branch, the table's own columns it dropped ({@code drop_column}); per commit, its branch's then. */
    final Map<String, List<String>> droppedOwn = new HashMap<>();
    final Map<String, List<String>> commitDroppedOwn = new HashMap<>();
    /**
     * Per branch, the columns it shows under another name ({@code rename_column}: stored name to shown name);
     * per commit, its branch's then.
     */
    final Map<String, Map<String, String>> renamed = new HashMap<>();
    final Map<String, Map<String, String>> commitRenamed = new HashMap<>();

    /** Whether commit {@code commit} was made on the default branch (which never renames). */
    boolean onMain(String commit) {
      return madeOn.getOrDefault(commit, "").startsWith("main#");
    }

    /** {@code columns} as branch {@code branch} shows them. */
    Set<String> shownOn(String branch, java.util.Collection<String> columns) {
      return shown(renamed.getOrDefault(branch, Map.of()), columns);
    }

    /** {@code columns} as a read at commit {@code commit} shows them (as its branch showed them then). */
    Set<String> shownAt(String commit, java.util.Collection<String> columns) {
      return shown(commitRenamed.getOrDefault(commit, Map.of()), columns);
    }

    static Set<String> shown(Map<String, String> names, java.util.Collection<String> columns) {
      Set<String> out = new TreeSet<>();
      columns.forEach(c -> out.add(names.getOrDefault(c, c)));
      return out;
    }

    /**
     * The names {@code target} shows after a merge, revert or cherry-pick whose sides show them as {@code base}
     * and {@code theirs} (each column renamed on one side since the base takes that side's name; the model
     * renames one column to one name, so two sides never rename it otherwise), of the columns it reads.
     */
    boolean mergeRenames(String target, Map<String, String> base, Map<String, String> theirs) {
      if (target.equals("main")) {
        return false; // the default branch's table keeps its names
      }
      Map<String, String> ours = renamed.get(target);
      Map<String, String> after = new TreeMap<>();
      for (String c : columns.get(target)) {
        String b = base.getOrDefault(c, c);
        String o = ours.getOrDefault(c, c);
        String t = theirs.getOrDefault(c, c);
        String name = !t.equals(b) && !t.equals(o) && o.equals(b) ? t : o;
        if (!name.equals(c)) {
          after.put(c, name);
        }
      }
      boolean changed = !after.equals(ours);
      ours.clear();
      ours.putAll(after);
      return changed;
    }
    /**
     * Per branch, the table's columns as they were in the shape of the table its own columns are read from (the server's
     * {@code from}): the table's when it was created; kept while every column of the table's it reads is among them
     * (the table gaining columns leaves a branch reading the ones it had), else the first the table had them all in.
     */
    final Map<String, List<String>> from = new HashMap<>();

    /**
     * Branch {@code b}'s {@link #from} after a change of its shape: if it reads a column of the table's beyond it, the
     * table's columns as they were when the table had them all (its columns only grow, at the end).
     */
    void refreshFrom(String b) {
      if (b.equals("main") || !columns.containsKey(b)) {
        return;
      }
      List<String> reads = columns.get(b).stream().filter(c -> !added.get(b).contains(c)).toList();
      if (!from.get(b).containsAll(reads)) {
        int last = reads.stream().mapToInt(table::indexOf).max().orElse(-1);
        from.put(b, List.copyOf(table.subList(0, Math.max(last + 1, from.get(b).size()))));
      }
    }

    /** Per commit: the columns it was recorded with, and the branch incarnation it was made on. */
    final Map<String, List<String>> commitColumns = new HashMap<>();
    final Map<String, String> madeOn = new HashMap<>();
    /** Per commit: the columns its branch had added when it was made (a hard reset gives them back). */
    final Map<String, List<String>> commitAdded = new HashMap<>();
    /** Per branch its incarnation (a branch deleted and created again under its name is another one). */
    final Map<String, String> incarnation = new HashMap<>();
    /**
     * Types: the columns each branch added that it widened to bigint ({@code alter_column}; the others are
     * integers), those of a commit's branch when it was made, and the table's bigint columns (promoted so).
     */
    final Map<String, Set<String>> wide = new HashMap<>();
    final Map<String, Set<String>> commitWide = new HashMap<>();
    final Set<String> tableWide = new TreeSet<>();

    /** The type of column {@code c} on branch {@code branch} (null: it has none). */
    String typeOn(String branch, String c) {
      if (!columns.get(branch).contains(c)) {
        return null;
      }
      return (added.get(branch).contains(c) ? wide.get(branch) : tableWide).contains(c) ? "bigint" : "integer";
    }

    /** The type of column {@code c} at commit {@code commit} (null: it had none). */
    String typeAt(String commit, String c) {
      if (!hadAt(commit, c)) {
        return null;
      }
      return (commitAdded.getOrDefault(commit, List.of()).contains(c) ? commitWide.getOrDefault(commit, Set.of())
          : tableWide).contains(c) ? "bigint" : "integer";
    }

    /** The bigint columns branch {@code branch} reads. */
    Set<String> wideOn(String branch) {
      Set<String> out = new TreeSet<>();
      columns.get(branch).stream().filter(c -> "bigint".equals(typeOn(branch, c))).forEach(out::add);
      return out;
    }

    /** The commit the server merges from: the common ancestor of the highest generation, then the newest. */
    String serverBase(String a, String b) {
      return lowestCommonAncestors(a, b).stream().max(java.util.Comparator.comparingInt(this::generation)
          .thenComparingInt(commitOrder::indexOf)).orElse(null);
    }

    int generation(String commit) {
      return parents.getOrDefault(commit, List.of()).stream().mapToInt(p -> generation(p) + 1).max().orElse(0);
    }

    /**
     * The server's three-way merge of the types of the columns added through Strata ({@code considered}),
     * as {@code SchemaMerge} decides it: {@code base}, {@code ours} and {@code theirs} give a column's type
     * on each side (null: absent). Answers "conflict" (409 SchemaConflict), "redefine" (the target cannot
     * take the source's redefinition: 422), or the columns the target alters, each to its new type.
     */
    Object typeMerge(Set<String> considered, java.util.function.Function<String, String> base,
        java.util.function.Function<String, String> ours, java.util.function.Function<String, String> theirs,
        String target) {
      Map<String, String> alters = new TreeMap<>();
      boolean conflict = false;
      for (String c : considered) {
        String b = base.apply(c);
        String o = ours.apply(c);
        String t = theirs.apply(c);
        if (Objects.equals(o, t) || Objects.equals(b, t)) {
          continue;
        }
        if (Objects.equals(b, o)) {
          if (o != null && t != null) {
            if (target.equals("main") || !added.get(target).contains(c)) {
              return "redefine";
            }
            alters.put(c, t);
          }
          continue;
        }
        conflict = true;
      }
      return conflict ? "conflict" : alters;
    }

    /**
     * Whether {@code branch} reads columns of its own: it kept them when the table gained columns, or it
     * added columns (it keeps those as its own even when the table gains them too).
     */
    boolean ownColumns(String branch) {
      return !branch.equals("main") && (!columns.get(branch).equals(table) || !added.get(branch).isEmpty());
    }

    /**
     * The columns as they are now (the table's, each branch's, each branch's added), to put back when the
     * server refuses an operation the model gave columns for: it rehearses it first, refusals change nothing.
     */
    Runnable columnsAsNow() {
      List<String> tableNow = new ArrayList<>(table);
      Map<String, List<String>> columnsNow = new HashMap<>();
      columns.forEach((b, c) -> columnsNow.put(b, new ArrayList<>(c)));
      Map<String, List<String>> addedNow = new HashMap<>();
      added.forEach((b, c) -> addedNow.put(b, new ArrayList<>(c)));
      Map<String, List<String>> droppedNow = new HashMap<>();
      droppedOwn.forEach((b, c) -> droppedNow.put(b, new ArrayList<>(c)));
      Map<String, Set<String>> wideNow = new HashMap<>();
      wide.forEach((b, c) -> wideNow.put(b, new TreeSet<>(c)));
      Set<String> tableWideNow = new TreeSet<>(tableWide);
      Map<String, Map<String, String>> renamedNow = new HashMap<>();
      renamed.forEach((b, r) -> renamedNow.put(b, new TreeMap<>(r)));
      return () -> {
        renamed.clear();
        renamed.putAll(renamedNow);
        wide.clear();
        wide.putAll(wideNow);
        tableWide.clear();
        tableWide.addAll(tableWideNow);
        table.clear();
        table.addAll(tableNow);
        columns.clear();
        columns.putAll(columnsNow);
        added.clear();
        added.putAll(addedNow);
        droppedOwn.clear();
        droppedOwn.putAll(droppedNow);
      };
    }

    /** The columns {@code source} added that {@code target} does not read, in the order they were added. */
    List<String> pending(String source, String target) {
      return added.get(source).stream().filter(c -> !columns.get(target).contains(c)).toList();
    }

    /**
     * The columns a merge of {@code source} (a live branch, else commit {@code commit}) into {@code target}
     * brings, as the server's three-way schema merge decides (SchemaMerges): those the source added through
     * Strata, but for those the target dropped since a merge base of {@code bases} had them.
     */
    List<String> brought(String source, String commit, String target, Set<String> bases) {
      List<String> theirs = columns.containsKey(source) ? added.get(source) : commitAdded.getOrDefault(commit, List.of());
      return theirs.stream().filter(c -> columns.get(target).contains(c) || bases.stream().noneMatch(b -> hadAt(b, c)))
          .toList();
    }

    /**
     * The table's columns a merge of {@code source} (the default branch, read live; else its commit {@code commit}
     * as recorded) into {@code target} takes first, read from the table (the server's SchemaSettlement takes): those
     * the target kept out (a branch alive when the table gained them, by DDL or a merge into the default branch)
     * that the source reads and the table lacked at the merge base {@code base}; none of a side's added ones.
     */
    List<String> takes(String target, String source, String commit, String base) {
      if (target.equals("main") || base == null) {
        return List.of();
      }
      boolean live = source.equals("main");
      Set<String> strata = new TreeSet<>(added.get(target));
      strata.addAll(live ? added.getOrDefault("main", List.of()) : commitAdded.getOrDefault(commit, List.of()));
      strata.addAll(commitAdded.getOrDefault(base, List.of()));
      // kept out: the base's table lacked it, or the table's shape the target reads from did (a pick's base, a base
      // newer than its fork) — not one the target's records ever had as added (it dropped it since main took it)
      List<String> readFrom = from.getOrDefault(target, List.of());
      return table.stream().filter(c -> !strata.contains(c)
          && (!commitColumns.getOrDefault(base, List.of()).contains(c) || !readFrom.contains(c) && !ownedOnce(target, c))
          && !columns.get(target).contains(c) && (live || hadAt(commit, c))).toList();
    }

    /**
     * Whether a record of {@code target} had column {@code c} as added: its head's, a commit made on it (this
     * incarnation), or one of its stashes'.
     */
    boolean ownedOnce(String target, String c) {
      return commitAdded.getOrDefault(heads.get(target), List.of()).contains(c)
          || commitAdded.entrySet().stream().anyMatch(e -> e.getValue().contains(c)
              && incarnation.get(target).equals(madeOn.get(e.getKey())))
          || stashes.getOrDefault(target, List.of()).stream().map(stashShapes::get)
              .anyMatch(shape -> shape != null && shape[0].added().contains(c));
    }

    /**
     * {@code target} takes the table's columns {@code taken}: it reads the table's columns it read and those in
     * the table's order, then those it added (TableColumn.restoring), and no longer counts them dropped.
     */
    void take(String target, List<String> taken) {
      List<String> reads = columns.get(target);
      List<String> after = new ArrayList<>(table.stream().filter(c -> reads.contains(c) || taken.contains(c)).toList());
      reads.stream().filter(c -> !table.contains(c)).forEach(after::add);
      columns.put(target, after);
      droppedOwn.get(target).removeAll(taken);
    }

    /**
     * Whether rows of branch {@code source}'s state (a live branch), or else of {@code commit}, may move into
     * {@code into}: the server's rule (ColumnFit). A branch reading the table's columns takes rows of any of
     * its columns, in any order; a branch with its own takes a branch's of exactly its columns, or a commit of its
     * history or made on it.
     */
    boolean fits(String into, String source, String commit, boolean merge) {
      return fits(into, source, commit, merge, false);
    }

    /**
     * {@link #fits(String, String, String, boolean)}; after a schema merge ({@code columnsMerged}: a merge of
     * a commit, a revert, a cherry-pick) the columns a branch added are settled, and only those it kept
     * from before the table gained others hold a commit of other columns back.
     */
    boolean fits(String into, String source, String commit, boolean merge, boolean columnsMerged) {
      return fits(into, source, commit, merge, columnsMerged, List.of());
    }

    /**
     * {@link #fits(String, String, String, boolean, boolean)} after a schema merge that settled {@code
     * settledDrops}: the table's columns the target dropped that the base and the source have (rows arrive
     * without them).
     */
    boolean fits(String into, String source, String commit, boolean merge, boolean columnsMerged,
        List<String> settledDrops) {
      if (source != null && columns.containsKey(source)) {
        // a merge gives the target the source's added columns first: they are not held against it; and its
        // schema merge settles the types of the columns both have (the target's, or the source's given to
        // it): names alone are compared. Otherwise (a rebase) the types are too.
        // a merge takes the columns the source's branch added as its head commit records them (ColumnFit)
        boolean recorded = merge && !source.equals("main");
        List<String> sourceAdded = recorded ? commitAdded.getOrDefault(heads.get(source), List.of()) : added.get(source);
        List<String> sourceColumns = new ArrayList<>(columns.get(source).stream()
            .filter(c -> !recorded || !added.get(source).contains(c) || sourceAdded.contains(c)).toList());
        sourceAdded.stream().filter(c -> !sourceColumns.contains(c)).forEach(sourceColumns::add);
        List<String> target = typed(into, columns.get(into), merge);
        List<String> arriving = typed(source, sourceColumns.stream()
            .filter(c -> !merge || !sourceAdded.contains(c) || columns.get(into).contains(c))
            .filter(c -> !settledDrops.contains(c)).toList(), merge);
        List<String> before = typed(into, columns.get(into).stream().filter(c -> !added.get(into).contains(c)).toList(),
            merge);
        return arriving.equals(target) || !ownColumns(into) && target.containsAll(arriving)
            || !added.get(into).isEmpty() && arriving.equals(before);
      }
      return !(columnsMerged ? keptColumns(into, settledDrops) : ownColumns(into))
          || ancestors(heads.get(into)).contains(commit) || incarnation.get(into).equals(madeOn.get(commit));
    }

    /** {@code names} of {@code branch}'s columns, each with its type unless {@code namesOnly}. */
    List<String> typed(String branch, List<String> names, boolean namesOnly) {
      return namesOnly ? names : names.stream().map(c -> c + " " + typeOn(branch, c)).toList();
    }

    /**
     * The table's columns {@code into} dropped that a schema merge from {@code base} to {@code theirs} settles: those
     * theirs has (the drop stands, whether it was made before or after the base: a column a branch dropped is not
     * taken back).
     */
    List<String> settledDrops(String into, String base, java.util.function.Predicate<String> theirsHas) {
      return base == null ? List.of() : droppedOwn.get(into).stream().filter(theirsHas).toList();
    }

    /**
     * Whether {@code branch} reads other columns than the table's, those it added left aside and those of the
     * table it dropped that a schema merge settled ({@code settledDrops}) counted as read.
     */
    boolean keptColumns(String branch, List<String> settledDrops) {
      List<String> reads = new ArrayList<>(columns.get(branch).stream().filter(c -> !added.get(branch).contains(c))
          .toList());
      return !branch.equals("main") && !new TreeSet<>(reads).equals(new TreeSet<>(table.stream()
          .filter(c -> !settledDrops.contains(c)).toList()));
    }

    /**
     * The columns a merge of {@code source} (a live branch, else commit {@code commit}) drops from branch
     * {@code target} (not the default branch): those the target added that every merge base of {@code
     * bases} had and the source does not have (it dropped them).
     */
    List<String> dropping(String source, String commit, String target, Set<String> bases) {
      if (target.equals("main")) {
        return List.of();
      }
      List<String> dropping = new ArrayList<>(added.get(target).stream().filter(c -> bases.stream().allMatch(b -> hadAt(b, c)))
          .filter(c -> columns.containsKey(source) ? !columns.get(source).contains(c) : !hadAt(commit, c)).toList());
      // and the table's own columns the source dropped on its branch (the base had them)
      table.stream().filter(c -> columns.get(target).contains(c) && !added.get(target).contains(c))
          .filter(c -> bases.stream().allMatch(b -> hadAt(b, c)))
          .filter(c -> columns.containsKey(source) ? !columns.get(source).contains(c) && droppedOwn.get(source).contains(c)
              : commitDroppedOwn.getOrDefault(commit, List.of()).contains(c))
          .forEach(dropping::add);
      return dropping;
    }

    /** Whether commit {@code commit}'s shape had column {@code c} (the table's then, or its branch's added). */
    boolean hadAt(String commit, String c) {
      return commitColumns.getOrDefault(commit, List.of()).contains(c)
          && !commitDroppedOwn.getOrDefault(commit, List.of()).contains(c)
          || commitAdded.getOrDefault(commit, List.of()).contains(c);
    }

    /**
     * The branch a read of commit {@code commit} named by its id starts from: the live branch it was made on
     * (this incarnation), else the default branch.
     */
    String readBase(String commit) {
      return incarnation.entrySet().stream().filter(e -> e.getValue().equals(madeOn.get(commit))
          && working.containsKey(e.getKey())).map(Map.Entry::getKey).findFirst().orElse("main");
    }

    /** Whether {@code longer} is {@code shorter} with more columns after it. */
    static boolean appended(List<String> longer, List<String> shorter) {
      return longer.size() > shorter.size() && longer.subList(0, shorter.size()).equals(shorter);
    }

    /**
     * The columns a read at {@code commit} from branch {@code base}'s state shows: those of a commit of the
     * default branch's history, the table's then and those its branch had added (a branch merged into main).
     */
    List<String> columnsAt(String base, String commit) {
      List<String> then = commitColumns.get(commit);
      List<String> added = commitAdded.getOrDefault(commit, List.of());
      List<String> dropped = commitDroppedOwn.getOrDefault(commit, List.of());
      return (ancestors(heads.get("main")).contains(commit) && appended(columns.get(base), then)
          ? columns.get(base).stream().filter(c -> then.contains(c) || added.contains(c)).toList()
          : columns.get(base)).stream().filter(c -> !dropped.contains(c)).toList();
    }

    void recordCommit(String branch, String id, List<String> of) {
      recordCommit(branch, id, of, true);
    }

    /**
     * A commit of {@code branch} with parents {@code of}; {@code shapes}: it records the branch's shape of the table
     * (a commit that takes the table: all, or its rows), else its first parent's record, kept.
     */
    void recordCommit(String branch, String id, List<String> of, boolean shapes) {
      parents.put(id, of);
      heads.put(branch, id);
      madeOn.put(id, incarnation.get(branch));
      String kept = shapes || of.isEmpty() ? null : of.get(0);
      commitAdded.put(id, List.copyOf(kept != null ? commitAdded.getOrDefault(kept, List.of())
          : added.getOrDefault(branch, List.of())));
      commitDroppedOwn.put(id, List.copyOf(kept != null ? commitDroppedOwn.getOrDefault(kept, List.of())
          : droppedOwn.getOrDefault(branch, List.of())));
      commitRenamed.put(id, Map.copyOf(kept != null ? commitRenamed.getOrDefault(kept, Map.of())
          : renamed.getOrDefault(branch, Map.of())));
      commitWide.put(id, Set.copyOf(kept != null ? commitWide.getOrDefault(kept, Set.of())
          : wide.getOrDefault(branch, Set.of())));
      // the columns it is recorded with: the table's on the default branch (its DDL is recorded first), else those
      // of the table's shape its branch reads its own from (a branch created since the table's last DDL reads the
      // table's columns, one that kept its columns reads them as the table had them), and a record kept from its
      // first parent the parent's, as its rows are
      refreshFrom(branch);
      commitColumns.put(id, branch.equals("main") ? List.copyOf(table)
          : kept != null ? commitColumns.getOrDefault(kept, List.of()) : List.copyOf(from.get(branch)));
    }

    /** A branch's shape: the columns it reads, those it added, those of the table's it dropped, widened, renamed. */
    record Shape(List<String> columns, List<String> added, List<String> droppedOwn, Set<String> wide,
        Map<String, String> renamed) {}

    /**
     * Per stash (by identity) that holds its branch's shape: the shape saved, and the one it put back to; and the head
     * it was saved at.
     */
    final Map<Object, Shape[]> stashShapes = new java.util.IdentityHashMap<>();
    final Map<Object, String> stashHeads = new java.util.IdentityHashMap<>();

    /**
     * {@code shape} as the server compares a branch's shape with a record made at commit {@code commit}: the columns it
     * reads among those the table had there and those it added (a column the table gained since is the branch's to
     * read or not); one of nothing of its own (none added or renamed, the table's columns there read) is none.
     */
    Shape meantAt(Shape shape, String commit) {
      List<String> then = commitColumns.getOrDefault(commit, List.of());
      List<String> read = shape.columns().stream().filter(c -> then.contains(c) || shape.added().contains(c)).toList();
      return shape.added().isEmpty() && shape.renamed().isEmpty() && new TreeSet<>(read).equals(new TreeSet<>(then))
          ? new Shape(List.of("(none of its own)"), List.of(), List.of(), Set.of(), Map.of())
          : new Shape(read.stream().sorted().toList(), shape.added(), List.of(), shape.wide(), shape.renamed());
    }

    /** The shape commit {@code id} records, as {@link #shapeOf} gives a branch's (its columns: the branch's now). */
    Shape shapeAtCommit(String id, String branch) {
      return new Shape(List.copyOf(columns.get(branch)), List.copyOf(commitAdded.getOrDefault(id, List.of())),
          List.copyOf(commitDroppedOwn.getOrDefault(id, List.of())), Set.copyOf(commitWide.getOrDefault(id, Set.of())),
          Map.copyOf(commitRenamed.getOrDefault(id, Map.of())));
    }

    Shape shapeOf(String branch) {
      return new Shape(List.copyOf(columns.get(branch)), List.copyOf(added.get(branch)),
          List.copyOf(droppedOwn.get(branch)), Set.copyOf(wide.get(branch)), Map.copyOf(renamed.get(branch)));
    }

    void setShape(String branch, Shape shape) {
      columns.put(branch, new ArrayList<>(shape.columns()));
      added.put(branch, new ArrayList<>(shape.added()));
      droppedOwn.put(branch, new ArrayList<>(shape.droppedOwn()));
      wide.put(branch, new TreeSet<>(shape.wide()));
      renamed.put(branch, new TreeMap<>(shape.renamed()));
    }

    /**
     * The shape a hard reset of {@code target} (not the default branch) to commit {@code to} gives it: the columns
     * its branch had added then (those added since dropped unless the table has them now, those dropped since
     * added back), the table's own as it read them (dropped, or given back), their types and the names it showed.
     */
    void shapeToCommit(String target, String to) {
      List<String> current = added.getOrDefault(target, List.of());
      List<String> wanted = commitAdded.getOrDefault(to, List.of());
      List<String> dropped = current.stream().filter(c -> !wanted.contains(c) && !table.contains(c)).toList();
      List<String> adds = wanted.stream().filter(c -> !current.contains(c)).toList();
      columns.get(target).removeAll(dropped);
      columns.get(target).addAll(adds);
      added.get(target).removeAll(dropped);
      added.get(target).addAll(adds);
      // the table's own columns as the commit's branch read them: dropped, or given back with their values
      List<String> wantDropped = commitDroppedOwn.getOrDefault(to, List.of()).stream().filter(table::contains).toList();
      List<String> nowDropped = droppedOwn.get(target);
      List<String> restore = nowDropped.stream().filter(c -> !wantDropped.contains(c)).toList();
      List<String> newly = wantDropped.stream().filter(c -> columns.get(target).contains(c)
          && !added.get(target).contains(c)).toList();
      columns.get(target).removeAll(newly);
      columns.get(target).addAll(restore);
      nowDropped.removeAll(restore);
      nowDropped.addAll(newly);
      // and the types it had then (a column altered since is altered back)
      Set<String> wideThen = commitWide.getOrDefault(to, Set.of());
      wide.get(target).removeIf(c -> !added.get(target).contains(c) || wanted.contains(c) && !wideThen.contains(c));
      wanted.stream().filter(wideThen::contains).filter(added.get(target)::contains).forEach(wide.get(target)::add);
      // and the names its branch showed them under then
      Map<String, String> names = renamed.get(target);
      names.clear();
      commitRenamed.getOrDefault(to, Map.of()).forEach((c, n) -> {
        if (columns.get(target).contains(c)) {
          names.put(c, n);
        }
      });
    }

    /** Whether {@code branch}'s shape differs from the one a hard reset to its head would give it. */
    boolean shapeChangedSinceHead(String branch) {
      Shape now = shapeOf(branch);
      shapeToCommit(branch, heads.get(branch));
      Shape then = shapeOf(branch);
      setShape(branch, now);
      return !now.equals(then);
    }

    /** Whether a hard reset of {@code branch} to {@code commit} changes its added columns, and may. */
    boolean resetMovesColumns(String branch, String commit) {
      List<String> current = added.getOrDefault(branch, List.of());
      List<String> wanted = commitAdded.getOrDefault(commit, List.of());
      List<String> dropped = current.stream().filter(c -> !wanted.contains(c) && !table.contains(c)).toList();
      List<String> adds = wanted.stream().filter(c -> !current.contains(c)).toList();
      return (!dropped.isEmpty() || !adds.isEmpty())
          && adds.stream().noneMatch(c -> table.contains(c) || columns.get(branch).contains(c));
    }

    Set<String> ancestors(String commit) {
      Set<String> seen = new TreeSet<>();
      List<String> stack = new ArrayList<>(List.of(commit));
      while (!stack.isEmpty()) {
        String c = stack.remove(stack.size() - 1);
        if (seen.add(c)) {
          stack.addAll(parents.getOrDefault(c, List.of()));
        }
      }
      return seen;
    }

    /** The lowest common ancestors of two commits: common ancestors that are no other's ancestor. */
    Set<String> lowestCommonAncestors(String a, String b) {
      Set<String> common = ancestors(a);
      common.retainAll(ancestors(b));
      Set<String> lowest = new TreeSet<>(common);
      for (String c : common) {
        for (String p : parents.getOrDefault(c, List.of())) {
          lowest.removeAll(ancestors(p));
        }
      }
      return lowest;
    }

    void start(String branch, TreeMap<Integer, Integer> state) {
      columns.put(branch, new ArrayList<>(table));
      from.put(branch, List.copyOf(table));
      added.put(branch, new ArrayList<>());
      droppedOwn.put(branch, new ArrayList<>());
      renamed.put(branch, new TreeMap<>());
      wide.put(branch, new TreeSet<>());
      incarnation.put(branch, branch + "#" + (++incarnations));
      working.put(branch, new TreeMap<>(state));
      committed.put(branch, new TreeMap<>(state));
      staged.put(branch, new TreeSet<>());
    }

    /** What a commit of the staged changes (or of all of them) leaves as the branch's head. */
    TreeMap<Integer, Integer> commit(String branch, boolean all) {
      TreeMap<Integer, Integer> head = committed.get(branch);
      TreeMap<Integer, Integer> w = working.get(branch);
      if (all) {
        head = new TreeMap<>(w);
      } else {
        for (int k : staged.get(branch)) {
          if (w.containsKey(k)) {
            head.put(k, w.get(k));
          } else {
            head.remove(k);
          }
        }
      }
      committed.put(branch, head);
      staged.get(branch).clear();
      return new TreeMap<>(head);
    }

    /** Expected status counts: {inserted, updated, deleted} of the staged and the unstaged changes. */
    long[][] status(String branch) {
      long[][] counts = new long[2][3];
      TreeMap<Integer, Integer> w = working.get(branch);
      TreeMap<Integer, Integer> c = committed.get(branch);
      Set<Integer> keys = new TreeSet<>(w.keySet());
      keys.addAll(c.keySet());
      for (int k : keys) {
        Integer before = c.get(k);
        Integer after = w.get(k);
        int kind = before == null ? 0 : after == null ? 2 : before.equals(after) ? -1 : 1;
        if (kind >= 0) {
          counts[staged.get(branch).contains(k) ? 0 : 1][kind]++;
        }
      }
      return counts;
    }
  }

  /** Merges the runs concluded with a merge commit: the model must have exercised them. */
  private int mergeCommits;
  /** Resets, and reverts or cherry-picks committed, likewise. */
  private int resets;
  private int appliedCommits;
  private int stashesApplied;
  /** Stashes that held their branch's shape changes, and those given back. */
  private int stashedShapes;
  private int stashedShapesApplied;
  private int rebases;
  /** Columns added, and moves refused for rows of other columns. */
  private int columnsAdded;
  /** Columns added (and dropped again) on branches, and merges that gave them to the default branch's table. */
  private int branchColumnsAdded;
  private int branchColumnsDropped;
  private int ownColumnsDropped;
  private int ownColumnResets;
  private int renames;
  private int renamesCarried;
  /** Hard resets that moved a branch's added columns with its rows. */
  private int schemaResets;
  private int promotions;
  /** Merges into a branch that took columns the table gained while it kept its own. */
  private int columnsTaken;
  private int picksTaken;
  private int carriedDrops;
  /** Columns widened on branches, alterations a merge or pick carried, and operations refused for types. */
  private int branchColumnsWidened;
  private int conversions;
  private int shapesLeftWorking;
  private int conversionRefusals;
  private int carriedAlters;
  private int typeRefusals;
  private int columnRefusals;

  @Test
  void randomSequencesAgreeWithTheModel() throws Exception {
    SeededRuns.run("datamodel", 3, 80, 20261121L, this::run);
    System.out.printf("DataModelTest: %d columns widened on branches, %d alterations carried, %d refused for types,"
        + " %d columns of the table dropped on branches, %d hard resets across such a drop, %d renames on branches,"
        + " %d carried by merges, reverts and cherry-picks%n",
        branchColumnsWidened, carriedAlters, typeRefusals, ownColumnsDropped, ownColumnResets, renames, renamesCarried);
    System.out.printf("DataModelTest: %d merges and %d cherry-picks took columns the table gained while their target"
        + " kept its own%n", columnsTaken, picksTaken);
    System.out.printf("DataModelTest: %d stashes held their branch's shape changes, %d gave them back%n", stashedShapes,
        stashedShapesApplied);
    System.out.printf("DataModelTest: %d conversions of columns added since the head, %d refused in the head, %d"
        + " commits of staged changes that left their branch's shape changes working%n", conversions,
        conversionRefusals, shapesLeftWorking);
    assertThat(conversions).as("conversions (using) of columns added on branches since their heads").isPositive();
    assertThat(conversionRefusals).as("conversions refused for columns in the head").isPositive();
    assertThat(shapesLeftWorking).as("commits of staged changes that left shape changes working").isPositive();
    assertThat(stashedShapesApplied).as("stashes that gave their branch's shape back").isPositive();
    assertThat(mergeCommits).as("merge commits made by the runs").isPositive();
    assertThat(resets).as("resets made by the runs").isPositive();
    assertThat(appliedCommits).as("reverts and cherry-picks committed by the runs").isPositive();
    assertThat(stashesApplied).as("stashes applied by the runs").isPositive();
    assertThat(rebases).as("rebases started by the runs (replayed, or stopped and aborted)").isPositive();
    assertThat(columnsAdded).as("columns added by the runs").isPositive();
    assertThat(branchColumnsAdded).as("columns added on branches by the runs").isPositive();
    assertThat(branchColumnsDropped).as("columns dropped again on branches by the runs").isPositive();
    assertThat(schemaResets).as("hard resets that moved a branch's added columns").isPositive();
    assertThat(promotions).as("merges that gave the table a branch's columns").isPositive();
    assertThat(columnsTaken).as("merges that took the table's columns into a branch that kept its own").isPositive();
    assertThat(columnRefusals).as("moves refused for rows of other columns").isPositive();
    assertThat(branchColumnsWidened).as("columns widened on branches by the runs").isPositive();
    assertThat(carriedAlters).as("alterations a merge carried into another branch").isPositive();
    assertThat(ownColumnsDropped).as("columns of the table dropped on branches by the runs").isPositive();
    assertThat(ownColumnResets).as("hard resets across such a drop, and back").isPositive();
    assertThat(renames).as("columns of the table renamed on branches").isPositive();
    assertThat(renamesCarried).as("renames carried by merges, reverts and cherry-picks").isPositive();

  }

  private void run(Random random, int steps, StringBuilder trace) throws Exception {
    String repo = createRepository(uniqueName("datamodel"));
    String t = uniqueName("m").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, v int not null, note text)");
    sql(pool, "insert into public." + t + " select g, g * 10, null from generate_series(1, 12) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "m", "location", "postgresql://local/public." + t))
        .statusCode(201);
    Model model = new Model();
    TreeMap<Integer, Integer> initial = new TreeMap<>();
    for (int g = 1; g <= 12; g++) {
      initial.put(g, g * 10);
    }
    model.start("main", initial);
    String root = Api.head(repo, "main");
    model.commits.put(root, new TreeMap<>(initial));
    model.commitOrder.add(root);
    model.recordCommit("main", root, List.of());

    String ownDropper = null;
    String firstRenamer = null;
    for (int step = 0; step < steps; step++) {
      if ((step == steps / 3 || step == 2 * steps / 3) && model.tableColumns < 3) {
        addColumn(repo, t, model, step, trace); // at fixed steps too (no random draw: the sequences stay)
      }
      // a column added on a branch at fixed steps, and at a later one a merge of such a branch into main
      List<String> adders = model.working.keySet().stream().filter(x -> !x.equals("main")).sorted().toList();
      if ((step == 3 * steps / 5 || step == 7 * steps / 10) && !adders.isEmpty()) {
        addBranchColumn(repo, model, adders.get(step == 3 * steps / 5 ? 0 : adders.size() - 1), step, trace);
        if (step == 3 * steps / 5) { // stashed with the branch's rows, and popped back
          stashShapeRoundTrip(repo, model, adders.get(0), step, trace);
        }
      }
      // a branch alive when the table gained a column keeps its columns; the default branch merged into it then
      // takes the new one first (its working changes committed before: they would refuse the merge)
      if (step == 2 * steps / 3 + 1) {
        String keeper = adders.stream().filter(x -> model.table.stream().anyMatch(c -> c.startsWith("c")
            && !model.columns.get(x).contains(c) && !model.droppedOwn.get(x).contains(c))).findFirst().orElse(null);
        if (keeper != null) {
          if (!model.working.get(keeper).equals(model.committed.get(keeper))) {
            commit(repo, model, keeper, true, step, trace);
          }
          merge(repo, model, keeper, new Random(step), step, trace, "main");
        }
      }
      // a column of the table dropped on a branch (a new one of main when none reads it), and later that branch
      // committed, reset hard to the newest commit of its history that read it (given back with its values),
      // and reset hard back
      if (step == 11 * steps / 20) {
        String dropper = adders.stream().filter(x -> model.columns.get(x).contains("note")).findFirst()
            .orElseGet(() -> createBranch(repo, model, "main", false, 11 * steps / 20, trace));
        dropOwnColumn(repo, model, dropper, step, trace);
        ownDropper = dropper;
      }
      if (step == 4 * steps / 5 && ownDropper != null && model.working.containsKey(ownDropper)
          && model.droppedOwn.get(ownDropper).contains("note")) {
        String b = ownDropper;
        Set<String> history = model.ancestors(model.heads.get(b));
        List<String> newestFirst = new ArrayList<>(model.commitOrder);
        java.util.Collections.reverse(newestFirst);
        String to = newestFirst.stream().filter(history::contains)
            .filter(c -> !model.commitDroppedOwn.getOrDefault(c, List.of()).contains("note")).findFirst().orElse(null);
        if (to != null) {
          String head = commit(repo, model, b, true, step, trace);
          reset(repo, model, b, to, true, step, trace);
          reset(repo, model, b, head, true, step, trace);
          ownColumnResets++;
        }
      }
      // a column of the table shown under another name on a branch (and later under its own again on the first)
      if (step == steps / 4 || step == 9 * steps / 20) {
        String renamer = adders.stream().filter(x -> model.columns.get(x).contains("note")
            && !model.renamed.get(x).containsKey("note")).findFirst().orElse(null);
        if (renamer != null) {
          renameNote(repo, model, renamer, "remark", step, trace);
          if (firstRenamer == null) {
            firstRenamer = renamer;
          } else { // and merged into another branch, which takes the name with the rows once it is committed
            String into = adders.stream().filter(x -> !x.equals(renamer)).findFirst().orElse(null);
            if (into != null) {
              commit(repo, model, renamer, true, step, trace);
              merge(repo, model, into, new Random(step), step, trace, renamer);
            }
          }
        }
      }
      if (step == 3 * steps / 10 && firstRenamer != null && model.working.containsKey(firstRenamer)
          && model.renamed.get(firstRenamer).containsKey("note")) {
        renameNote(repo, model, firstRenamer, "note", step, trace);
      }
      // and between them, the first column a branch added dropped again
      if (step == 13 * steps / 20) {
        String dropper = adders.stream().filter(x -> !model.added.getOrDefault(x, List.of()).isEmpty()).findFirst()
            .orElse(null);
        if (dropper != null) {
          dropBranchColumn(repo, model, dropper, step, trace);
        }
      }
      // and after it, the first integer column a branch added widened to bigint there (first, the branch
      // committed and a branch of it created, which takes the column as it is), then it committed again and
      // merged into the new one
      if (step == 27 * steps / 40 || step == 3 * steps / 4) {
        String found = adders.stream().filter(x -> model.added.getOrDefault(x, List.of()).stream()
            .anyMatch(c -> !model.wide.get(x).contains(c) && !model.table.contains(c))).findFirst().orElse(null);
        if (found == null && step == 27 * steps / 40) { // none: a new branch of main adds one
          found = createBranch(repo, model, "main", false, step, trace);
          addBranchColumn(repo, model, found, step, trace);
        }
        String widener = found;
        if (widener != null) {
          String child = null;
          if (step == 27 * steps / 40) { // committed first: the merge base has the column as the child takes it
            commit(repo, model, widener, true, step, trace);
            child = createBranch(repo, model, widener, false, step, trace);
          }
          widenBranchColumn(repo, model, widener, step, trace);
          if (child != null) {
            commit(repo, model, widener, true, step, trace);
            if (!model.working.get(child).equals(model.committed.get(child))) {
              commit(repo, model, child, true, step, trace);
            }
            merge(repo, model, child, new Random(step), step, trace, widener);
          }
        }
      }
      // and between them, a conversion (using) of a column a branch added: refused for one its head records, done
      // for one added since (a fresh one, when none), which reads as a widening from then on
      if (step == 7 * steps / 10) {
        // one whose head records such a column first
        java.util.function.BiPredicate<String, Boolean> has = (x, inHead) -> model.working.containsKey(x)
            && model.added.get(x).stream().anyMatch(c -> !model.wide.get(x).contains(c) && !model.table.contains(c)
                && (!inHead || model.commitAdded.getOrDefault(model.heads.get(x), List.of()).contains(c)));
        String converter = adders.stream().filter(x -> has.test(x, true)).findFirst()
            .orElse(adders.stream().filter(x -> has.test(x, false)).findFirst().orElse(null));
        if (converter != null) {
          convertBranchColumns(repo, model, converter, step, trace);
        }
      }
      List<String> withAdded = adders.stream().filter(x -> !model.pending(x, "main").isEmpty()).toList();
      if (step == 9 * steps / 10) {
        // main committed first (working changes would refuse it), then such branches in turn until one's
        // merge gives the table its columns (a branch that kept its columns when the table gained others is
        // refused: rows of other columns, nothing changed), else a new branch of main that adds one; their
        // own draws: the random sequences of the other steps stay
        if (!model.working.get("main").equals(model.committed.get("main"))) {
          commit(repo, model, "main", true, step, trace);
        }
        int before = promotions;
        for (String adder : withAdded) {
          merge(repo, model, "main", new Random(step), step, trace, adder);
          if (promotions > before) {
            break;
          }
        }
        if (promotions == before) {
          String adder = createBranch(repo, model, "main", false, step, trace);
          addBranchColumn(repo, model, adder, step, trace);
          merge(repo, model, "main", new Random(step), step, trace, adder);
        }
      }
      // before it, a branch that added columns committed, reset hard to the newest commit of its history at
      // which it had added other ones (its columns move: dropped, or given back), and reset hard back
      if (step == 17 * steps / 20) {
        for (String b : adders) {
          if (model.added.getOrDefault(b, List.of()).stream().allMatch(model.table::contains)) {
            continue;
          }
          Set<String> history = model.ancestors(model.heads.get(b));
          List<String> newestFirst = new ArrayList<>(model.commitOrder);
          java.util.Collections.reverse(newestFirst);
          String to = newestFirst.stream().filter(history::contains).filter(c -> model.resetMovesColumns(b, c))
              .findFirst().orElse(null);
          if (to != null) {
            String head = commit(repo, model, b, true, step, trace);
            reset(repo, model, b, to, true, step, trace);
            reset(repo, model, b, head, true, step, trace);
            break;
          }
        }
      }
      List<String> branches = new ArrayList<>(model.working.keySet());
      String b = branches.get(random.nextInt(branches.size()));
      int op = random.nextInt(100);
      int key = 1 + random.nextInt(KEYS);
      int value = random.nextInt(1000);
      String rows = "/api/v1/repositories/" + repo + "/branches/" + b + "/tables/m/rows/" + key;
      TreeMap<Integer, Integer> w = model.working.get(b);
      Set<Integer> staged = model.staged.get(b);
      if (op < 6) {
        // a REST batch: upserts and deletes of a few keys, repeats among them (the last one wins)
        List<Map<String, Object>> ops = new ArrayList<>();
        Map<Integer, Integer> net = new HashMap<>();
        trace.append(step).append(": batch ").append(b);
        for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
          int k = 1 + random.nextInt(KEYS);
          int v = random.nextInt(1000);
          if (random.nextInt(3) == 0) {
            ops.add(Map.of("op", "delete", "key", Map.of("id", k)));
            trace.append(" -").append(k);
            net.put(k, null);
          } else {
            ops.add(Map.of("op", "upsert", "row", Map.of("id", k, "v", v)));
            trace.append(' ').append(k).append('=').append(v);
            net.put(k, v);
          }
        }
        trace.append('\n');
        // the batch nets to one operation per key; a delete of a key without a row changes nothing
        net.forEach((k, v) -> {
          if (v != null) {
            w.put(k, v);
            staged.add(k);
          } else if (w.remove(k) != null) {
            staged.add(k);
          }
        });
        Api.json().body(ops).post("/api/v1/repositories/{r}/branches/{b}/tables/m/rows:batch", repo, b).then()
            .statusCode(200).body("applied", org.hamcrest.Matchers.equalTo(ops.size()));
      } else if (op < 18) {
        trace.append(step).append(": PUT ").append(b).append(' ').append(key).append('=').append(value).append('\n');
        Api.json().urlEncodingEnabled(false).body(Map.of("v", value)).put(rows).then().statusCode(200);
        w.put(key, value);
        staged.add(key);
      } else if (op < 26) {
        trace.append(step).append(": DELETE ").append(b).append(' ').append(key).append('\n');
        given().urlEncodingEnabled(false).delete(rows).then().statusCode(w.containsKey(key) ? 204 : 404);
        if (w.remove(key) != null) {
          staged.add(key);
        }
      } else if (op < 34) {
        trace.append(step).append(": PATCH ").append(b).append(' ').append(key).append('=').append(value).append('\n');
        Api.json().urlEncodingEnabled(false).body(Map.of("v", value)).patch(rows).then()
            .statusCode(w.containsKey(key) ? 200 : 404);
        if (w.computeIfPresent(key, (k, old) -> value) != null) {
          staged.add(key);
        }
      } else if (op < 52) {
        // SQL: through the branch's view, or straight to the table on the default branch
        String relation = Api.view(repo, b, "m");
        int from = 1 + random.nextInt(KEYS);
        int to = from + random.nextInt(6);
        switch (random.nextInt(3)) {
          case 0 -> {
            trace.append(step).append(": SQL update ").append(b).append(' ').append(from).append("..").append(to).append('\n');
            sql(pool, "update " + relation + " set v = v + 1 where id between " + from + " and " + to);
            w.replaceAll((k, v) -> k >= from && k <= to ? v + 1 : v);
            staged.removeIf(k -> k >= from && k <= to && w.containsKey(k));
          }
          case 1 -> {
            trace.append(step).append(": SQL delete ").append(b).append(' ').append(from).append("..").append(to).append('\n');
            sql(pool, "delete from " + relation + " where id between " + from + " and " + to);
            staged.removeIf(k -> k >= from && k <= to && w.containsKey(k));
            w.keySet().removeIf(k -> k >= from && k <= to);
          }
          default -> {
            if (!w.containsKey(key)) {
              trace.append(step).append(": SQL insert ").append(b).append(' ').append(key).append('\n');
              sql(pool, "insert into " + relation + " (id, v) values (" + key + ", " + value + ")");
              w.put(key, value);
              staged.remove(key);
            } else if (!w.containsKey(key + 100)) {
              trace.append(step).append(": SQL rekey ").append(b).append(' ').append(key).append('\n');
              sql(pool, "update " + relation + " set id = id + 100 where id = " + key);
              w.put(key + 100, w.remove(key));
              staged.remove(key);
              staged.remove(key + 100);
            }
          }
        }
      } else if (op < 60) {
        // a commit of the staged changes, or of all of them
        commit(repo, model, b, random.nextBoolean(), step, trace);
      } else if (op < 66) {
        boolean stage = random.nextBoolean();
        trace.append(step).append(stage ? ": stage " : ": unstage ").append(b).append('\n');
        Api.json().urlEncodingEnabled(false).body(Map.of())
            .post("/api/v1/repositories/" + repo + "/branches/" + b + (stage ? "/stage" : "/unstage")).then()
            .statusCode(200);
        staged.clear();
        if (stage) {
          staged.addAll(w.keySet());
          staged.addAll(model.committed.get(b).keySet());
        }
      } else if (op < 72) {
        trace.append(step).append(": discard ").append(b).append('\n');
        Api.json().urlEncodingEnabled(false).body(Map.of())
            .delete("/api/v1/repositories/" + repo + "/branches/" + b + "/working").then().statusCode(204);
        model.working.put(b, new TreeMap<>(model.committed.get(b)));
        staged.clear();
      } else if (op < 80 && model.working.size() < 5) {
        boolean fromOld = random.nextBoolean();
        createBranch(repo, model, fromOld ? model.commitOrder.get(random.nextInt(model.commitOrder.size())) : b,
            fromOld, step, trace);
      } else if (op < 84) {
        // reads at an old commit, through the API and the query endpoint
        String commit = model.commitOrder.get(random.nextInt(model.commitOrder.size()));
        trace.append(step).append(": read commit ").append(commit, 0, 8).append('\n');
        assertThat(read(repo, commit, false)).as("rows at commit " + commit).isEqualTo(model.commits.get(commit));
        assertThat(columnsRead(repo, commit, false)).as("columns at commit " + commit)
            .isIn(null, model.shownAt(commit, model.columnsAt(model.readBase(commit), commit)));
        assertThat(queried(repo, commit, false)).as("query at " + commit).isEqualTo(model.commits.get(commit));
      } else if (op < 87 && !b.equals("main")) {
        trace.append(step).append(": delete branch ").append(b).append('\n');
        given().delete("/api/v1/repositories/{r}/branches/{b}?force=true", repo, b).then().statusCode(204);
        model.working.remove(b);
        model.committed.remove(b);
        model.staged.remove(b);
        model.heads.remove(b);
        model.stashes.remove(b);
        model.columns.remove(b);
        model.added.remove(b);
        model.droppedOwn.remove(b);
        model.renamed.remove(b);
      } else if (op < 91) {
        merge(repo, model, b, random, step, trace);
      } else if (op < 92) {
        reset(repo, model, b, random, step, trace);
      } else if (op < 94) {
        applyCommit(repo, model, b, random, step, trace);
      } else if (op < 96) {
        rebase(repo, model, b, random, step, trace);
      } else if (op < 97 && model.tableColumns < 3) {
        addColumn(repo, t, model, step, trace);
      } else {
        stash(repo, model, b, random, step, trace);
      }
      model.working.keySet().forEach(model::refreshFrom);
      // after every step: one random branch, working and committed, through the API and SQL
      String check = new ArrayList<>(model.working.keySet()).get(random.nextInt(model.working.size()));
      assertThat(read(repo, check, true)).as("working state of " + check + " after step " + step)
          .isEqualTo(model.working.get(check));
      assertThat(read(repo, check, false)).as("head of " + check + " after step " + step)
          .isEqualTo(model.committed.get(check));
      assertThat(status(repo, check)).as("status of " + check + " (staged, unstaged) after step " + step)
          .isEqualTo(model.status(check));
      if (!check.equals("main")) { // a shape changed since the head is a working change
        assertThat(shapeChanged(repo, check)).as("shape of " + check + " changed since its head, after step " + step)
            .isEqualTo(model.shapeChangedSinceHead(check));
      }
      assertThat(columnsRead(repo, check, true)).as("columns of " + check + " after step " + step)
          .isIn(null, model.shownOn(check, model.columns.get(check)));
      assertThat(columnsRead(repo, check, false)).as("columns of " + check + "'s head after step " + step)
          .isIn(null, model.shownOn(check, model.columnsAt(check, model.heads.get(check))));
      assertThat(wideRead(repo, check)).as("bigint columns of " + check + " after step " + step)
          .isEqualTo(model.wideOn(check));
      // and one key through the query endpoint, at the head or working state (the query views)
      boolean live = random.nextBoolean();
      int probe = 1 + random.nextInt(KEYS);
      TreeMap<Integer, Integer> expected = new TreeMap<>();
      Integer stored = (live ? model.working : model.committed).get(check).get(probe);
      if (stored != null) {
        expected.put(probe, stored);
      }
      assertThat(queried(repo, check, live, "select id, v from m where id = " + probe))
          .as("query of key " + probe + " on " + check + (live ? " (working)" : "") + " after step " + step)
          .isEqualTo(expected);
    }
    // at the end: every branch (API, SQL view, query endpoint) and every commit
    for (String b : model.working.keySet()) {
      assertThat(read(repo, b, true)).as("working " + b).isEqualTo(model.working.get(b));
      assertThat(read(repo, b, false)).as("head " + b).isEqualTo(model.committed.get(b));
      assertThat(viaSql(Api.view(repo, b, "m"))).as("SQL " + b).isEqualTo(model.working.get(b));
      assertThat(columnsRead(repo, b, true)).as("columns of " + b).isIn(null, model.shownOn(b, model.columns.get(b)));
      assertThat(wideRead(repo, b)).as("bigint columns of " + b).isEqualTo(model.wideOn(b));
      assertThat(queried(repo, b, true)).as("query working " + b).isEqualTo(model.working.get(b));
      assertThat(queried(repo, b, false)).as("query head " + b).isEqualTo(model.committed.get(b));
    }
    for (String c : model.commitOrder) {
      assertThat(read(repo, c, false)).as("commit " + c).isEqualTo(model.commits.get(c));
    }
    // replay: the projections rebuilt from the log equal the live ones (merges in progress included)
    Map<String, String> live = Api.digest();
    given().post("/api/v1/admin/projections/rebuild").then().statusCode(200);
    assertThat(Api.digest()).as("projections rebuilt from the log").isEqualTo(live);
  }

  /**
   * Merges a random ref (another branch, or an old commit) into {@code target} with a random strategy
   * and fast-forward mode, and checks the result against the reference three-way merge.
   */
  private void merge(String repo, Model model, String target, Random random, int step, StringBuilder trace)
      throws Exception {
    merge(repo, model, target, random, step, trace, null);
  }

  /** {@link #merge}, of {@code forced} when given (else a random source). */
  private void merge(String repo, Model model, String target, Random random, int step, StringBuilder trace,
      String forced) throws Exception {
    Model.Shape shapeBefore = model.shapeOf(target);
    List<String> others = new ArrayList<>(model.heads.keySet());
    String source = forced != null ? forced : random.nextInt(4) == 0 || others.size() < 2
        ? model.commitOrder.get(random.nextInt(model.commitOrder.size()))
        : others.get(random.nextInt(others.size()));
    String theirsCommit = model.heads.getOrDefault(source, source);
    String strategy = List.of("three_way", "three_way", "ours", "theirs").get(random.nextInt(4));
    String fastForward = List.of("auto", "auto", "never").get(random.nextInt(3));
    trace.append(step).append(": merge ").append(source.length() == 64 ? source.substring(0, 8) : source)
        .append(" into ").append(target).append(' ').append(strategy).append(' ').append(fastForward).append('\n');
    String path = "/api/v1/repositories/" + repo + "/branches/" + target + "/merge";
    var response = Api.json().urlEncodingEnabled(false)
        .body(Map.of("source", source, "strategy", strategy, "fast_forward", fastForward)).post(path).then()
        .extract();
    if (source.equals(target)) {
      assertThat(response.statusCode()).isEqualTo(422);
      return;
    }
    // the types of the columns added through Strata merge three ways first (SchemaMerges, against the server's
    // merge base): a conflict refuses the merge (409), so does a redefinition the target cannot take (422),
    // nothing changed; else the target's columns the source altered are altered the same way
    // a branch merges in the shape its head commit records, as its rows: its uncommitted shape changes stay its
    // own; the default branch's shape is its table's, read as it is (its rows fit as its state has them: ColumnFit)
    boolean live = source.equals("main");
    String shaped = live ? source : null;
    Map<String, String> alters = Map.of();
    if (!live || !model.added.get(target).isEmpty() || !model.added.get(source).isEmpty()) {
      String typeBase = model.serverBase(model.heads.get(target), theirsCommit);
      if (typeBase != null) {
        Set<String> considered = new TreeSet<>(model.added.get(target));
        considered.addAll(live ? model.added.get(source) : model.commitAdded.getOrDefault(theirsCommit, List.of()));
        considered.addAll(model.commitAdded.getOrDefault(typeBase, List.of()));
        Object typed = model.typeMerge(considered, c -> model.typeAt(typeBase, c), c -> model.typeOn(target, c),
            c -> live ? model.typeOn(source, c) : model.typeAt(theirsCommit, c), target);
        if (!(typed instanceof Map)) {
          assertThat(response.statusCode()).as(typed + ": " + response.body().asString())
              .isEqualTo(typed.equals("conflict") ? 409 : 422);
          if (typed.equals("conflict")) {
            assertThat((String) response.path("error")).isEqualTo("SchemaConflict");
          }
          typeRefusals++;
          return;
        }
        alters = (Map<String, String>) typed;
      }
    }
    // a live branch's added columns reach the target first: the default branch's table gains them (the
    // merge then makes a merge commit, whether or not the table had them already), another branch adds
    // them, unless the table has a column of one's name that the branch does not read (422, nothing changed)
    boolean promoted = false;
    List<String> brought = source.equals(target) ? List.of()
        : model.brought(shaped, theirsCommit, target, model.lowestCommonAncestors(model.heads.get(target), theirsCommit));
    Runnable refused = model.columnsAsNow();
    int promotionsBefore = promotions;
    {
      List<String> pending = brought.stream().filter(c -> !model.columns.get(target).contains(c)).toList();
      promoted = target.equals("main") && !brought.isEmpty();
      // columns the source dropped leave the target first (another branch), then it gains those it added
      alterColumns(model, target, alters);
      dropColumns(model, target, model.dropping(shaped, theirsCommit, target,
          model.lowestCommonAncestors(model.heads.get(target), theirsCommit)));
      if (!giveColumns(model, target, pending, live ? model.wide.get(source)
          : model.commitWide.getOrDefault(theirsCommit, Set.of()), response)) {
        refused.run();
        return;
      }
      // then the names the source gave columns since the base
      String renameBase = model.serverBase(model.heads.get(target), theirsCommit);
      if (renameBase != null) {
        Map<String, String> baseNames = model.commitRenamed.getOrDefault(renameBase, Map.of());
        // the default branch never renames: a source on it shows the base's names
        if (model.mergeRenames(target, baseNames, live ? (source.equals("main") ? baseNames : model.renamed.get(source))
            : model.onMain(theirsCommit) ? baseNames : model.commitRenamed.getOrDefault(theirsCommit, Map.of()))) {
          renamesCarried++;
        }
      }
    }
    // the table's columns the target kept out that the source reads: taken first, once the rehearsal (which lets
    // them through) found nothing to refuse; kept when the rows then stop at conflicts
    List<String> taken = model.takes(target, source, theirsCommit, model.serverBase(model.heads.get(target),
        theirsCommit));
    if (!taken.isEmpty()) {
      trace.append(step).append(":   takes ").append(taken).append('\n');
      model.take(target, taken);
    }
    boolean clean = model.working.get(target).equals(model.committed.get(target));
    String schemaBase = model.serverBase(model.heads.get(target), theirsCommit);
    List<String> settledDrops = model.settledDrops(target, schemaBase,
        c -> live ? model.columns.get(source).contains(c) : model.hadAt(theirsCommit, c));
    if (!model.fits(target, source, theirsCommit, true, !model.columns.containsKey(source), settledDrops)
        && !(!clean && "WorkingChangesPresent".equals(response.path("error")))) { // the rehearsal may see those first
      assertThat(response.statusCode()).as("rows of other columns: " + response.body().asString()).isEqualTo(422);
      assertThat((String) response.path("message")).contains("columns");
      columnRefusals++;
      refused.run(); // rehearsed before the columns were given: nothing changed
      promotions = promotionsBefore;
      return;
    }
    TreeMap<Integer, Integer> w = model.working.get(target);
    TreeMap<Integer, Integer> head = model.committed.get(target);
    String ours = model.heads.get(target);
    Set<String> bases = model.lowestCommonAncestors(ours, theirsCommit);
    boolean upToDate = bases.contains(theirsCommit);
    // a commit whose branch dropped a column of the table reaches main in a merge commit
    boolean narrows = target.equals("main") && model.commitDroppedOwn.getOrDefault(theirsCommit, List.of()).stream()
        .anyMatch(model.table::contains);
    boolean ff = !upToDate && bases.contains(ours) && !fastForward.equals("never") && !promoted && !narrows;
    TreeMap<Integer, Integer> theirs = model.commits.get(theirsCommit);
    if (response.statusCode() == 409 && "WorkingChangesPresent".equals(response.path("error"))) {
      // working changes of the table refuse a merge that writes it, before it gives any columns
      assertThat(clean).as("refused for working changes").isFalse();
      refused.run();
      promotions = promotionsBefore;
      return;
    }
    if (!taken.isEmpty()) {
      columnsTaken++;
    }
    if (upToDate) {
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat((Boolean) response.path("up_to_date")).isTrue();
      return;
    }
    String base = response.statusCode() == 409 ? response.path("details.merge.merge_base") : response.path("merge_base");
    assertThat(bases).as("the server's merge base is a lowest common ancestor").contains(base);
    if (!clean) { // went ahead over working changes: the source changed nothing in the table since the base
      assertThat(theirs).as("a merge over working changes writes nothing").isEqualTo(model.commits.get(base));
    }
    if (ff) {
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat((Boolean) response.path("fast_forward")).isTrue();
      model.heads.put(target, theirsCommit);
      model.committed.put(target, new TreeMap<>(theirs));
      if (clean) {
        model.working.put(target, new TreeMap<>(theirs));
      }
      return;
    }
    Reference reference = Reference.of(model.commits.get(base), head, theirs, strategy);
    TreeMap<Integer, Integer> merged = reference.merged();
    TreeMap<Integer, Integer> takingTheirs = reference.takingTheirs();
    int conflicts = reference.conflicts();
    if (strategy.equals("three_way") && conflicts > 0) {
      assertThat(response.statusCode()).as("conflicts stop a three_way merge").isEqualTo(409);
      assertThat((Integer) response.path("details.conflicts")).isEqualTo(conflicts);
      assertThat(read(repo, target, true)).as("the merged rows, ours in conflicts").isEqualTo(merged);
      String m = "/api/v1/repositories/" + repo + "/branches/" + target + "/merge";
      if (random.nextInt(3) == 0) {
        trace.append(step).append(":   abort\n");
        Api.json().urlEncodingEnabled(false).post(m + "/abort").then().statusCode(204);
        assertThat(read(repo, target, true)).as("abort restores").isEqualTo(head);
        return;
      }
      boolean takeTheirs = random.nextBoolean();
      trace.append(step).append(":   resolve ").append(takeTheirs ? "theirs" : "ours").append(", continue\n");
      Api.json().urlEncodingEnabled(false).body(Map.of("take", takeTheirs ? "theirs" : "ours"))
          .post(m + "/resolutions").then().statusCode(200);
      String id = Api.json().urlEncodingEnabled(false).body(Map.of()).post(m + "/continue").then().statusCode(201)
          .extract().path("id");
      concludeMerge(model, target, id, theirsCommit, takeTheirs ? takingTheirs : merged, true, true);
      return;
    }
    assertThat(response.statusCode()).as("a merge that commits").isEqualTo(200);
    assertThat((Integer) response.path("conflicts")).isEqualTo(conflicts);
    // its commit records the table's shape if it wrote its rows or changed its shape (else the head's record, kept)
    concludeMerge(model, target, response.path("commit"), theirsCommit, merged, clean,
        !merged.equals(head) || !model.shapeOf(target).equals(shapeBefore));
  }

  /**
   * The reference three-way merge of the model's states: conflicts keep ours unless the strategy
   * settles them ({@code merged}); {@code takingTheirs}: every conflict resolved to theirs.
   */
  private record Reference(TreeMap<Integer, Integer> merged, TreeMap<Integer, Integer> takingTheirs, int conflicts) {
    static Reference of(TreeMap<Integer, Integer> base, TreeMap<Integer, Integer> ours,
        TreeMap<Integer, Integer> theirs, String strategy) {
      TreeMap<Integer, Integer> merged = new TreeMap<>(ours);
      TreeMap<Integer, Integer> takingTheirs = new TreeMap<>(ours);
      int conflicts = 0;
      Set<Integer> keys = new TreeSet<>(base.keySet());
      keys.addAll(ours.keySet());
      keys.addAll(theirs.keySet());
      for (int k : keys) {
        Integer o = ours.get(k);
        Integer t = theirs.get(k);
        Integer a = base.get(k);
        Integer result;
        boolean conflict = false;
        if (Objects.equals(o, t) || Objects.equals(t, a)) {
          result = o;
        } else if (Objects.equals(o, a)) {
          result = t;
        } else {
          conflict = true;
          result = o;
          conflicts++;
        }
        put(merged, k, strategy.equals("theirs") && conflict ? t : result);
        put(takingTheirs, k, conflict ? t : result);
      }
      return new Reference(merged, takingTheirs, conflicts);
    }
  }

  /**
   * Resets {@code target} to a random commit, hard (head, working state, working changes) or soft (the
   * head only; the difference staged), and checks the branch against the model.
   */
  private void reset(String repo, Model model, String target, Random random, int step, StringBuilder trace) {
    String to = model.commitOrder.get(random.nextInt(model.commitOrder.size()));
    reset(repo, model, target, to, random.nextBoolean(), step, trace);
  }

  private void reset(String repo, Model model, String target, String to, boolean hard, int step,
      StringBuilder trace) {
    trace.append(step).append(": reset ").append(hard ? "hard " : "soft ").append(target).append(" to ")
        .append(to, 0, 8).append('\n');
    var response = Api.json().urlEncodingEnabled(false).body(Map.of("to", to, "mode", hard ? "hard" : "soft"))
        .post("/api/v1/repositories/" + repo + "/branches/" + target + "/reset").then().extract();
    if (!model.fits(target, null, to, false)) {
      assertThat(response.statusCode()).as("a commit of other columns: " + response.body().asString()).isEqualTo(422);
      columnRefusals++;
      return;
    }
    // a hard reset of a branch gives it the columns it had added at that commit: those added since are
    // dropped (unless the table has them now), those dropped since added back, unless the table or the
    // branch has that name now (422)
    List<String> current = model.added.getOrDefault(target, List.of());
    List<String> wanted = model.commitAdded.getOrDefault(to, List.of());
    List<String> dropped = current.stream().filter(c -> !wanted.contains(c) && !model.table.contains(c)).toList();
    List<String> adds = wanted.stream().filter(c -> !current.contains(c)).toList();
    if (hard && !target.equals("main") && adds.stream().anyMatch(c -> model.table.contains(c)
        || model.columns.get(target).contains(c) && !dropped.contains(c))) {
      assertThat(response.statusCode()).as("a column taken: " + response.body().asString()).isEqualTo(422);
      columnRefusals++;
      return;
    }
    assertThat(response.statusCode()).as("reset: " + response.body().asString()).isEqualTo(200);
    resets++;
    if (hard && !target.equals("main")) {
      if (!dropped.isEmpty() || !adds.isEmpty()) {
        schemaResets++;
      }
      model.shapeToCommit(target, to);
    }
    TreeMap<Integer, Integer> oldHead = model.committed.get(target);
    TreeMap<Integer, Integer> next = model.commits.get(to);
    model.heads.put(target, to);
    model.committed.put(target, new TreeMap<>(next));
    if (hard) {
      model.working.put(target, new TreeMap<>(next));
      model.staged.get(target).clear();
    } else { // every key that differs between the two heads is staged
      Set<Integer> keys = new TreeSet<>(oldHead.keySet());
      keys.addAll(next.keySet());
      keys.stream().filter(k -> !Objects.equals(oldHead.get(k), next.get(k))).forEach(model.staged.get(target)::add);
    }
  }

  /** Columns of branch {@code target} a merge, revert or cherry-pick redefines (the source altered them) go first. */
  private void alterColumns(Model model, String target, Map<String, String> alters) {
    alters.forEach((c, type) -> {
      if (type.equals("bigint")) {
        model.wide.get(target).add(c);
      } else {
        model.wide.get(target).remove(c);
      }
    });
    carriedAlters += alters.size();
  }

  /** Columns a merge, revert or cherry-pick drops from branch {@code target} (its source dropped them) go first. */
  private void dropColumns(Model model, String target, List<String> columns) {
    if (!columns.isEmpty()) {
      columns.stream().filter(c -> model.table.contains(c) && !model.added.get(target).contains(c))
          .forEach(model.droppedOwn.get(target)::add);
      model.columns.get(target).removeAll(columns);
      model.added.get(target).removeAll(columns);
      model.wide.get(target).removeAll(columns);
      model.renamed.get(target).keySet().removeAll(columns);
      carriedDrops++;
    }
  }

  /**
   * Columns a merge, revert or cherry-pick brings reach {@code target} before its rows: the default
   * branch's table gains them, another branch adds them, unless the table has a column of one's name that
   * the branch does not read (422, nothing changed: false, the operation is over).
   */
  private boolean giveColumns(Model model, String target, List<String> columns, Set<String> wideAtSource,
      io.restassured.response.ExtractableResponse<io.restassured.response.Response> response) {
    if (!columns.isEmpty() && target.equals("main")) {
      columns.stream().filter(wideAtSource::contains).forEach(model.tableWide::add);
      model.table.addAll(columns);
      model.columns.put("main", new ArrayList<>(model.table));
      promotions++;
    } else if (columns.stream().anyMatch(model.table::contains)) {
      assertThat(response.statusCode()).as("a column the table has: " + response.body().asString()).isEqualTo(422);
      columnRefusals++;
      return false;
    } else if (!columns.isEmpty()) {
      model.columns.get(target).addAll(columns);
      model.added.get(target).addAll(columns);
      columns.stream().filter(wideAtSource::contains).forEach(model.wide.get(target)::add);
    }
    return true;
  }

  /**
   * Reverts a random commit of {@code target}'s history, or cherry-picks a random commit, with a random
   * strategy (a merge commit with a random mainline), and checks the result against the reference
   * three-way application: base the commit (a cherry-pick: its parent), theirs its parent (the commit).
   */
  private void applyCommit(String repo, Model model, String target, Random random, int step, StringBuilder trace)
      throws Exception {
    Model.Shape shapeBefore = model.shapeOf(target);
    boolean revert = random.nextBoolean();
    List<String> candidates = revert ? new ArrayList<>(model.ancestors(model.heads.get(target)))
        : new ArrayList<>(model.commitOrder);
    // the model's first commit (the table's tracking) has a parent the model does not hold: left out
    candidates.remove(model.commitOrder.get(0));
    if (candidates.isEmpty()) {
      return;
    }
    String commit = candidates.get(random.nextInt(candidates.size()));
    List<String> parents = model.parents.getOrDefault(commit, List.of());
    Integer mainline = parents.size() > 1 ? 1 + random.nextInt(2) : null;
    String strategy = List.of("three_way", "three_way", "ours", "theirs").get(random.nextInt(4));
    trace.append(step).append(revert ? ": revert " : ": cherry-pick ").append(commit, 0, 8).append(" on ")
        .append(target).append(' ').append(strategy).append(mainline == null ? "" : " mainline " + mainline).append('\n');
    Map<String, Object> body = new HashMap<>(Map.of("commit", commit, "strategy", strategy));
    if (mainline != null) {
      body.put("mainline", mainline);
    }
    // every other step allows an empty commit (no random draw: the seeds' sequences stay as they were)
    boolean allowEmpty = step % 2 == 0;
    if (allowEmpty) {
      body.put("allow_empty", true);
    }
    String path = "/api/v1/repositories/" + repo + "/branches/" + target;
    var response = Api.json().urlEncodingEnabled(false).body(body).post(path + (revert ? "/revert" : "/cherry-pick"))
        .then().extract();
    // the change's columns first (the server's schema merge): those its side added since its base reach the
    // target, whatever follows (the default branch's table gains them; another branch adds them, unless the
    // table has a column of one's name that it does not read: 422, nothing changed)
    String parent = parents.get(mainline == null ? 0 : mainline - 1);
    String changeBase = revert ? commit : parent;
    String changeTheirs = revert ? parent : commit;
    // the types first, as a merge's (the change from its base to its theirs applied to the target's columns)
    Set<String> considered = new TreeSet<>(model.added.get(target));
    considered.addAll(model.commitAdded.getOrDefault(changeTheirs, List.of()));
    considered.addAll(model.commitAdded.getOrDefault(changeBase, List.of()));
    Object typed = model.typeMerge(considered, c -> model.typeAt(changeBase, c), c -> model.typeOn(target, c),
        c -> model.typeAt(changeTheirs, c), target);
    if (!(typed instanceof Map)) {
      assertThat(response.statusCode()).as(typed + ": " + response.body().asString())
          .isEqualTo(typed.equals("conflict") ? 409 : 422);
      typeRefusals++;
      return;
    }
    List<String> adds = model.commitAdded.getOrDefault(revert ? parent : commit, List.of()).stream()
        .filter(c -> !model.columns.get(target).contains(c) && !model.hadAt(changeBase, c)).toList();
    // and those its side dropped leave another branch that added them (a revert of the commit that added one)
    List<String> drops = target.equals("main") ? List.of() : new ArrayList<>(model.added.get(target).stream()
        .filter(c -> model.hadAt(changeBase, c) && !model.hadAt(revert ? parent : commit, c)).toList());
    if (!target.equals("main")) { // and the table's own its side dropped on its branch
      model.table.stream().filter(c -> model.columns.get(target).contains(c) && !model.added.get(target).contains(c)
          && model.hadAt(changeBase, c) && model.commitDroppedOwn.getOrDefault(changeTheirs, List.of()).contains(c))
          .forEach(drops::add);
    }
    List<String> settledDrops = model.settledDrops(target, changeBase, c -> model.hadAt(changeTheirs, c));
    Runnable refused = model.columnsAsNow();
    int promotionsBefore = promotions;
    alterColumns(model, target, (Map<String, String>) typed);
    dropColumns(model, target, drops);
    if (!giveColumns(model, target, adds, model.commitWide.getOrDefault(changeTheirs, Set.of()), response)) {
      refused.run();
      return;
    }
    Map<String, String> changeBaseNames = model.commitRenamed.getOrDefault(changeBase, Map.of());
    boolean renamedNow = model.mergeRenames(target, changeBaseNames, model.onMain(changeTheirs) ? changeBaseNames
        : model.commitRenamed.getOrDefault(changeTheirs, Map.of()));
    if (renamedNow) {
      renamesCarried++;
    }
    // a cherry-pick takes the table's columns the target kept out that the picked commit reads, as a merge does
    List<String> taken = revert ? List.of() : model.takes(target, commit, commit, changeBase);
    if (!taken.isEmpty()) {
      trace.append(step).append(":   takes ").append(taken).append('\n');
      model.take(target, taken);
    }
    TreeMap<Integer, Integer> w = model.working.get(target);
    TreeMap<Integer, Integer> head = model.committed.get(target);
    boolean clean = w.equals(head);
    if (!model.fits(target, null, commit, false, true, settledDrops)
        && !(!clean && "WorkingChangesPresent".equals(response.path("error")))) { // the rehearsal may see those first
      assertThat(response.statusCode()).as("a commit of other columns: " + response.body().asString()).isEqualTo(422);
      columnRefusals++;
      refused.run(); // rehearsed before the columns were given: nothing changed
      promotions = promotionsBefore;
      return;
    }
    if (response.statusCode() == 409 && "WorkingChangesPresent".equals(response.path("error"))) {
      assertThat(clean).as("refused for working changes").isFalse();
      refused.run();
      promotions = promotionsBefore;
      return;
    }
    if (!taken.isEmpty()) {
      picksTaken++;
    }
    TreeMap<Integer, Integer> atCommit = model.commits.get(commit);
    TreeMap<Integer, Integer> atParent = model.commits.get(parents.get(mainline == null ? 0 : mainline - 1));
    TreeMap<Integer, Integer> base = revert ? atCommit : atParent;
    TreeMap<Integer, Integer> theirs = revert ? atParent : atCommit;
    if (!clean) { // went ahead over working changes: the commit changed nothing in the table
      assertThat(theirs).as("an application over working changes writes nothing").isEqualTo(base);
    }
    Reference reference = Reference.of(base, head, theirs, strategy);
    String id;
    boolean continued = false;
    TreeMap<Integer, Integer> result = reference.merged();
    if (strategy.equals("three_way") && reference.conflicts() > 0) {
      assertThat(response.statusCode()).as("conflicts stop it").isEqualTo(409);
      assertThat((Integer) response.path("details.conflicts")).isEqualTo(reference.conflicts());
      assertThat(read(repo, target, true)).as("the applied rows, ours in conflicts").isEqualTo(result);
      if (random.nextInt(3) == 0) {
        trace.append(step).append(":   abort\n");
        Api.json().urlEncodingEnabled(false).post(path + "/merge/abort").then().statusCode(204);
        assertThat(read(repo, target, true)).as("abort restores").isEqualTo(head);
        return;
      }
      boolean takeTheirs = random.nextBoolean();
      trace.append(step).append(":   resolve ").append(takeTheirs ? "theirs" : "ours").append(", continue\n");
      Api.json().urlEncodingEnabled(false).body(Map.of("take", takeTheirs ? "theirs" : "ours"))
          .post(path + "/merge/resolutions").then().statusCode(200);
      id = Api.json().urlEncodingEnabled(false).body(Map.of()).post(path + "/merge/continue").then().statusCode(201)
          .extract().path("id");
      result = takeTheirs ? reference.takingTheirs() : reference.merged();
      continued = true;
    } else if (result.equals(head) && !allowEmpty && adds.isEmpty() && drops.isEmpty() && !renamedNow
        && ((Map<?, ?>) typed).isEmpty() && taken.isEmpty()) { // columns changed (renamed, taken): not empty
      assertThat(response.statusCode()).as(revert ? "a revert that changes nothing" : "a cherry-pick that changes"
          + " nothing").isEqualTo(422);
      assertThat((String) response.path("details.field")).isEqualTo("allow_empty");
      assertThat(read(repo, target, true)).as("refused: nothing changed").isEqualTo(w);
      return;
    } else {
      assertThat(response.statusCode()).as((revert ? "a revert that commits" : "a cherry-pick that commits") + ": " + response.body().asString())
          .isEqualTo(201);
      id = response.path("commit.id");
    }
    assertThat((List<String>) given().get(path.replaceFirst("/branches/.*", "") + "/commits/" + id).then()
        .statusCode(200).extract().path("parents")).as("one parent").containsExactly(model.heads.get(target));
    appliedCommits++;
    // it records the table's shape if it wrote its rows or changed its shape (a continue takes the table: it wrote it)
    model.recordCommit(target, id, List.of(model.heads.get(target)), continued || !result.equals(head)
        || !model.shapeOf(target).equals(shapeBefore));
    model.committed.put(target, new TreeMap<>(result));
    if (clean) {
      model.working.put(target, new TreeMap<>(result));
      model.staged.get(target).clear();
    }
    model.commits.put(id, new TreeMap<>(result));
    model.commitOrder.add(id);
  }

  /**
   * Stashes {@code target}'s working changes, or applies, pops or drops one of its stashes (three-way:
   * base the head it was saved at, theirs the working state saved, ours the head now), against the model.
   */
  @SuppressWarnings("unchecked")
  private void stash(String repo, Model model, String target, Random random, int step, StringBuilder trace)
      throws Exception {
    // half the time, a branch that has stashes to apply
    List<String> stashed = model.stashes.entrySet().stream().filter(e -> !e.getValue().isEmpty()
        && model.working.containsKey(e.getKey())).map(Map.Entry::getKey).sorted().toList();
    if (!stashed.isEmpty() && random.nextBoolean()) {
      target = stashed.get(random.nextInt(stashed.size()));
    }
    List<TreeMap<Integer, Integer>[]> stack = model.stashes.computeIfAbsent(target, b -> new ArrayList<>());
    String path = "/api/v1/repositories/" + repo + "/branches/" + target + "/stash";
    TreeMap<Integer, Integer> w = model.working.get(target);
    TreeMap<Integer, Integer> head = model.committed.get(target);
    if (stack.isEmpty() || random.nextInt(3) == 0) {
      trace.append(step).append(": stash ").append(target).append('\n');
      var response = Api.json().urlEncodingEnabled(false).body(Map.of()).post(path).then().extract();
      // off the default branch, the shape changed since the head goes with the rows: back to the head's
      Model.Shape shapeNow = target.equals("main") ? null : model.shapeOf(target);
      if (shapeNow != null) {
        model.shapeToCommit(target, model.heads.get(target));
      }
      Model.Shape shapeAfter = shapeNow == null ? null : model.shapeOf(target);
      boolean shaped = shapeNow != null && !shapeNow.equals(shapeAfter);
      if (w.equals(head) && !shaped) {
        // changed and changed back is nothing to stash, unless a key's log entry stayed: either answer
        assertThat(response.statusCode()).isIn(201, 422);
        if (response.statusCode() == 422) {
          return;
        }
      } else {
        assertThat(response.statusCode()).as("stash: " + response.body().asString()).isEqualTo(201);
      }
      assertThat((List<?>) response.path("schema_tables")).as("the stash holds the shape: " + shapeNow + " -> "
          + shapeAfter).isEqualTo(shaped ? List.of("m") : List.of());
      TreeMap<Integer, Integer>[] entry = new TreeMap[] {new TreeMap<>(head), new TreeMap<>(w)};
      stack.add(0, entry);
      if (shaped) {
        trace.append(step).append(":   with its shape ").append(shapeNow).append('\n');
        model.stashShapes.put(entry, new Model.Shape[] {shapeNow, shapeAfter});
        model.stashHeads.put(entry, model.heads.get(target));
        stashedShapes++;
      }
      model.working.put(target, new TreeMap<>(head));
      model.staged.get(target).clear();
      return;
    }
    int n = random.nextInt(stack.size());
    int how = random.nextInt(3);
    if (how < 2 && !w.equals(head) && random.nextInt(3) > 0) { // clear the way first, most of the time
      trace.append(step).append(": discard ").append(target).append('\n');
      Api.json().urlEncodingEnabled(false).body(Map.of())
          .delete("/api/v1/repositories/" + repo + "/branches/" + target + "/working").then().statusCode(204);
      model.working.put(target, new TreeMap<>(head));
      model.staged.get(target).clear();
      w = model.working.get(target);
    }
    String strategy = List.of("three_way", "three_way", "theirs", "ours").get(random.nextInt(4));
    trace.append(step).append(": stash ").append(List.of("apply", "pop", "drop").get(how)).append(' ').append(n)
        .append(" on ").append(target).append(' ').append(strategy).append('\n');
    if (how == 2) {
      given().urlEncodingEnabled(false).delete(path + "/" + n).then().statusCode(204);
      stack.remove(n);
      return;
    }
    var response = Api.json().urlEncodingEnabled(false).body(Map.of("strategy", strategy))
        .post(path + "/" + n + (how == 1 ? "/pop" : "/apply")).then().extract();
    TreeMap<Integer, Integer>[] saved = stack.get(n);
    Model.Shape[] shape = model.stashShapes.get(saved);
    if (shape != null) {
      // its shape is given back only without working changes, and over the shape it put back to
      // (with none in the model, a key's log entry may have stayed: changed and changed back)
      if (!w.equals(head) || response.statusCode() == 409 && "WorkingChangesPresent".equals(response.path("error"))) {
        assertThat(response.statusCode()).as("refused for working changes: " + response.body().asString())
            .isEqualTo(409);
        assertThat((String) response.path("error")).isEqualTo("WorkingChangesPresent");
        return;
      }
      String then = model.stashHeads.get(saved);
      if (!model.meantAt(model.shapeOf(target), then).equals(model.meantAt(shape[1], then))) {
        assertThat(response.statusCode()).as("refused over another shape: " + response.body().asString())
            .isEqualTo(422);
        return;
      }
      if (response.statusCode() == 200) {
        // (the table's columns it took since the stash was saved, it keeps)
        List<String> putBack = shape[1].columns();
        List<String> addedNow = model.added.get(target);
        List<String> takenSince = model.columns.get(target).stream().filter(c -> model.table.contains(c)
            && !putBack.contains(c) && !addedNow.contains(c)).toList();
        model.setShape(target, shape[0]);
        model.take(target, takenSince);
        stashedShapesApplied++;
      }
    }
    if (saved[0].equals(saved[1])) { // nothing net stashed: nothing is written
      assertThat(response.statusCode()).isIn(200, 409);
      if (response.statusCode() == 200 && how == 1) {
        stack.remove(n);
      }
      return;
    }
    if (!w.equals(head)) {
      assertThat(response.statusCode()).as("refused for working changes: " + response.body().asString())
          .isEqualTo(409);
      assertThat((String) response.path("error")).isEqualTo("WorkingChangesPresent");
      return;
    }
    Reference reference = Reference.of(saved[0], head, saved[1], strategy);
    if (strategy.equals("three_way") && reference.conflicts() > 0) {
      assertThat(response.statusCode()).as("conflicts refuse it").isEqualTo(409);
      assertThat((String) response.path("error")).isEqualTo("MergeConflict");
      assertThat(read(repo, target, true)).as("nothing changed").isEqualTo(w);
      return;
    }
    assertThat(response.statusCode()).as("stash applied").isEqualTo(200);
    model.working.put(target, new TreeMap<>(reference.merged()));
    // what the stash wrote comes back unstaged
    Set<Integer> written = new TreeSet<>(reference.merged().keySet());
    written.addAll(head.keySet());
    written.removeIf(k -> Objects.equals(head.get(k), reference.merged().get(k)));
    model.staged.get(target).removeAll(written);
    if (how == 1) {
      stack.remove(n);
    }
    stashesApplied++;
  }

  /**
   * A stash of branch {@code b}, whose shape changed since its head: the shape goes back to the head's with the
   * rows, and the pop gives both back.
   */
  private void stashShapeRoundTrip(String repo, Model model, String b, int step, StringBuilder trace) throws Exception {
    Model.Shape now = model.shapeOf(b);
    model.shapeToCommit(b, model.heads.get(b));
    if (now.equals(model.shapeOf(b))) {
      return;
    }
    trace.append(step).append(": stash ").append(b).append(" with its shape ").append(now).append(", and pop\n");
    assertThat(shapeChanged(repo, b)).as("the branch's shape changed since its head").isTrue();
    String path = "/api/v1/repositories/" + repo + "/branches/" + b + "/stash";
    TreeMap<Integer, Integer> w = new TreeMap<>(model.working.get(b));
    TreeMap<Integer, Integer> head = model.committed.get(b);
    Api.json().urlEncodingEnabled(false).body(Map.of()).post(path).then().statusCode(201)
        .body("schema_tables", org.hamcrest.Matchers.equalTo(List.of("m")));
    assertThat(read(repo, b, true)).as("the stash leaves the head's rows").isEqualTo(head);
    assertThat(columnsRead(repo, b, true)).as("and the head's shape")
        .isIn(null, model.shownOn(b, model.columns.get(b)));
    assertThat(shapeChanged(repo, b)).as("the branch's shape is its head's").isFalse();
    Api.json().urlEncodingEnabled(false).body(Map.of()).post(path + "/0/pop").then().statusCode(200)
        .body("schema_tables", org.hamcrest.Matchers.equalTo(List.of("m")));
    model.setShape(b, now);
    // what the stash wrote comes back unstaged
    Set<Integer> written = new TreeSet<>(w.keySet());
    written.addAll(head.keySet());
    written.removeIf(k -> Objects.equals(head.get(k), w.get(k)));
    model.staged.get(b).removeAll(written);
    assertThat(read(repo, b, true)).as("the pop gives the rows back").isEqualTo(w);
    assertThat(columnsRead(repo, b, true)).as("and the shape").isIn(null, model.shownOn(b, model.columns.get(b)));
    assertThat(shapeChanged(repo, b)).as("the branch's shape changed since its head again").isTrue();
    stashedShapes++;
    stashedShapesApplied++;
  }

  /**
   * Rebases {@code target} onto a random ref, checked against the model's replay of its first-parent
   * commits since the merge base, one reference three-way application each; a conflict stops it, and
   * the abort must put the branch back exactly.
   */
  private void rebase(String repo, Model model, String target, Random random, int step, StringBuilder trace)
      throws Exception {
    List<String> others = new ArrayList<>(model.heads.keySet());
    String onto = random.nextInt(3) == 0 || others.size() < 2
        ? model.commitOrder.get(random.nextInt(model.commitOrder.size()))
        : others.get(random.nextInt(others.size()));
    if (!model.working.get(target).equals(model.committed.get(target)) && random.nextInt(3) > 0) {
      trace.append(step).append(": discard ").append(target).append('\n'); // clear the way first, most of the time
      Api.json().urlEncodingEnabled(false).body(Map.of())
          .delete("/api/v1/repositories/" + repo + "/branches/" + target + "/working").then().statusCode(204);
      model.working.put(target, new TreeMap<>(model.committed.get(target)));
      model.staged.get(target).clear();
    }
    trace.append(step).append(": rebase ").append(target).append(" onto ")
        .append(onto.length() == 64 ? onto.substring(0, 8) : onto).append('\n');
    String path = "/api/v1/repositories/" + repo + "/branches/" + target + "/rebase";
    var response = Api.json().urlEncodingEnabled(false).body(Map.of("onto", onto)).post(path).then().extract();
    if (onto.equals(target)) {
      assertThat(response.statusCode()).isEqualTo(422);
      return;
    }
    String ontoCommit = model.heads.getOrDefault(onto, onto);
    if (!model.fits(target, onto, ontoCommit, false)) {
      assertThat(response.statusCode()).as("onto rows of other columns: " + response.body().asString()).isEqualTo(422);
      columnRefusals++;
      return;
    }
    String head = model.heads.get(target);
    Set<String> ontoHistory = model.ancestors(ontoCommit);
    if (model.ancestors(head).contains(ontoCommit)) {
      assertThat(response.statusCode()).as("up to date").isEqualTo(200);
      return;
    }
    TreeMap<Integer, Integer> w = model.working.get(target);
    if (!w.equals(model.committed.get(target))) {
      assertThat(response.statusCode()).as("refused for working changes").isEqualTo(409);
      assertThat((String) response.path("error")).isEqualTo("WorkingChangesPresent");
      return;
    }
    List<String> replayed = new ArrayList<>();
    for (String c = head; !ontoHistory.contains(c); c = model.parents.get(c).get(0)) {
      replayed.add(0, c);
    }
    TreeMap<Integer, Integer> current = new TreeMap<>(model.commits.get(ontoCommit));
    List<TreeMap<Integer, Integer>> states = new ArrayList<>();
    boolean conflict = false;
    for (String c : replayed) {
      Reference r = Reference.of(model.commits.get(model.parents.get(c).get(0)), current, model.commits.get(c),
          "three_way");
      if (r.conflicts() > 0) {
        conflict = true;
        break;
      }
      current = r.merged();
      states.add(current);
    }
    if (conflict) {
      assertThat(response.statusCode()).as("a conflict stops the rebase").isEqualTo(409);
      trace.append(step).append(":   abort\n");
      Api.json().urlEncodingEnabled(false).body(Map.of()).post(path + "/abort").then().statusCode(204);
      assertThat(Api.head(repo, target)).as("abort puts the head back").isEqualTo(head);
      assertThat(read(repo, target, true)).as("abort puts the rows back").isEqualTo(w);
      rebases++;
      return;
    }
    assertThat(response.statusCode()).as("a rebase that replays: " + response.body().asString()).isEqualTo(200);
    List<Map<String, Object>> log = given().queryParam("ref", target).queryParam("first_parent", true)
        .queryParam("limit", Math.max(1, replayed.size())).urlEncodingEnabled(false)
        .get("/api/v1/repositories/" + repo + "/commits").then().statusCode(200).extract().jsonPath().getList("items");
    String previous = ontoCommit;
    for (int i = 0; i < replayed.size(); i++) {
      String id = (String) log.get(replayed.size() - 1 - i).get("id");
      model.recordCommit(target, id, List.of(previous));
      model.commits.put(id, new TreeMap<>(states.get(i)));
      model.commitOrder.add(id);
      previous = id;
    }
    model.heads.put(target, previous);
    model.committed.put(target, new TreeMap<>(current));
    model.working.put(target, new TreeMap<>(current));
    model.staged.get(target).clear();
    rebases++;
  }

  /**
   * An application adds a column to the table on the default branch ({@code c<n> int default <n>}); once
   * it is recorded, the default branch and branches created afterwards read it, the branches alive keep
   * theirs.
   */
  private void addColumn(String repo, String t, Model model, int step, StringBuilder trace) {
    int n = ++model.tableColumns;
    trace.append(step).append(": add column c").append(n).append('\n');
    sql(pool, "alter table public." + t + " add column c" + n + " int default " + n);
    model.table.add("c" + n);
    model.columns.put("main", new ArrayList<>(model.table));
    columnsAdded++;
    // recorded moments after (until then, commands on the table answer 422 "try again")
    int expected = model.table.size();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> given()
        .get("/api/v1/repositories/{r}/tables/m", repo).then().extract().jsonPath().getList("columns").size()
        == expected);
  }

  /** A column added on branch {@code b} through Strata ({@code x<n> integer default <n>}): zero-copy, its own. */
  /** Creates the next branch from branch {@code from}, or from commit {@code from} when {@code fromOld}. */
  private String createBranch(String repo, Model model, String from, boolean fromOld, int step, StringBuilder trace) {
    String name = "b" + (++model.branchSeq);
    // a column the source added that the table has by now in another type: the branch could not read both
    List<String> sourceAdded = fromOld ? model.commitAdded.getOrDefault(from, List.of()) : model.added.get(from);
    Set<String> sourceWide = fromOld ? model.commitWide.getOrDefault(from, Set.of()) : model.wide.get(from);
    boolean refused = sourceAdded.stream().anyMatch(c -> model.table.contains(c)
        && sourceWide.contains(c) != model.tableWide.contains(c));
    trace.append(step).append(": branch ").append(name).append(" from ").append(from)
        .append(refused ? " (a column in another type than the table's: refused)" : "").append('\n');
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", name, "from", from))
        .statusCode(refused ? 422 : 201);
    if (refused) {
      return null;
    }
    TreeMap<Integer, Integer> start = fromOld ? model.commits.get(from) : model.committed.get(from);
    model.start(name, start);
    model.heads.put(name, fromOld ? from : model.heads.get(from));
    // the columns its source added through Strata come with it (a commit's: its branch's then)
    List<String> inherited = (fromOld ? model.commitAdded.getOrDefault(from, List.of()) : model.added.get(from))
        .stream().filter(c -> !model.table.contains(c)).toList();
    model.columns.get(name).addAll(inherited);
    model.added.get(name).addAll(inherited);
    // and without the table's columns its source dropped
    List<String> dropsFrom = (fromOld ? model.commitDroppedOwn.getOrDefault(from, List.of()) : model.droppedOwn.get(from))
        .stream().filter(model.table::contains).toList();
    model.columns.get(name).removeAll(dropsFrom);
    model.droppedOwn.get(name).addAll(dropsFrom);
    (fromOld ? model.commitWide.getOrDefault(from, Set.of()) : model.wide.get(from)).stream()
        .filter(inherited::contains).forEach(model.wide.get(name)::add);
    // and showing columns under the names its source shows them (a commit's: its branch's then)
    (fromOld ? model.commitRenamed.getOrDefault(from, Map.of()) : model.renamed.get(from)).forEach((c, n) -> {
      if (model.columns.get(name).contains(c)) {
        model.renamed.get(name).put(c, n);
      }
    });
    return name;
  }

  private void addBranchColumn(String repo, Model model, String b, int step, StringBuilder trace) {
    int n = ++model.branchColumns;
    trace.append(step).append(": add column x").append(n).append(" on ").append(b).append('\n');
    Api.json().urlEncodingEnabled(false).body(Map.of("operations", List.of(Map.of("op", "add_column", "name", "x" + n,
            "type", "integer", "default", n))))
        .post("/api/v1/repositories/" + repo + "/branches/" + b + "/tables/m/schema").then().statusCode(200);
    model.columns.get(b).add("x" + n);
    model.added.get(b).add("x" + n);
    branchColumnsAdded++;
  }

  /** A commit of the staged changes of {@code b}, or of all of them; answers its id. */
  private String commit(String repo, Model model, String b, boolean all, int step, StringBuilder trace) {
    trace.append(step).append(": commit ").append(all ? "all " : "staged ").append(b).append('\n');
    String id = Api.json().urlEncodingEnabled(false).body(Map.of("message", "s" + step, "all", all, "allow_empty", true))
        .post("/api/v1/repositories/" + repo + "/branches/" + b + "/commits").then().statusCode(201)
        .extract().path("id");
    // a commit of the staged changes takes the table's shape with its rows: when it commits a row of it
    TreeMap<Integer, Integer> w = model.working.get(b);
    TreeMap<Integer, Integer> head = model.committed.get(b);
    boolean rows = model.staged.get(b).stream().anyMatch(k -> !java.util.Objects.equals(w.get(k), head.get(k)));
    boolean shapes = all || rows || b.equals("main");
    if (!shapes && !model.shapeOf(b).equals(model.shapeAtCommit(model.heads.get(b), b))) {
      shapesLeftWorking++;
    }
    model.recordCommit(b, id, List.of(model.heads.get(b)), shapes);
    model.commits.put(id, model.commit(b, all));
    model.commitOrder.add(id);
    return id;
  }

  /** Column {@code note} of the table dropped on branch {@code b} through Strata: zero-copy, the table keeps it. */
  private void dropOwnColumn(String repo, Model model, String b, int step, StringBuilder trace) {
    trace.append(step).append(": drop column note on ").append(b).append('\n');
    String shown = model.renamed.get(b).getOrDefault("note", "note");
    Api.json().urlEncodingEnabled(false).body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", shown))))
        .post("/api/v1/repositories/" + repo + "/branches/" + b + "/tables/m/schema").then().statusCode(200);
    model.columns.get(b).remove("note");
    model.droppedOwn.get(b).add("note");
    model.renamed.get(b).remove("note");
    ownColumnsDropped++;
  }

  /** Column note shown on branch {@code b} under {@code name} (its own name: shown so again). */
  private void renameNote(String repo, Model model, String b, String name, int step, StringBuilder trace) {
    String from = model.renamed.get(b).getOrDefault("note", "note");
    trace.append(step).append(": rename ").append(from).append(" to ").append(name).append(" on ").append(b)
        .append('\n');
    Api.json().urlEncodingEnabled(false).body(Map.of("operations", List.of(Map.of("op", "rename_column", "name", from,
        "new_name", name)))).post("/api/v1/repositories/" + repo + "/branches/" + b + "/tables/m/schema").then()
        .statusCode(200);
    if (name.equals("note")) {
      model.renamed.get(b).remove("note");
    } else {
      model.renamed.get(b).put("note", name);
    }
    renames++;
  }

  /** The first column branch {@code b} added, dropped again through Strata: the branch no longer reads it. */
  private void dropBranchColumn(String repo, Model model, String b, int step, StringBuilder trace) {
    String name = model.added.get(b).get(0);
    trace.append(step).append(": drop column ").append(name).append(" on ").append(b).append('\n');
    Api.json().urlEncodingEnabled(false).body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", name))))
        .post("/api/v1/repositories/" + repo + "/branches/" + b + "/tables/m/schema").then().statusCode(200);
    model.columns.get(b).remove(name);
    model.added.get(b).remove(name);
    model.wide.get(b).remove(name);
    branchColumnsDropped++;
  }

  /**
   * The first integer column branch {@code b} added that the table does not have, widened to bigint there
   * through Strata ({@code alter_column}).
   */
  private void widenBranchColumn(String repo, Model model, String b, int step, StringBuilder trace) {
    String name = model.added.get(b).stream().filter(c -> !model.wide.get(b).contains(c) && !model.table.contains(c))
        .findFirst().orElseThrow();
    trace.append(step).append(": widen column ").append(name).append(" on ").append(b).append('\n');
    Api.json().urlEncodingEnabled(false).body(Map.of("operations", List.of(Map.of("op", "alter_column", "name", name,
            "type", "bigint"))))
        .post("/api/v1/repositories/" + repo + "/branches/" + b + "/tables/m/schema").then().statusCode(200);
    model.wide.get(b).add(name);
    branchColumnsWidened++;
  }

  /**
   * Each integer column branch {@code b} added that the table does not have converted to bigint with {@code using}:
   * refused (422, nothing changed) for one its head records (committed first when none is), converted for one added
   * since; a column added now when none was, so that one conversion is done.
   */
  private void convertBranchColumns(String repo, Model model, String b, int step, StringBuilder trace) {
    List<String> candidates = new ArrayList<>(model.added.get(b).stream()
        .filter(c -> !model.wide.get(b).contains(c) && !model.table.contains(c)).toList());
    if (candidates.stream().noneMatch(model.commitAdded.getOrDefault(model.heads.get(b), List.of())::contains)) {
      commit(repo, model, b, true, step, trace); // so that one is in the head
    }
    List<String> inHead = model.commitAdded.getOrDefault(model.heads.get(b), List.of());
    if (candidates.stream().allMatch(inHead::contains)) {
      addBranchColumn(repo, model, b, step, trace);
      candidates.add(model.added.get(b).get(model.added.get(b).size() - 1));
    }
    for (String name : candidates) {
      boolean refused = inHead.contains(name);
      trace.append(step).append(": convert column ").append(name).append(" on ").append(b)
          .append(refused ? " (in the head: refused)" : "").append('\n');
      int events = given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo).then()
          .statusCode(200).extract().jsonPath().getList("items").size();
      Api.json().urlEncodingEnabled(false).body(Map.of("operations", List.of(Map.of("op", "alter_column", "name", name,
              "type", "bigint", "using", name + "::bigint + 0"))))
          .post("/api/v1/repositories/" + repo + "/branches/" + b + "/tables/m/schema").then()
          .statusCode(refused ? 422 : 200);
      if (refused) {
        assertThat(given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo).then()
            .statusCode(200).extract().jsonPath().getList("items").size()).isEqualTo(events);
        conversionRefusals++;
      } else {
        model.wide.get(b).add(name);
        conversions++;
      }
    }
    assertThat(wideRead(repo, b)).as("bigint columns of " + b + " after conversions")
        .containsAll(model.wide.get(b).stream().filter(c -> model.columns.get(b).contains(c)).toList());
    // nothing staged: a commit of the staged changes leaves the conversion (a shape change) working
    trace.append(step).append(": unstage ").append(b).append('\n');
    Api.json().urlEncodingEnabled(false).body(Map.of())
        .post("/api/v1/repositories/" + repo + "/branches/" + b + "/unstage").then().statusCode(200);
    model.staged.get(b).clear();
    commit(repo, model, b, false, step, trace);
    assertThat(shapeChanged(repo, b)).as("the conversion on " + b + " stays a working change").isTrue();
  }

  /** The bigint columns of branch {@code b}'s view (the default branch's: the table's). */
  private Set<String> wideRead(String repo, String b) {
    return new TreeSet<>(Api.rows(pool, "select attname from pg_attribute where attrelid = '" + Api.view(repo, b, "m")
        + "'::regclass and attnum > 0 and not attisdropped and atttypid = 'bigint'::regtype"));
  }

  /** The columns of a row read at {@code ref} (null: no row there). */
  private static Set<String> columnsRead(String repo, String ref, boolean working) throws Exception {
    JsonNode page = EventCodec.mapper().readTree(given().queryParam("ref", ref).queryParam("working", working)
        .queryParam("limit", 1).urlEncodingEnabled(false).get("/api/v1/repositories/{r}/tables/m/rows", repo)
        .then().statusCode(200).extract().asString());
    if (page.get("items").isEmpty()) {
      return null;
    }
    Set<String> names = new TreeSet<>();
    page.get("items").get(0).fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static void put(Map<Integer, Integer> state, int key, Integer value) {
    if (value == null) {
      state.remove(key);
    } else {
      state.put(key, value);
    }
  }

  private void concludeMerge(Model model, String target, String id, String theirs,
      TreeMap<Integer, Integer> merged, boolean clean, boolean shapes) {
    mergeCommits++;
    model.recordCommit(target, id, List.of(model.heads.get(target), theirs), shapes);
    model.committed.put(target, new TreeMap<>(merged));
    if (clean) { // else the merge wrote nothing, and the working changes stay as they were
      model.working.put(target, new TreeMap<>(merged));
      model.staged.get(target).clear();
    }
    model.commits.put(id, new TreeMap<>(merged));
    model.commitOrder.add(id);
  }

  /** {inserted, updated, deleted} of the staged and the unstaged changes of table m. */
  /** Whether the branch's status marks table m's shape changed since its head. */
  private static boolean shapeChanged(String repo, String branch) {
    return given().urlEncodingEnabled(false).get("/api/v1/repositories/" + repo + "/branches/" + branch + "/status")
        .then().statusCode(200).extract().jsonPath().getBoolean("tables.find { it.table == 'm' }.schema_changed");
  }

  private static long[][] status(String repo, String branch) throws Exception {
    JsonNode answer = EventCodec.mapper().readTree(given().urlEncodingEnabled(false)
        .get("/api/v1/repositories/" + repo + "/branches/" + branch + "/status").then().statusCode(200).extract().asString());
    long[][] counts = new long[2][3];
    for (JsonNode table : answer.get("tables")) {
      if (table.get("table").asText().equals("m")) {
        int i = 0;
        for (String part : List.of("staged", "unstaged")) {
          int j = 0;
          for (String kind : List.of("inserted", "updated", "deleted")) {
            counts[i][j++] = table.path(part).path(kind).asLong();
          }
          i++;
        }
      }
    }
    return counts;
  }

  private static TreeMap<Integer, Integer> read(String repo, String ref, boolean working) throws Exception {
    TreeMap<Integer, Integer> rows = new TreeMap<>();
    String after = null;
    do {
      var request = given().queryParam("ref", ref).queryParam("working", working).queryParam("limit", 9);
      if (after != null) {
        request.queryParam("after", after);
      }
      JsonNode page = EventCodec.mapper().readTree(request.get("/api/v1/repositories/{r}/tables/m/rows", repo)
          .then().statusCode(200).extract().asString());
      for (JsonNode row : page.get("items")) {
        rows.put(row.get("id").asInt(), row.get("v").asInt());
      }
      after = page.get("next").isNull() ? null : page.get("next").asText();
    } while (after != null);
    return rows;
  }

  private static TreeMap<Integer, Integer> queried(String repo, String ref, boolean working) throws Exception {
    return queried(repo, ref, working, "select id, v from m order by id");
  }

  private static TreeMap<Integer, Integer> queried(String repo, String ref, boolean working, String sql)
      throws Exception {
    JsonNode answer = EventCodec.mapper().readTree(Api.json()
        .body(Map.of("sql", sql, "ref", ref, "working", working))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).extract().asString());
    TreeMap<Integer, Integer> rows = new TreeMap<>();
    for (JsonNode row : answer.get("rows")) {
      rows.put(row.get(0).asInt(), row.get(1).asInt());
    }
    return rows;
  }

  private TreeMap<Integer, Integer> viaSql(String relation) {
    TreeMap<Integer, Integer> rows = new TreeMap<>();
    for (var r : pool.query("select id, v from " + relation).execute().await().atMost(Duration.ofSeconds(10))) {
      rows.put(r.getInteger(0), r.getInteger(1));
    }
    return rows;
  }
}
