package io.strata.server.domain;

import io.strata.events.BranchCreated;
import io.strata.events.BranchDeleted;
import io.strata.events.BranchHeadMoved;
import io.strata.events.MergeAborted;
import io.strata.events.MergeConflictsResolved;
import io.strata.events.MergeStarted;
import io.strata.events.AppliedCommit;
import io.strata.events.RebaseAborted;
import io.strata.events.RebaseFinished;
import io.strata.events.RebaseStarted;
import io.strata.events.RebaseStepSkipped;
import io.strata.events.StashApplied;
import io.strata.events.StashCreated;
import io.strata.events.StashDropped;
import io.strata.events.BranchProtectionChanged;
import io.strata.events.CommitCreated;
import io.strata.events.RepositoryCreated;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StorageAdded;
import io.strata.events.StorageRemoved;
import io.strata.events.StrataEvent;
import io.strata.events.TableChange;
import io.strata.events.TableColumn;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.events.TablePlaced;
import io.strata.events.TableUntracked;
import io.strata.events.TagCreated;
import io.strata.events.TagDeleted;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The authoritative state of one repository's stream, as far as commands need it to decide: its refs,
 * not its commit graph (commits are immutable, so the graph projection answers those questions). It is
 * the left fold of the stream's events ({@link #evolve}); the command processor keeps one per
 * repository, confined to that repository's queue.
 */
public final class RepositoryState {
  private long version;
  private long lastPosition;
  private boolean exists;
  private String name;
  private String description;
  private String defaultBranch;
  private long commitCount;
  private final Map<String, Branch> branches = new HashMap<>();
  private final Map<String, String> tags = new HashMap<>();
  private final Map<String, StorageAdded> storages = new HashMap<>();
  private final Map<String, TableTracked> tables = new HashMap<>();
  /** Per table, the newest DDL command (its id in the table's database) a recorded schema change covers. */
  private final Map<String, Long> ddlRecorded = new HashMap<>();
  /** The shapes live branches give tables, where they differ from the tables' own. */
  private BranchShapes shapes = new BranchShapes();
  private BranchMadeTables madeTables = new BranchMadeTables();
  private final Map<String, Merge> merges = new HashMap<>();
  /** Per branch the rebase in progress. */
  private final Map<String, Rebase> rebases = new HashMap<>();
  /** Per branch its stashes, the newest first. */
  private final Map<String, List<StashCreated>> stashes = new HashMap<>();
  /** The promotion policy in force (null: none was ever set). */
  private io.strata.events.PromotionPolicySet policy;
  private PromotionRequests promotions = new PromotionRequests();
  // The most recent commit, so that a branch created on it (the initial commit) knows its head's time.
  private Instant lastCommitTime;
  private String lastCommitId;

  /** A merge in progress on a branch: the event that began it, and how many conflicts are left. */
  public record Merge(MergeStarted started, long remaining) {}

  /** A rebase in progress: the event that began it, and how many of its commits were replayed or skipped. */
  public record Rebase(RebaseStarted started, int done) {
    /** The next commit to replay, or null when every one is done. */
    public String next() {
      return done < started.commits().size() ? started.commits().get(done) : null;
    }
  }

  /**
   * A branch: its head, the head commit's time (commit times never go backwards), protection, the ref it
   * was created from (null for the default branch) and when it was created (its event's time; null in
   * states folded without times). A branch deleted and created again under its name has another
   * {@code createdAt}: it tells the incarnations apart.
   */
  public record Branch(String head, Instant headTime, boolean isProtected, String from, Instant createdAt) {
    Branch moved(String to, Instant time) {
      return new Branch(to, time, isProtected, from, createdAt);
    }
  }

  private final String streamId;

  /** The state of stream {@code streamId} (named after its repository) at {@code version}. */
  public RepositoryState(String streamId, long version) {
    this.streamId = streamId;
    this.version = version;
  }

  /**
   * A copy that later evolutions of this state leave alone: what a command doing long data work reads
   * while its repository's other commands go on (its decision is taken again, on the live state, when
   * it appends).
   */
  /** The promotion policy in force, as it was set; null when none was ever set. */
  public io.strata.events.PromotionPolicySet policy() {
    return policy;
  }

  /** The promotion requests, as their events left them. */
  public PromotionRequests promotions() {
    return promotions;
  }

  /** The policy as the projections keep it (restoring from a snapshot). */
  public void restorePolicy(io.strata.events.PromotionPolicySet set) {
    policy = set;
  }

