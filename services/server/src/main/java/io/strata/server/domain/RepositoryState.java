package io.strata.server.domain;

import io.strata.events.MergeStarted;
import io.strata.events.RebaseStarted;
import io.strata.events.StashCreated;
import io.strata.events.CommitCreated;
import io.strata.events.RepositoryCreated;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StorageAdded;
import io.strata.events.StorageRemoved;
import io.strata.events.StrataEvent;
import io.strata.events.TableColumn;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import java.time.Instant;
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
  /** The branches and tags. */
  private RepositoryRefs refs = new RepositoryRefs();
  private final Map<String, StorageAdded> storages = new HashMap<>();
  private TrackedTables tracked = new TrackedTables();
  /** The shapes live branches give tables, where they differ from the tables' own. */
  private BranchShapes shapes = new BranchShapes();
  private BranchMadeTables madeTables = new BranchMadeTables();
  /** The merges and rebases in progress and the stashes, per branch. */
  private BranchOperations operations = new BranchOperations();
  /** The promotion policy in force (null: none was ever set). */
  private io.strata.events.PromotionPolicySet policy;
  private PromotionRequests promotions = new PromotionRequests();

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

  /**
   * A copy that later evolutions of this state leave alone: what a command doing long data work reads
   * while its repository's other commands go on (its decision is taken again, on the live state, when
   * it appends).
   */
  public RepositoryState copy() {
    RepositoryState c = new RepositoryState(streamId, version);
    c.lastPosition = lastPosition;
    c.exists = exists;
    c.name = name;
    c.description = description;
    c.defaultBranch = defaultBranch;
    c.commitCount = commitCount;
    c.refs = refs.copy();
    c.storages.putAll(storages);
    c.tracked = tracked.copy();
    c.shapes = shapes.copy();
    c.madeTables = madeTables.copy();
    c.operations = operations.copy();
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
    tracked.evolve(event, defaultBranch);
    refs.evolve(event, time);
    operations.evolve(event);
    if (event instanceof RepositoryCreated e) {
      exists = true;
      name = e.name();
      description = e.description();
      defaultBranch = e.defaultBranch();
    } else if (event instanceof RepositoryDeleted) {
      exists = false;
      storages.clear();
      policy = null;
      promotions = new PromotionRequests();
      commitCount = 0;
    } else if (event instanceof io.strata.events.PromotionPolicySet e) {
      policy = e;
    } else if (event instanceof CommitCreated e) {
      commitCount++;
    } else if (event instanceof StorageAdded e) {
      storages.put(e.name(), e);
    } else if (event instanceof StorageRemoved e) {
      storages.remove(e.name());
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
    tracked.restore(tables, ddlRecorded);
    branchColumns.forEach(shapes::setColumns);
    operations.restore(merges, stashes, rebases);
    this.storages.putAll(storages);
    this.exists = true;
    this.name = name;
    this.description = description;
    this.defaultBranch = defaultBranch;
    this.commitCount = commitCount;
    refs.restore(branches, tags);
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
    return refs.branches();
  }

  public Branch branch(String name) {
    return refs.branches().get(name);
  }

  public Map<String, String> tags() {
    return refs.tags();
  }

  public Map<String, StorageAdded> storages() {
    return storages;
  }

  /** The id of the newest DDL command on {@code table} that a recorded schema change covers (0: none). */
  public long ddlRecordedThrough(String table) {
    return tracked.ddlRecordedThrough(table);
  }

  public Map<String, TableTracked> tables() {
    return tracked.all();
  }

  /** The tables made on a branch and not yet in the default branch, and the branches that have them. */
  public BranchMadeTables madeTables() {
    return madeTables;
  }

  /** Whether {@code branch} has tracked table {@code table} (every branch has it, unless it is made on branches). */
  public boolean hasTable(String table, String branch) {
    return tracked.all().containsKey(table) && madeTables.has(table, branch);
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
    return own != null ? own : tracked.all().get(table).columns();
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
    return own != null
        && (!addedOn(table, branch).isEmpty() || !ColumnLayouts.same(own, tracked.all().get(table).columns()));
  }

  /** The live branches whose columns of {@code table} are not the table's, sorted by branch. */
  public List<TableSchemaChanged.BranchColumns> branchColumns(String table) {
    return shapes.branchColumns(table);
  }

  /** The rebase in progress on {@code branch}, or null. */
  public Rebase rebase(String branch) {
    return operations.rebase(branch);
  }

  /** The stashes of {@code branch}, the newest first (index 0). */
  public List<StashCreated> stashes(String branch) {
    return operations.stashes(branch);
  }

  /** The merge in progress on {@code branch}, or null. */
  public Merge merge(String branch) {
    return operations.merge(branch);
  }
}
