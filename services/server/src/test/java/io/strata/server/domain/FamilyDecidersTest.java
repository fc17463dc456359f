package io.strata.server.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.events.AppliedCommit;
import io.strata.events.Author;
import io.strata.events.BranchHeadMoved;
import io.strata.events.CommitRolledBack;
import io.strata.events.MergeAborted;
import io.strata.events.MergeConflictsResolved;
import io.strata.events.MergeRolledBack;
import io.strata.events.MergeStarted;
import io.strata.events.CommitCreated;
import io.strata.events.TableTracked;
import io.strata.events.TableColumn;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.RebaseAborted;
import io.strata.events.RebaseFinished;
import io.strata.events.RebaseStarted;
import io.strata.events.RebaseStepSkipped;
import io.strata.events.StashApplied;
import io.strata.events.StashCreated;
import io.strata.events.StashDropped;
import io.strata.events.StorageAdded;
import io.strata.events.StorageRemoved;
import io.strata.events.StrataEvent;
import io.strata.events.TableCounts;
import io.strata.events.TagCreated;
import io.strata.events.TagDeleted;
import io.strata.server.domain.Commands.Command;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The families' deciders, without a database: merges, rebases, stashes, resets, storages and tags decided
 * against a repository state evolved from the events they produce, each refusal with its error.
 * ({@link RepositoryModelTest} checks repositories, branches, commits and tags against a reference model.)
 */
class FamilyDecidersTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final Author ADA = new Author("Ada", "ada@example.com");

  private RepositoryState state;
  private long version;

  @BeforeEach
  void aRepositoryWithABranch() {
    state = new RepositoryState("repo", 0);
    decide(new Commands.CreateRepository("repo", null, "main", ADA));
    decide(new Commands.CreateBranch("dev", "main", null, null, false));
    decide(new Commands.CreateCommit("dev", "on dev", ADA, null, true, List.of(), List.of(), null));
  }

  @Test
  void aMergeInProgressHoldsItsBranchUntilResolvedAndAbortedOrConcluded() {
    String main = head("main");
    String dev = head("dev");
    assertThat(refused(startMerge(started("main", dev, "0000000", MergeStarted.MERGE))))
        .as("started from a head that moved").isEqualTo(ErrorCode.HeadMoved);
    MergeStarted started = started("main", dev, main, MergeStarted.MERGE);
    assertThat(decide(startMerge(started))).containsExactly(started);
    assertThat(state.merge("main").remaining()).isEqualTo(2);

    assertThat(refused(startMerge(started))).isEqualTo(ErrorCode.MergeInProgress);
    assertThat(refused(new Commands.FastForward("main", main, dev, List.of(), false))).isEqualTo(ErrorCode.MergeInProgress);
    assertThat(refused(reset("main", main, dev, false, true)))
        .isEqualTo(ErrorCode.MergeInProgress);
    assertThat(refused(stash(new StashCreated("main", "s", null, main, ADA, List.of()))))
        .isEqualTo(ErrorCode.MergeInProgress);
    assertThat(refused(new Commands.MergeUpToDate("main"))).isEqualTo(ErrorCode.MergeInProgress);
    assertThat(refused(new Commands.CreateCommit("main", "too early", ADA, null, true, List.of(), List.of(), null)))
        .as("conflicts left").isEqualTo(ErrorCode.MergeInProgress);

    // a resolution that settled nothing records nothing
    assertThat(decide(resolve(resolved("main", 0, 2)))).isEmpty();
    MergeConflictsResolved one = resolved("main", 1, 1);
    assertThat(decide(resolve(one))).containsExactly(one);
    assertThat(state.merge("main").remaining()).isEqualTo(1);

    // the abort names the merge's source commit, from the state
    assertThat(decide(new Commands.AbortMerge("main", List.of("t"))))
        .containsExactly(new MergeAborted("main", dev, List.of("t")));
    assertThat(state.merge("main")).isNull();
    assertThat(refused(new Commands.AbortMerge("main", List.of()))).isEqualTo(ErrorCode.NoMergeInProgress);
    assertThat(refused(resolve(one))).isEqualTo(ErrorCode.NoMergeInProgress);
    assertThat(refused(new Commands.AbortMerge("nope", List.of()))).isEqualTo(ErrorCode.BranchNotFound);
    assertThat(decide(new Commands.MergeUpToDate("main"))).isEmpty();
    assertThat(refused(new Commands.MergeUpToDate("nope"))).isEqualTo(ErrorCode.BranchNotFound);

    // a fast-forward moves the branch from the head it saw
    assertThat(refused(new Commands.FastForward("main", dev, dev, List.of(), false))).isEqualTo(ErrorCode.HeadMoved);
    assertThat(decide(new Commands.FastForward("main", main, dev, List.of(), false)))
        .containsExactly(moved("main", main, dev, "fast_forward"));
    assertThat(head("main")).isEqualTo(dev);
  }

  @Test
  void aRebaseReplaysItsCommitsInOrderAndHoldsItsBranch() {
    String main = head("main");
    String dev = head("dev");
    RebaseStarted started = new RebaseStarted("dev", "main", main, dev, List.of("c1", "c2"), ADA);
    assertThat(refused(startRebase(new RebaseStarted("dev", "main", main, main, List.of("c1"), ADA))))
        .isEqualTo(ErrorCode.HeadMoved);
    assertThat(decide(startRebase(started))).containsExactly(started, moved("dev", dev, main, "rebase"));
    assertThat(head("dev")).isEqualTo(main);

    assertThat(refused(startRebase(new RebaseStarted("dev", "main", main, main, List.of("c1", "c2"), ADA))))
        .isEqualTo(ErrorCode.RebaseInProgress);
    assertThat(refused(startMerge(started("dev", "x", main, MergeStarted.MERGE))))
        .as("a merge waits for the rebase").isEqualTo(ErrorCode.RebaseInProgress);
    assertThat(refused(reset("dev", main, dev, false, true)))
        .isEqualTo(ErrorCode.RebaseInProgress);
    assertThat(refused(apply(new StashApplied("dev", "s", false, List.of()))))
        .isEqualTo(ErrorCode.RebaseInProgress);

    assertThat(refused(new Commands.SkipRebaseStep("dev", "c2")))
        .as("only the next step is skipped").isEqualTo(ErrorCode.ConcurrentWrite);
    assertThat(refused(new Commands.FinishRebase("dev", main))).as("commits left").isEqualTo(ErrorCode.ConcurrentWrite);
    assertThat(decide(new Commands.SkipRebaseStep("dev", "c1"))).containsExactly(new RebaseStepSkipped("dev", "c1"));
    assertThat(state.rebase("dev").next()).isEqualTo("c2");
    decide(new Commands.SkipRebaseStep("dev", "c2"));
    assertThat(refused(new Commands.FinishRebase("dev", dev))).isEqualTo(ErrorCode.HeadMoved);
    assertThat(decide(new Commands.FinishRebase("dev", main))).containsExactly(new RebaseFinished("dev", main));
    assertThat(state.rebase("dev")).isNull();
    assertThat(refused(new Commands.AbortRebase("dev", null))).isEqualTo(ErrorCode.NoRebaseInProgress);
  }

  @Test
  void anAbortedRebaseMovesTheBranchBackFirst() {
    String main = head("main");
    String dev = head("dev");
    decide(startRebase(new RebaseStarted("dev", "main", main, dev, List.of("c1"), ADA)));
    // the way back, from the state: from the head now to the head before the rebase
    assertThat(decide(new Commands.AbortRebase("dev", List.of())))
        .containsExactly(moved("dev", main, dev, "reset_hard"), new RebaseAborted("dev", dev));
    assertThat(head("dev")).isEqualTo(dev);
    assertThat(state.rebase("dev")).isNull();
    // a rebase aborted where it started moves nothing
    decide(startRebase(new RebaseStarted("dev", "main", dev, dev, List.of("c1"), ADA)));
    assertThat(decide(new Commands.AbortRebase("dev", null))).containsExactly(new RebaseAborted("dev", dev));
    // the step of a rebase may merge; nothing else may while it runs (see above)
    assertThat(decide(startMerge(started("dev", main, dev, AppliedCommit.REBASE)))).hasSize(1);
  }

  @Test
  void stashesAreSavedAtTheHeadAppliedAndDroppedByIdAndKeepTheirBranch() {
    String dev = head("dev");
    assertThat(refused(stash(new StashCreated("dev", "s1", null, head("main"), ADA, List.of()))))
        .isEqualTo(ErrorCode.HeadMoved);
    StashCreated s1 = new StashCreated("dev", "s1", "wip", dev, ADA, List.of());
    assertThat(decide(stash(s1))).containsExactly(s1);
    decide(stash(new StashCreated("dev", "s2", null, dev, ADA, List.of())));
    assertThat(RepositoryDecider.stash(state, "dev", "0").id()).as("0 is the newest").isEqualTo("s2");
    assertThat(RepositoryDecider.stash(state, "dev", "s1").id()).isEqualTo("s1");
    assertThatThrownBy(() -> RepositoryDecider.stash(state, "dev", "2")).isInstanceOfSatisfying(StrataException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.StashNotFound));

    assertThat(refused(apply(new StashApplied("dev", "s9", false, List.of()))))
        .isEqualTo(ErrorCode.StashNotFound);
    StashApplied applied = new StashApplied("dev", "s1", false, List.of(new TableCounts("t", 1, 0, 0)));
    assertThat(decide(apply(applied))).containsExactly(applied);
    assertThat(state.stashes("dev")).as("applied, kept").hasSize(2);
    decide(apply(new StashApplied("dev", "s1", true, List.of())));
    assertThat(state.stashes("dev")).as("popped").extracting(StashCreated::id).containsExactly("s2");
    assertThat(refused(new Commands.DropStash("dev", "s1"))).isEqualTo(ErrorCode.StashNotFound);
    assertThat(refused(new Commands.DropStash("dev", "1"))).as("one stash left: index 1 is none")
        .isEqualTo(ErrorCode.StashNotFound);

    // a branch with stashes is deleted only with force
    assertThat(refused(new Commands.DeleteBranch("dev", false, dev, true))).isEqualTo(ErrorCode.BranchHasStashes);
    // dropped by index: the event names its id
    assertThat(decide(new Commands.DropStash("dev", "0"))).containsExactly(new StashDropped("dev", "s2"));
    assertThat(state.stashes("dev")).isEmpty();
    decide(new Commands.DeleteBranch("dev", false, dev, true));
    assertThat(state.branch("dev")).isNull();
  }

  @Test
  void aProtectedBranchIsResetOnlyWithForceByOneWhoMayForceIt() {
    String main = head("main");
    String dev = head("dev");
    decide(new Commands.SetBranchProtection("dev", true));
    assertThat(decide(new Commands.SetBranchProtection("dev", true))).as("already so").isEmpty();
    assertThat(refused(reset("dev", dev, main, false, true))).isEqualTo(ErrorCode.BranchProtected);
    assertThat(refused(reset("dev", dev, main, true, false))).isEqualTo(ErrorCode.Forbidden);
    assertThat(refused(reset("dev", main, main, true, true))).isEqualTo(ErrorCode.HeadMoved);
    assertThat(decide(reset("dev", dev, main, true, true))).containsExactly(moved("dev", dev, main, "reset_hard"));
    assertThat(head("dev")).isEqualTo(main);
    assertThat(decide(new Commands.ResetBranch("dev", main, dev, false, List.of(), true, true)))
        .as("a soft reset").containsExactly(moved("dev", main, dev, "reset_soft"));
    assertThat(decide(reset("dev", dev, main, true, true))).containsExactly(moved("dev", dev, main, "reset_hard"));
    assertThat(refused(new Commands.DeleteBranch("dev", true, main, true))).isEqualTo(ErrorCode.BranchProtected);
  }

  @Test
  void aTrackedTableIsRecordedWithItsContentHashByACommitOnTheDefaultBranch() {
    TableShape shape = new TableShape(List.of(new TableShape.Column("id", "integer", false, null, null, null, null)),
        List.of("id"), List.of(new TableShape.Constraint("t_pkey", TableShape.PRIMARY_KEY, "PRIMARY KEY (id)")),
        List.of());
    TableCommand.TrackTable track = new TableCommand.TrackTable("t", Storages.LOCAL, "public", "t", List.of("id"),
        List.of(new TableColumn("id", "integer", false)), shape, 3, "42", ADA);
    List<StrataEvent> events = decide(track);
    assertThat(events).hasSize(2);
    assertThat(events.get(0)).isEqualTo(new TableTracked("t", Storages.LOCAL, "public", "t", List.of("id"),
        List.of(new TableColumn("id", "integer", false)), 3, "42", TableTracked.contentHash(3, "42"), shape));
    assertThat(events.get(1)).isInstanceOfSatisfying(CommitCreated.class, c -> assertThat(c.branch()).isEqualTo("main"));
    assertThat(refused(track)).isEqualTo(ErrorCode.TableAlreadyExists);
    assertThat(refused(new TableCommand.TrackTable("t2", "nowhere", "public", "t2", List.of("id"), List.of(), null, 0, "0",
        ADA)))
        .isEqualTo(ErrorCode.StorageNotFound);
  }

  @Test
  void aFollowedSchemaChangeIsRecordedOnceAndOnlyWhenTheShapeMovedWithTheColumnsKept() {
    TableShape shape = new TableShape(List.of(new TableShape.Column("id", "integer", false, null, null, null, null),
        new TableShape.Column("v", "text", true, null, null, null, null)), List.of("id"),
        List.of(new TableShape.Constraint("t_pkey", TableShape.PRIMARY_KEY, "PRIMARY KEY (id)")), List.of());
    decide(new TableCommand.TrackTable("t", Storages.LOCAL, "public", "t", List.of("id"), shape.tableColumns(), shape, 1,
        "7", ADA));
    List<TableSchemaChanged.Statement> ddl = List.of(new TableSchemaChanged.Statement("ALTER TABLE",
        "public.t", "etl", Instant.EPOCH));
    TableShape stricter = new TableShape(List.of(shape.columns().get(0),
        new TableShape.Column("v", "text", false, null, null, null, null)), List.of("id"),
        List.of(new TableShape.Constraint("t_pkey", TableShape.PRIMARY_KEY, "PRIMARY KEY (id)"),
            new TableShape.Constraint("v_check", "check", "CHECK ((v <> ''::text))")), List.of());

    assertThat(decide(new TableCommand.RecordSchemaChange("t", shape, ddl, 1, true))).as("the shape recorded already").isEmpty();
    assertThat(decide(new TableCommand.RecordSchemaChange("gone", stricter, ddl, 1, true))).as("a table not tracked").isEmpty();
    TableShape widened = new TableShape(List.of(shape.columns().get(0), shape.columns().get(1),
        new TableShape.Column("note", "text", true, null, null, null, null)), List.of("id"), shape.constraints(), List.of());
    assertThat(decide(new TableCommand.RecordSchemaChange("t", widened, ddl, 1, false)))
        .as("columns added past the guard: drift, not a followed change").isEmpty();
    TableShape renamed = new TableShape(List.of(shape.columns().get(0),
        new TableShape.Column("w", "text", true, null, null, null, null)), List.of("id"), shape.constraints(), List.of());
    assertThat(decide(new TableCommand.RecordSchemaChange("t", renamed, ddl, 1, true)))
        .as("columns changed otherwise than added: never followed").isEmpty();

    assertThat(decide(new TableCommand.RecordSchemaChange("t", stricter, ddl, 2, true))).containsExactly(
        new TableSchemaChanged("t", "main", stricter, stricter.hash(), shape.hash(), ddl, 2, List.of(), List.of()));
    assertThat(decide(new TableCommand.RecordSchemaChange("t", stricter, ddl, 2, true))).as("recorded by another server first")
        .isEmpty();
    assertThat(decide(new TableCommand.RecordSchemaChange("t", shape, ddl, 1, true)))
        .as("a round that read older commands (and an older shape) after a newer one was recorded").isEmpty();
    assertThat(decide(new TableCommand.RecordSchemaChange("t", shape, ddl, 3, true))).as("a newer change back")
        .singleElement().isInstanceOf(TableSchemaChanged.class);
    // a column added, followed: dev, which read the table, keeps the columns it had
    List<TableSchemaChanged.BranchColumns> devKeeps = List.of(new TableSchemaChanged.BranchColumns("dev",
        shape.tableColumns()));
    assertThat(decide(new TableCommand.RecordSchemaChange("t", widened, ddl, 4, true))).as("a column added, followed")
        .containsExactly(new TableSchemaChanged("t", "main", widened, widened.hash(), shape.hash(), ddl, 4, devKeeps,
            List.of()));
    assertThat(state.columnsOn("t", "dev")).isEqualTo(shape.tableColumns());
    assertThat(state.columnsOn("t", "main")).isEqualTo(widened.tableColumns());
    decide(new Commands.CreateBranch("later", "main", null, null, false));
    assertThat(state.hasOwnColumns("t", "later")).as("a branch created now reads the table's columns").isFalse();
    // another change of the table: dev keeps its own, later (the table's columns before) gets its own
    TableShape wider = new TableShape(List.of(shape.columns().get(0), shape.columns().get(1),
        widened.columns().get(2), new TableShape.Column("region", "text", true, null, null, null, null)),
        List.of("id"), shape.constraints(), List.of());
    assertThat(decide(new TableCommand.RecordSchemaChange("t", wider, ddl, 5, true))).singleElement()
        .satisfies(e -> assertThat(((TableSchemaChanged) e).branchColumns()).containsExactly(devKeeps.get(0),
            new TableSchemaChanged.BranchColumns("later", widened.tableColumns())));
    RepositoryState copy = state.copy();
    decide(new Commands.DeleteBranch("dev", true, state.branch("dev").head(), true));
    assertThat(state.hasOwnColumns("t", "dev")).as("a deleted branch's columns are forgotten").isFalse();
    assertThat(copy.hasOwnColumns("t", "dev")).as("a copy keeps its own").isTrue();
    assertThat(decide(new TableCommand.RecordSchemaDrift("t", new TableShape(wider.columns(), List.of("id"), List.of(),
        List.of()), true, 0, null, ADA, List.of()))).singleElement()
        .satisfies(e -> assertThat(((TableSchemaChanged) e).branchColumns()).as("a drift keeps them")
            .containsExactly(new TableSchemaChanged.BranchColumns("later", widened.tableColumns())));
  }

  @Test
  void aDriftIsRecordedAgainstTheShapeTheCallerSawWithTheColumnsKept() {
    TableShape shape = new TableShape(List.of(new TableShape.Column("id", "integer", false, null, null, null, null),
        new TableShape.Column("v", "text", true, null, null, null, null)), List.of("id"),
        List.of(new TableShape.Constraint("t_pkey", TableShape.PRIMARY_KEY, "PRIMARY KEY (id)")), List.of());
    decide(new TableCommand.TrackTable("t", Storages.LOCAL, "other", "t_live", List.of("id"), shape.tableColumns(), shape,
        1, "7", ADA));
    TableShape indexed = new TableShape(shape.columns(), List.of("id"), shape.constraints(),
        List.of(new TableShape.Index("t_v", false, "btree (v)")));
    TableShape widened = new TableShape(List.of(shape.columns().get(0), shape.columns().get(1),
        new TableShape.Column("note", "text", true, null, null, null, null)), List.of("id"), shape.constraints(), List.of());

    assertThat(refused(new TableCommand.RecordSchemaDrift("gone", indexed, true, 0, null, ADA, List.of()))).isEqualTo(ErrorCode.TableNotFound);
    assertThat(refused(new TableCommand.RecordSchemaDrift("t", indexed, true, 0, indexed.hash(), ADA, List.of())))
        .as("the caller saw another recorded shape").isEqualTo(ErrorCode.SchemaMoved);
    assertThat(refused(new TableCommand.RecordSchemaDrift("t", widened, true, 0, null, ADA, List.of())))
        .as("columns changed: not versioned on the default branch").isEqualTo(ErrorCode.ValidationError);
    assertThat(refused(new TableCommand.RecordSchemaDrift("t", indexed, false, 0, shape.hash(), ADA, List.of())))
        .as("its key no longer identifies its rows").isEqualTo(ErrorCode.ValidationError);
    assertThat(decide(new TableCommand.RecordSchemaDrift("t", shape, true, 0, shape.hash(), ADA, List.of()))).as("recorded already").isEmpty();

    assertThat(decide(new TableCommand.RecordSchemaDrift("t", indexed, true, 0, shape.hash(), ADA,
        List.of("CREATE INDEX t_v ON other.t_live USING btree (v)")))).containsExactly(
        new TableSchemaChanged("t", "main", indexed, indexed.hash(), shape.hash(), List.of(new TableSchemaChanged
            .Statement(TableDecider.DRIFT_RECORDED, "other.t_live", ADA.name(), NOW)), 0, List.of(),
            List.of("CREATE INDEX t_v ON other.t_live USING btree (v)")));
    // DDL followed after it is recorded over it; the drift's recording covers no newer command
    List<TableSchemaChanged.Statement> ddl = List.of(new TableSchemaChanged.Statement("CREATE INDEX", "other.t_w",
        "etl", Instant.EPOCH));
    TableShape more = new TableShape(shape.columns(), List.of("id"), shape.constraints(),
        List.of(new TableShape.Index("t_v", false, "btree (v)"), new TableShape.Index("t_w", false, "btree (id, v)")));
    assertThat(decide(new TableCommand.RecordSchemaChange("t", more, ddl, 4, true))).singleElement()
        .isInstanceOf(TableSchemaChanged.class);
    assertThat(refused(new TableCommand.RecordSchemaDrift("t", indexed, true, 0, indexed.hash(), ADA, List.of())))
        .as("a follower's round came between").isEqualTo(ErrorCode.SchemaMoved);
    assertThat(decide(new TableCommand.RecordSchemaDrift("t", indexed, true, 0, more.hash(), ADA, List.of()))).singleElement()
        .satisfies(e -> assertThat(((TableSchemaChanged) e).ddlThrough()).isEqualTo(4));
    // read with a command filed and not recorded yet: it covers that command, so a round that read the
    // command before the drift was recorded records nothing over it
    assertThat(decide(new TableCommand.RecordSchemaDrift("t", more, true, 9, indexed.hash(), ADA, List.of()))).singleElement()
        .satisfies(e -> assertThat(((TableSchemaChanged) e).ddlThrough()).isEqualTo(9));
    assertThat(decide(new TableCommand.RecordSchemaChange("t", indexed, ddl, 9, true))).as("the stale round").isEmpty();
  }

  @Test
  void storagesAreRegisteredOnceAndTagsNameOneCommit() {
    assertThat(refused(addStorage(storage(Storages.LOCAL)))).isEqualTo(ErrorCode.StorageAlreadyExists);
    assertThat(decide(addStorage(storage("warehouse")))).containsExactly(storage("warehouse"));
    assertThat(refused(addStorage(storage("warehouse")))).isEqualTo(ErrorCode.StorageAlreadyExists);
    assertThat(refused(new TableCommand.RemoveStorage("nope"))).isEqualTo(ErrorCode.StorageNotFound);
    assertThat(decide(new TableCommand.RemoveStorage("warehouse"))).containsExactly(new StorageRemoved("warehouse"));

    String dev = head("dev");
    assertThat(refused(new Commands.DeleteTag("v1"))).isEqualTo(ErrorCode.TagNotFound);
    assertThat(decide(new Commands.CreateTag("v1", "dev", null, "first", ADA)))
        .containsExactly(new TagCreated("v1", dev, "first", ADA));
    assertThat(refused(new Commands.CreateTag("v1", null, head("main"), null, ADA))).isEqualTo(ErrorCode.TagAlreadyExists);
    assertThat(refused(new Commands.CreateTag("v2", "nope", null, null, ADA))).isEqualTo(ErrorCode.BranchNotFound);
    assertThat(decide(new Commands.DeleteTag("v1"))).containsExactly(new TagDeleted("v1", dev));
  }

  @Test
  void recoveryRecordsWhatItPutBackEvenOnABranchGoneSince() {
    assertThat(decide(new Commands.RecordRollback("gone", "a1", List.of("warehouse"), List.of("orders"), 3)))
        .containsExactly(new CommitRolledBack("gone", "a1", List.of("warehouse"), List.of("orders"), 3));
    assertThat(decide(new Commands.RecordMergeRollback("gone", "a2", List.of("warehouse"), List.of("orders"), 5)))
        .containsExactly(new MergeRolledBack("gone", "a2", List.of("warehouse"), List.of("orders"), 5));
  }

  @Test
  void aClosedPromotionsPreviewIsNotMadeAgain() {
    // an evaluation racing the request's merge: its preview branch, made after the merge recorded, would be left
    state.evolve(new io.strata.events.PromotionOpened(1, "dev", "main", "promotions/1"), ++version, version, NOW);
    Commands.CreateBranch preview = new Commands.CreateBranch("promotions/1", "main", null, null, false);
    List<StrataEvent> made = RepositoryDecider.decide(state, preview, NOW);
    assertThat(PromotionGate.admit(state, preview, made, null, 1)).as("while the request is open").isEqualTo(made);
    state.evolve(new io.strata.events.PromotionMerged(1, head("main"), null), ++version, version, NOW);
    assertThatThrownBy(() -> PromotionGate.admit(state, preview, made, null, 1))
        .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PromotionClosed));
  }

  @Test
  void aDeletedRepositoryDecidesNothing() {
    assertThat(refused(new Commands.DeleteRepository(false))).as("it has history").isEqualTo(ErrorCode.RepositoryNotEmpty);
    decide(new Commands.DeleteRepository(true));
    assertThat(refused(new Commands.CreateTag("v1", "main", null, null, ADA))).isEqualTo(ErrorCode.RepositoryNotFound);
    assertThat(refused(new Commands.MergeUpToDate("main"))).isEqualTo(ErrorCode.RepositoryNotFound);
  }

  private List<StrataEvent> decide(Command c) {
    List<StrataEvent> events = RepositoryDecider.decide(state, c, NOW);
    for (StrataEvent e : events) {
      version++;
      state.evolve(e, version, version, NOW);
    }
    return events;
  }

  /** The error {@code c} is refused with; the state unchanged. */
  private ErrorCode refused(Command c) {
    long before = state.version();
    try {
      RepositoryDecider.decide(state, c, NOW);
    } catch (StrataException e) {
      assertThat(state.version()).isEqualTo(before);
      return e.code();
    }
    throw new AssertionError("not refused: " + c);
  }

  private String head(String branch) {
    return state.branch(branch).head();
  }

  private static MergeStarted started(String branch, String sourceCommit, String head, String operation) {
    return new MergeStarted(branch, "dev", sourceCommit, head, head, "three_way", null, ADA, 2,
        List.of(new MergeStarted.TableConflicts("t", 2, "h")), operation, null, List.of("t"));
  }

  private static MergeConflictsResolved resolved(String branch, long resolved, long remaining) {
    return new MergeConflictsResolved(branch, "t", null, null, "ours", resolved, remaining);
  }

  private static Commands.ResolveConflicts resolve(MergeConflictsResolved e) {
    return new Commands.ResolveConflicts(e.branch(), e.table(), e.key(), e.field(), e.take(), e.resolved(),
        e.remaining());
  }

  private static Commands.StartRebase startRebase(RebaseStarted s) {
    return new Commands.StartRebase(s.branch(), s.onto(), s.ontoCommit(), s.head(), s.commits(), s.author(), List.of());
  }

  /** The command whose decision is {@code e}. */
  private static Commands.StartMerge startMerge(MergeStarted e) {
    return new Commands.StartMerge(e.branch(), e.source(), e.sourceCommit(), e.base(), e.head(), e.strategy(),
        e.message(), e.author(), e.tables(), e.operation(), e.mainline(), e.schemaTables());
  }

  private static TableCommand.AddStorage addStorage(StorageAdded e) {
    return new TableCommand.AddStorage(e);
  }

  private static Commands.CreateStash stash(StashCreated e) {
    return new Commands.CreateStash(e.branch(), e.id(), e.message(), e.head(), e.author(), e.tables());
  }

  private static Commands.ApplyStash apply(StashApplied e) {
    return new Commands.ApplyStash(e.branch(), e.id(), e.popped(), e.tables());
  }

  /** A hard reset of {@code branch} from {@code from} to {@code to}. */
  private static Commands.ResetBranch reset(String branch, String from, String to, boolean force, boolean mayForce) {
    return new Commands.ResetBranch(branch, from, to, true, List.of(), force, mayForce);
  }

  private static BranchHeadMoved moved(String branch, String from, String to, String reason) {
    return new BranchHeadMoved(branch, from, to, reason, List.of());
  }

  private static StorageAdded storage(String name) {
    return new StorageAdded(name, "postgres", "localhost", 5432, "db", "u", null, null);
  }
}