  public RepositoryState copy() {
    RepositoryState c = new RepositoryState(streamId, version);
    c.lastPosition = lastPosition;
    c.exists = exists;
    c.name = name;
    c.description = description;
    c.defaultBranch = defaultBranch;
    c.commitCount = commitCount;
    c.branches.putAll(branches);
    c.tags.putAll(tags);
    c.storages.putAll(storages);
    c.tables.putAll(tables);
    c.ddlRecorded.putAll(ddlRecorded);
    c.shapes = shapes.copy();
    c.madeTables = madeTables.copy();
    c.merges.putAll(merges);
    c.rebases.putAll(rebases);
    stashes.forEach((branch, list) -> c.stashes.put(branch, new ArrayList<>(list)));
    c.lastCommitTime = lastCommitTime;
    c.lastCommitId = lastCommitId;
    c.policy = policy;
    c.promotions = promotions.copy();
    return c;
  }

  /** Records the global position of the latest event appended to the stream. */
  public void observed(long position) {
    lastPosition = Math.max(lastPosition, position);
  }

  /** Folds one event into the state, without its time. */
  public void evolve(StrataEvent event, long streamVersion, long position) {
    evolve(event, streamVersion, position, null);
  }

  /** Folds one event, recorded at {@code time}, into the state. */
  public void evolve(StrataEvent event, long streamVersion, long position, Instant time) {
    version = streamVersion;
    lastPosition = Math.max(lastPosition, position);
    madeTables.evolve(event);
    shapes.evolve(event, defaultBranch);
    promotions.evolve(event);
    if (event instanceof RepositoryCreated e) {
      exists = true;
      name = e.name();
      description = e.description();
      defaultBranch = e.defaultBranch();
    } else if (event instanceof RepositoryDeleted) {
      exists = false;
      branches.clear();
      tags.clear();
      storages.clear();
      tables.clear();
      ddlRecorded.clear();
      merges.clear();
      rebases.clear();
      stashes.clear();
      policy = null;
      promotions = new PromotionRequests();
      commitCount = 0;
    } else if (event instanceof io.strata.events.PromotionPolicySet e) {
      policy = e;
    } else if (event instanceof CommitCreated e) {
      commitCount++;
      // the tracked tables' content is the default branch's; other branches' commits carry their own
      for (TableChange c : e.branch() != null && e.branch().equals(defaultBranch) ? e.changes()
          : List.<TableChange>of()) {
        TableTracked t = tables.get(c.table());
        if (t != null) {
          tables.put(c.table(), t.withContent(c.rowCount(), c.rowSum()));
        }
      }
      if (e.branch() != null && e.concludesOperation()) {
        merges.remove(e.branch());
      }
      if (e.branch() != null && e.applied() != null && AppliedCommit.REBASE.equals(e.applied().operation())) {
        rebases.computeIfPresent(e.branch(), (b, r) -> new Rebase(r.started(), r.done() + 1));
      }
      if (e.branch() != null) {
        Branch b = branches.get(e.branch());
        branches.put(e.branch(), b != null ? b.moved(e.id(), e.createdAt())
            : new Branch(e.id(), e.createdAt(), false, null, null));
      }
      lastCommitTime = e.createdAt();
      lastCommitId = e.id();
    } else if (event instanceof BranchCreated e) {
      Instant headTime = e.head().equals(lastCommitId) ? lastCommitTime : null;
      branches.put(e.name(), new Branch(e.head(), headTime, e.isProtected(), e.from(), time));
    } else if (event instanceof BranchDeleted e) {
      branches.remove(e.name());
      merges.remove(e.name());
      stashes.remove(e.name());
      rebases.remove(e.name());
    } else if (event instanceof BranchHeadMoved e) {
      Branch b = branches.get(e.branch());
      branches.put(e.branch(), b != null ? b.moved(e.to(), null) : new Branch(e.to(), null, false, null, null));
      for (BranchHeadMoved.TableContent c : e.branch().equals(defaultBranch) ? e.tables()
          : List.<BranchHeadMoved.TableContent>of()) {
        TableTracked t = tables.get(c.table());
        if (t != null) {
          tables.put(c.table(), t.withContent(c.rowCount(), c.rowSum()));
        }
      }
    } else if (event instanceof RebaseStarted e) {
      rebases.put(e.branch(), new Rebase(e, 0));
    } else if (event instanceof RebaseStepSkipped e) {
      rebases.computeIfPresent(e.branch(), (b, r) -> new Rebase(r.started(), r.done() + 1));
    } else if (event instanceof RebaseFinished e) {
      rebases.remove(e.branch());
    } else if (event instanceof RebaseAborted e) {
      rebases.remove(e.branch());
    } else if (event instanceof StashCreated e) {
      stashes.computeIfAbsent(e.branch(), b -> new ArrayList<>()).add(0, e);
    } else if (event instanceof StashApplied e && e.popped()) {
      dropStash(e.branch(), e.id());
    } else if (event instanceof StashDropped e) {
      dropStash(e.branch(), e.id());
    } else if (event instanceof MergeStarted e) {
      merges.put(e.branch(), new Merge(e, e.conflicts()));
    } else if (event instanceof MergeConflictsResolved e) {
      Merge m = merges.get(e.branch());
      if (m != null) {
        merges.put(e.branch(), new Merge(m.started(), e.remaining()));
      }
    } else if (event instanceof MergeAborted e) {
      merges.remove(e.branch());
    } else if (event instanceof BranchProtectionChanged e) {
      Branch b = branches.get(e.name());
      branches.put(e.name(), new Branch(b.head(), b.headTime(), e.isProtected(), b.from(), b.createdAt()));
    } else if (event instanceof TagCreated e) {
      tags.put(e.name(), e.commit());
    } else if (event instanceof TagDeleted e) {
      tags.remove(e.name());
    } else if (event instanceof StorageAdded e) {
      storages.put(e.name(), e);
    } else if (event instanceof StorageRemoved e) {
      storages.remove(e.name());
    } else if (event instanceof TableTracked e) {
      tables.put(e.name(), e);
      ddlRecorded.remove(e.name());
    } else if (event instanceof TableSchemaChanged e && e.branch().equals(defaultBranch)) {
      tables.computeIfPresent(e.name(), (n, t) -> t.withShape(e.shape()));
      ddlRecorded.put(e.name(), e.ddlThrough());
    } else if (event instanceof TablePlaced e) {
      tables.computeIfPresent(e.name(), (n, t) -> e.shape() == null ? t.placed(e.schema(), e.table())
          : t.placed(e.schema(), e.table()).withShape(e.shape()));
    } else if (event instanceof TableUntracked e) {
      tables.remove(e.name());
      ddlRecorded.remove(e.name());
    }
  }

  private void dropStash(String branch, String id) {
    List<StashCreated> list = stashes.get(branch);
    if (list != null) {
      list.removeIf(s -> s.id().equals(id));
    }
  }

  /** Restores the columns live branches added through Strata: per table, per branch (with {@link #restore}). */
  public void restoreAdded(Map<String, Map<String, List<TableShape.Column>>> added) {
    shapes.restoreAdded(added);
  }

  /** Restores the table's own columns live branches define otherwise: per table, per branch (with {@link #restore}). */
  public void restoreRedefined(Map<String, Map<String, List<TableShape.Column>>> redefined) {
    shapes.restoreRedefined(redefined);
  }

  /** Restores the CHECK constraints live branches added: per table, per branch (with {@link #restore}). */
  public void restoreConstraints(Map<String, Map<String, List<TableShape.Constraint>>> constraints) {
    shapes.restoreRules(constraints);
  }

  /** Restores the columns live branches show under other names: per table, per branch (with {@link #restore}). */
  public void restoreRenamed(Map<String, Map<String, Map<String, String>>> renamed) {
    shapes.restoreRenamed(renamed);
  }

  /** Restores a state from the projections at {@code version} ({@code stashes}: oldest first). */
  public void restore(String name, String description, String defaultBranch, long commitCount,
      Map<String, Branch> branches, Map<String, String> tags, Map<String, StorageAdded> storages,
      Map<String, TableTracked> tables, Map<String, Long> ddlRecorded,
      Map<String, List<TableSchemaChanged.BranchColumns>> branchColumns, Map<String, Merge> merges,
      List<StashCreated> stashes, Map<String, Rebase> rebases, long lastPosition) {
    this.ddlRecorded.putAll(ddlRecorded);
    branchColumns.forEach(shapes::setColumns);
    this.merges.putAll(merges);
    this.rebases.putAll(rebases);
    stashes.forEach(s -> this.stashes.computeIfAbsent(s.branch(), b -> new ArrayList<>()).add(0, s));
    this.storages.putAll(storages);
    this.tables.putAll(tables);
    this.exists = true;
    this.name = name;
    this.description = description;
    this.defaultBranch = defaultBranch;
    this.commitCount = commitCount;
    this.branches.putAll(branches);
    this.tags.putAll(tags);
    this.lastPosition = lastPosition;
  }

  public long version() {
    return version;
  }

  public long lastPosition() {
    return lastPosition;
  }

  public boolean exists() {
    return exists;
  }

  public String name() {
    return name != null ? name : streamId;
  }

  public String description() {
    return description;
  }

  public String defaultBranch() {
    return defaultBranch;
  }

  public long commitCount() {
    return commitCount;
  }

  public Map<String, Branch> branches() {
    return branches;
  }

  public Branch branch(String name) {
    return branches.get(name);
  }

  public Map<String, String> tags() {
    return tags;
  }

  public Map<String, StorageAdded> storages() {
    return storages;
  }

  /** The id of the newest DDL command on {@code table} that a recorded schema change covers (0: none). */
  public long ddlRecordedThrough(String table) {
    return ddlRecorded.getOrDefault(table, 0L);
  }

  public Map<String, TableTracked> tables() {
    return tables;
  }

  /** The tables made on a branch and not yet in the default branch, and the branches that have them. */
  public BranchMadeTables madeTables() {
    return madeTables;
  }

  /** Whether {@code branch} has tracked table {@code table} (every branch has it, unless it is made on branches). */
  public boolean hasTable(String table, String branch) {
    return tables.containsKey(table) && madeTables.has(table, branch);
  }

  /** Restores the tables made on branches (with {@link #restore}). */
  public void restoreMade(Map<String, BranchMadeTables.Made> made) {
    madeTables.restore(made);
  }

  /**
   * The columns {@code branch} reads of {@code table}: its own, when it read the table while the table
   * gained columns (it keeps the ones it had), else the table's.
   */
  public List<TableColumn> columnsOn(String table, String branch) {
    List<TableColumn> own = shapes.columns(table, branch);
    return own != null ? own : tables.get(table).columns();
  }

  /**
   * The columns {@code branch} added to {@code table} through Strata, in order: rows it has not written
   * read each as its constant default. Empty for the default branch and for a branch that added none.
   */
  public List<TableShape.Column> addedOn(String table, String branch) {
    return shapes.added(table, branch);
  }

  /**
   * The columns {@code branch} shows under another name than the one they are stored under: stored name to
   * shown name. Empty for the default branch and a branch that renamed none.
   */
  public Map<String, String> renamedOn(String table, String branch) {
    return shapes.renamed(table, branch);
  }

  /**
   * The table's own columns {@code branch} defines otherwise than the table (NOT NULL set or dropped, a default
   * set or dropped), as it defines them, by stored name. Empty for the default branch.
   */
  public List<TableShape.Column> redefinedOn(String table, String branch) {
    return shapes.redefined(table, branch);
  }

  /**
   * The rules {@code branch} added to {@code table} (not the table's own): CHECK constraints and indexes (kind {@link
   * TableShape#INDEX}); empty for the default branch.
   */
  public List<TableShape.Constraint> constraintsOn(String table, String branch) {
    return shapes.rules(table, branch);
  }

  /** The columns {@code branch} reads of {@code table} ({@link #columnsOn}), named as it shows them. */
  public List<TableColumn> shownColumnsOn(String table, String branch) {
    Map<String, String> renamed = renamedOn(table, branch);
    List<TableColumn> columns = columnsOn(table, branch);
    return renamed.isEmpty() ? columns : columns.stream().map(c -> !renamed.containsKey(c.name()) ? c
        : new TableColumn(renamed.get(c.name()), c.type(), c.nullable())).toList();
  }

  /** The name {@code branch} shows its column {@code stored} of {@code table} under. */
  public String shownName(String table, String branch, String stored) {
    return renamedOn(table, branch).getOrDefault(stored, stored);
  }

  /**
   * The stored name of the column {@code branch} shows as {@code shown} in {@code table}, or null when it
   * shows none so (a stored name it shows under another is not one).
   */
  public String storedName(String table, String branch, String shown) {
    Map<String, String> renamed = renamedOn(table, branch);
    for (Map.Entry<String, String> e : renamed.entrySet()) {
      if (e.getValue().equals(shown)) {
        return e.getKey();
      }
    }
    return renamed.containsKey(shown) || columnsOn(table, branch).stream().noneMatch(c -> c.name().equals(shown))
        ? null : shown;
  }

  /** Whether {@code branch} reads columns of {@code table} that are not the table's. */
  public boolean hasOwnColumns(String table, String branch) {
    List<TableColumn> own = shapes.columns(table, branch);
    // a branch that dropped every column it added reads the table's columns again, through the table's row type
    return own != null && (!addedOn(table, branch).isEmpty() || !ColumnLayouts.same(own, tables.get(table).columns()));
  }

  /** The live branches whose columns of {@code table} are not the table's, sorted by branch. */
  public List<TableSchemaChanged.BranchColumns> branchColumns(String table) {
    return shapes.branchColumns(table);
  }

  /** The rebase in progress on {@code branch}, or null. */
  public Rebase rebase(String branch) {
    return rebases.get(branch);
  }

  /** The stashes of {@code branch}, the newest first (index 0). */
  public List<StashCreated> stashes(String branch) {
    return stashes.getOrDefault(branch, List.of());
  }

  /** The merge in progress on {@code branch}, or null. */
  public Merge merge(String branch) {
    return merges.get(branch);
  }
}
