package io.strata.projections.overlay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.pgclient.PgException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The DDL guard ({@link DdlGuardSql}) against real PostgreSQL: every DDL a tracked table's objects
 * cannot follow yet is refused in its own transaction, naming the command, the table and why, and
 * leaves the table as it was; what they follow goes through and is filed for the server to record,
 * once per command; Strata's own DDL (tracking, branches, untracking), tables nobody tracks and a
 * session that turned the check off are let through unfiled.
 */
class PgDdlGuardTest {
  private static PlanTestDatabase db;
  private static final PgTracking TRACKING = new PgTracking();
  private static int tables;

  @BeforeAll
  static void start() {
    db = new PlanTestDatabase();
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  private static void sql(String statements) {
    db.pool.query(statements).execute().await().atMost(PlanTestDatabase.WAIT);
  }

  /** A new tracked table {@code public.g<n> (id int primary key, v text)} with a row and a branch. */
  private static TrackedTable trackedWithBranch() {
    TrackedTable t = tracked();
    db.branch(t, "dev_" + t.table());
    return t;
  }

  /**
   * A new tracked table {@code public.g<n> (id int primary key, v text)} with a row. Without a branch:
   * a branch's view makes PostgreSQL itself refuse to drop or retype a column it reads.
   */
  private static TrackedTable tracked() {
    String name = "g" + (++tables);
    sql("create table public." + name + " (id int primary key, v text); insert into public." + name
        + " values (1, 'a')");
    return db.tracked(name);
  }

  private static TableShape shape(TrackedTable t) {
    return db.pool.withTransaction(tx -> TRACKING.shape(new PgUnit(tx), t.schema(), t.table()))
        .await().atMost(PlanTestDatabase.WAIT).orElseThrow();
  }

  private static List<Tracking.FollowedDdl> followed(TrackedTable t) {
    return db.pool.withTransaction(tx -> TRACKING.followedDdl(new PgUnit(tx), t.repository()))
        .await().atMost(PlanTestDatabase.WAIT);
  }

  private static final Map<String, String> REFUSED = Map.ofEntries(
      Map.entry("alter table public.%s add column n int, alter column v type varchar(10)",
          "changes its columns (new: v character varying(10), n integer) (gone: v text)"),
      Map.entry("alter table public.%s drop column v", "drops its column v"),
      Map.entry("alter table public.%s rename column v to w", "changes its columns (new: w text) (gone: v text)"),
      Map.entry("alter table public.%s alter column v type varchar(10)",
          "changes its columns (new: v character varying(10)) (gone: v text)"),
      Map.entry("alter table public.%1$s rename to %1$s_old", "renames or moves it (to public."),
      Map.entry("alter table public.%s set schema elsewhere", "renames or moves it (to elsewhere."),
      Map.entry("alter table public.%1$s drop constraint %1$s_pkey", "leaves its key (id) without"),
      Map.entry("alter table public.%s disable trigger all", "disables Strata's capture of its writes"),
      Map.entry("alter table public.%s disable trigger user", "disables Strata's capture of its writes"),
      Map.entry("drop table public.%s", "drops the table"),
      Map.entry("drop table public.%s cascade", "drops the table"));

  @Test
  void ddlTheOverlayModelCannotFollowIsRefusedNamingCommandTableAndWhyAndChangesNothing() {
    sql("create schema if not exists elsewhere");
    for (Map.Entry<String, String> refused : REFUSED.entrySet()) {
      TrackedTable t = tracked();
      TableShape before = shape(t);
      String statement = refused.getKey().formatted(t.table());
      assertThatThrownBy(() -> sql(statement)).as(statement)
          .isInstanceOfSatisfying(PgException.class, e -> {
            assertThat(e.getSqlState()).as(statement).isEqualTo("0A000");
            assertThat(e.getErrorMessage()).as(statement)
                .startsWith("Strata: ")
                .contains("public." + t.table(), "table \"" + t.name() + "\" of repository \"" + t.repository() + "\"")
                .contains(refused.getValue());
            assertThat(e.getDetail()).as(statement).isEqualTo("statement: " + statement);
            assertThat(e.getHint()).as(statement).contains("untrack the table first");
          });
      assertThat(shape(t)).as(statement + " left the table as it was").isEqualTo(before);
      assertThat(followed(t)).as(statement).isEmpty();
      sql("insert into public." + t.table() + " values (2, 'b')"); // the capture still works
    }
  }

  @Test
  void columnsAddedWhileNoBranchReadsTheTableAreFollowedInTheirOwnTransaction() {
    TrackedTable t = tracked();
    String table = "public." + t.table();
    String log = "strata.\"" + t.id() + "__w_0\"";
    sql("update " + table + " set v = 'x' where id = 1"); // logged before the columns come
    // added, then written in the same transaction: the capture names the new columns at once
    sql("alter table " + table + " add column note text; alter table " + table + " add column n int not null default 0;"
        + " alter table " + table + " add column g int generated always as (id * 10) stored;"
        + " insert into " + table + " (id, v, note, n) values (7, 'g', 'seven', 7)");
    assertThat(shape(t).tableColumns()).extracting(c -> c.name()).containsExactly("id", "v", "note", "n", "g");
    assertThat(followed(t)).extracting(Tracking.FollowedDdl::command)
        .containsExactly("ALTER TABLE", "ALTER TABLE", "ALTER TABLE");
    assertThat(db.pool.query("select n from " + log + " where id = 1").execute().await().atMost(PlanTestDatabase.WAIT)
        .iterator().next().getInteger(0)).as("an image logged before reads the new column's default").isEqualTo(0);
    assertThat(db.pool.query("select g from " + log + " where id = 1").execute().await().atMost(PlanTestDatabase.WAIT)
        .iterator().next().getInteger(0)).as("... or the value the table's row was given").isEqualTo(10);
    sql("delete from " + log); // as a commit would
    sql("update " + table + " set v = 'G' where id = 7");
    assertThat(db.pool.query("select note || '/' || n || '/' || g from " + log + " where id = 7").execute()
        .await().atMost(PlanTestDatabase.WAIT).iterator().next().getString(0))
        .as("the before-image holds the new columns' values").isEqualTo("seven/7/70");

    // a branch forked now reads the new columns; with it alive, another column is followed too, and the
    // branch keeps the five it reads: a row type of its own, of its overlay's columns
    TrackedTable forked = new TrackedTable(t.repository(), t.name(), t.schema(), t.table(), t.key(),
        shape(t).tableColumns());
    db.branch(forked, "later_" + t.table());
    sql("alter table " + table + " add column more text");
    assertThat(shape(t).tableColumns()).extracting(c -> c.name()).containsExactly("id", "v", "note", "n", "g", "more");
    String rowType = "strata." + t.id() + "__r_" + forked.branchId("later_" + t.table());
    assertThat(db.pool.query("select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = "
            + "(select typrelid from pg_type where oid = to_regtype('" + rowType + "')) and attnum > 0")
        .execute().await().atMost(PlanTestDatabase.WAIT).iterator().next().getString(0))
        .as("the branch's own row type").isEqualTo("id,v,note,n,g");
  }

  @Test
  void whatADropTakesFromATrackedTableIsRefusedAndTheKeyMustHold() {
    sql("create type mood_" + tables + " as enum ('a', 'b')");
    String mood = "mood_" + tables;
    String name = "g" + (++tables);
    sql("create table public." + name + " (id int primary key, v text, m " + mood + ", k int not null)");
    sql("create unique index " + name + "_k on public." + name + " (k)");
    TrackedTable t = db.tracked(name);
    TableShape before = shape(t);
    assertThatThrownBy(() -> sql("drop type " + mood + " cascade")).isInstanceOfSatisfying(PgException.class,
        e -> assertThat(e.getErrorMessage()).contains("DROP TYPE on public." + name, "drops its column m"));
    assertThatThrownBy(() -> sql("alter table public." + name + " add column __hidden int"))
        .isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getErrorMessage()).contains("new: __hidden integer"));
    assertThatThrownBy(() -> sql("alter table public." + name + " disable trigger \"strata_" + t.id() + "_moved\""))
        .isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getErrorMessage()).contains("capture"));
    assertThat(shape(t)).isEqualTo(before);

    // a table tracked by a unique key that is not its primary key: dropping that index breaks the key
    String keyed = "g" + (++tables);
    sql("create table public." + keyed + " (id int, k int not null, v text)");
    sql("create unique index " + keyed + "_k on public." + keyed + " (k)");
    TrackedTable byK = TableCatalog.inspect(db.pool, "public", keyed, List.of("k"))
        .map(s -> new TrackedTable("repo_" + keyed, keyed, "public", keyed, s.primaryKey(), s.columns()))
        .await().atMost(PlanTestDatabase.WAIT);
    db.pool.withTransaction(tx -> TRACKING.track(new PgUnit(tx), byK, List.of(),
        (r, n) -> Uni.createFrom().item(false))).await().atMost(PlanTestDatabase.WAIT);
    assertThatThrownBy(() -> sql("drop index public." + keyed + "_k")).isInstanceOfSatisfying(PgException.class,
        e -> assertThat(e.getErrorMessage()).contains("DROP INDEX", "leaves its key (k)"));
  }

  @Test
  void aChildOfATrackedTableAndASchemaRenamedUnderOneAreRefused() {
    TrackedTable t = tracked();
    assertThatThrownBy(() -> sql("create table public." + t.table() + "_child () inherits (public." + t.table() + ")"))
        .isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getErrorMessage())
            .contains("CREATE TABLE on public." + t.table() + "_child makes it a child of public." + t.table()));
    sql("create table public." + t.table() + "_other (id int primary key, v text)");
    assertThatThrownBy(() -> sql("alter table public." + t.table() + "_other inherit public." + t.table()))
        .isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getErrorMessage()).contains("makes it a child of"));

    sql("create schema moving_" + t.table() + "; create table moving_" + t.table() + ".m (id int primary key, v text)");
    TrackedTable m = io.strata.projections.postgres.TableCatalog.inspect(db.pool, "moving_" + t.table(), "m",
            List.of("id"))
        .map(s -> new TrackedTable("repo_m_" + t.table(), "m", "moving_" + t.table(), "m", s.primaryKey(), s.columns()))
        .await().atMost(PlanTestDatabase.WAIT);
    db.pool.withTransaction(tx -> TRACKING.track(new PgUnit(tx), m, List.of(),
        (r, n) -> Uni.createFrom().item(false))).await().atMost(PlanTestDatabase.WAIT);
    assertThatThrownBy(() -> sql("alter schema moving_" + t.table() + " rename to moved_" + t.table()))
        .isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getErrorMessage())
            .contains("ALTER SCHEMA", "moves moving_" + t.table() + ".m"));
  }

  /** DDL a client may try on a branch's view ({@code %1$s}: the view, {@code %2$s}: its schema, {@code %3$s}: the table). */
  private static final List<String> ON_A_BRANCH_VIEW = List.of(
      "alter table %1$s rename column v to w",
      "alter table %1$s alter column v set default 'z'",
      "alter view %1$s rename to moved",
      "alter view %1$s set schema elsewhere",
      "create or replace view %1$s as select id, v from public.%3$s",
      "create rule keep as on insert to %1$s do instead nothing",
      "create trigger mine instead of insert on %1$s for each row execute function strata_test_nothing()",
      "drop view %1$s",
      "drop trigger strata_write on %1$s",
      // the write trigger renamed or replaced: the view is still known by its registered name
      "alter trigger strata_write on %1$s rename to hidden",
      "create or replace trigger strata_write instead of insert or update or delete on %1$s for each row execute"
          + " function strata_test_nothing()",
      "drop schema %2$s cascade",
      "alter schema %2$s rename to %2$s_moved");

  @Test
  void ddlOnABranchsViewIsRefusedNamingTheBranchAndItsSchemaOperationsAndTheBranchKeepsWorking() {
    sql("create schema if not exists elsewhere; create or replace function strata_test_nothing() returns trigger"
        + " language plpgsql as $$ begin return null; end $$");
    TrackedTable t = tracked();
    String branch = "views_" + t.table();
    String view = db.branch(t, branch);
    String schema = "strata_" + branch;
    int id = 10;
    for (String ddl : ON_A_BRANCH_VIEW) {
      String statement = ddl.formatted(view, schema, t.table());
      assertThatThrownBy(() -> sql(statement)).as(statement)
          .isInstanceOfSatisfying(PgException.class, e -> {
            assertThat(e.getSqlState()).as(statement).isEqualTo("0A000");
            assertThat(e.getErrorMessage()).as(statement).startsWith("Strata: ")
                .contains(view + " changes the view of branch \"" + branch + "\" of table \"" + t.name()
                    + "\" (repository \"" + t.repository() + "\")");
            assertThat(e.getDetail()).as(statement).isEqualTo("statement: " + statement);
            assertThat(e.getHint()).as(statement).startsWith("POST /api/v1/repositories/" + t.repository()
                + "/branches/" + branch + "/tables/" + t.name() + "/schema");
          });
      // the branch reads and writes as before, in the columns it had
      int row = ++id;
      sql("insert into " + view + " (id, v) values (" + row + ", 'n'); update " + view + " set v = 'u' where id = " + row);
      assertThat(db.pool.query("select v from " + view + " where id = " + row).execute()
          .await().atMost(PlanTestDatabase.WAIT).iterator().next().getString(0)).as(statement).isEqualTo("u");
    }
    // comments and grants on it go through; the table's own DDL is guarded as before
    sql("comment on view " + view + " is 'the dev branch'; grant select on " + view + " to public");
    assertThat(followed(t)).isEmpty();
  }

  @Test
  void aDefaultOfABranchsViewDroppedWithWhatItCallsIsRefused() {
    sql("create or replace function strata_test_code() returns text language sql as $$ select 'c' $$");
    String name = "g" + (++tables);
    sql("create table public." + name + " (id int primary key, v text default strata_test_code())");
    TrackedTable t = db.tracked(name);
    String view = db.branch(t, "defaults_" + name); // the view takes the table's defaults
    assertThatThrownBy(() -> sql("drop function strata_test_code() cascade"))
        .isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getErrorMessage())
            .contains("DROP FUNCTION on " + view + " changes the view of branch \"defaults_" + name + "\""));
    sql("insert into " + view + " (id) values (5)");
    assertThat(db.pool.query("select v from " + view + " where id = 5").execute().await().atMost(PlanTestDatabase.WAIT)
        .iterator().next().getString(0)).isEqualTo("c");
  }

  @Test
  void droppingStrataCaptureTriggerIsRefused() {
    TrackedTable t = trackedWithBranch();
    String statement = "drop trigger \"strata_" + t.id() + "_ins\" on public." + t.table();
    assertThatThrownBy(() -> sql(statement)).isInstanceOfSatisfying(PgException.class,
        e -> assertThat(e.getErrorMessage()).contains("DROP TRIGGER on public." + t.table(),
            "drops its capture trigger strata_" + t.id() + "_ins"));
  }

  @Test
  void followedDdlGoesThroughAndIsFiledOncePerCommandWithItsObjectAndUser() {
    TrackedTable t = trackedWithBranch();
    TableShape before = shape(t);
    List<String> statements = List.of(
        "create index " + t.table() + "_v on public." + t.table() + " (v)",
        "alter table public." + t.table() + " add constraint " + t.table() + "_v_check check (v <> 'x')",
        "alter table public." + t.table() + " alter column v set default 'a'",
        "alter table public." + t.table() + " alter column v set not null",
        "comment on table public." + t.table() + " is 'orders of the day'",
        "drop index public." + t.table() + "_v");
    statements.forEach(PgDdlGuardTest::sql);
    assertThat(shape(t)).isNotEqualTo(before);

    List<Tracking.FollowedDdl> followed = followed(t);
    assertThat(followed).extracting(Tracking.FollowedDdl::command)
        .containsExactly("CREATE INDEX", "ALTER TABLE", "ALTER TABLE", "ALTER TABLE", "COMMENT", "DROP INDEX");
    assertThat(followed).extracting(Tracking.FollowedDdl::object).containsExactly("public." + t.table() + "_v",
        "public." + t.table(), "public." + t.table(), "public." + t.table(), "public." + t.table(),
        "public." + t.table() + "_v");
    assertThat(followed).allSatisfy(f -> {
      assertThat(f.table()).isEqualTo(t.name());
      assertThat(f.actor()).isNotBlank();
      assertThat(f.at()).isNotNull();
    });
    assertThat(followed).extracting(Tracking.FollowedDdl::id).isSorted().doesNotHaveDuplicates();

    db.pool.withTransaction(tx -> TRACKING.forgetFollowedDdl(new PgUnit(tx),
        followed.stream().map(Tracking.FollowedDdl::id).toList())).await().atMost(PlanTestDatabase.WAIT);
    assertThat(followed(t)).isEmpty();
  }

  @Test
  void aDroppedIndexIsFiledForItsOwnTableOnlyNotForEveryTrackedTableOfItsSchema() {
    TrackedTable a = tracked();
    TrackedTable b = tracked();
    sql("create index " + a.table() + "_v on public." + a.table() + " (v)");
    forgetEverything();
    // the dropped index's table is no longer in the catalog: the lock the drop took on it names it
    sql("drop index public." + a.table() + "_v");
    assertThat(everything()).extracting(f -> f.table() + " " + f.command()).containsExactly(a.name() + " DROP INDEX");
    forgetEverything();
    // in one transaction with DDL on the other table, both are held: each is looked at (the follower
    // records nothing for a table whose shape is the recorded one)
    sql("create index " + a.table() + "_w on public." + a.table() + " (v)");
    forgetEverything();
    sql("begin; alter table public." + b.table() + " alter column v set default 'b'; drop index public." + a.table()
        + "_w; commit");
    assertThat(everything()).extracting(f -> f.table() + " " + f.command())
        .containsExactlyInAnyOrder(b.name() + " ALTER TABLE", a.name() + " DROP INDEX", b.name() + " DROP INDEX");
    forgetEverything();
  }

  /** What the guard filed for every repository's tables. */
  private static List<Tracking.FollowedDdl> everything() {
    return db.pool.withTransaction(tx -> TRACKING.followedDdl(new PgUnit(tx), null)).await().atMost(PlanTestDatabase.WAIT);
  }

  private static void forgetEverything() {
    List<Tracking.FollowedDdl> all = everything();
    db.pool.withTransaction(tx -> TRACKING.forgetFollowedDdl(new PgUnit(tx),
        all.stream().map(Tracking.FollowedDdl::id).toList())).await().atMost(PlanTestDatabase.WAIT);
  }

  @Test
  void theTablesOwnerWhoMayNotReadStrataObjectsIsGuardedAndFiledAlike() {
    TrackedTable t = trackedWithBranch();
    String owner = "owner_" + t.table();
    sql("create role " + owner + "; alter table public." + t.table() + " owner to " + owner
        + "; grant usage, create on schema public to " + owner + "; revoke all on schema strata from public");
    // followed with Strata's rights (its branch keeps its columns), filed alike
    db.pool.withTransaction(c -> c.query("set local role " + owner + "; alter table public." + t.table()
        + " add column note text").execute()).await().atMost(PlanTestDatabase.WAIT);
    assertThatThrownBy(() -> db.pool.withTransaction(c -> c.query("set local role " + owner
            + "; alter table public." + t.table() + " alter column note type varchar(10)").execute())
        .await().atMost(PlanTestDatabase.WAIT))
        .isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getErrorMessage()).contains("changes its columns"));
    db.pool.withTransaction(c -> c.query("set local role " + owner + "; create index " + t.table() + "_by_owner on public."
        + t.table() + " (v)").execute()).await().atMost(PlanTestDatabase.WAIT);
    assertThat(followed(t)).extracting(Tracking.FollowedDdl::command)
        .containsExactly("ALTER TABLE", "ALTER TABLE", "CREATE INDEX");
  }

  @Test
  void aRolledBackStatementFilesNothing() {
    TrackedTable t = trackedWithBranch();
    assertThatThrownBy(() -> db.pool.withTransaction(c -> c.query("create index " + t.table() + "_rb on public."
        + t.table() + " (v)").execute().chain(() -> c.query("select 1/0").execute())).await().atMost(PlanTestDatabase.WAIT))
        .isInstanceOf(PgException.class);
    assertThat(followed(t)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"alter table public.%s add column note text", "drop table public.%s cascade"})
  void aSessionThatTurnsTheCheckOffIsLetThroughUnfiled(String ddl) {
    TrackedTable t = trackedWithBranch();
    db.pool.withTransaction(c -> c.query("set local strata.ddl_check = 'off'; " + ddl.formatted(t.table())).execute())
        .await().atMost(PlanTestDatabase.WAIT);
    assertThat(followed(t)).isEmpty();
  }

  @Test
  void anotherRoleTurningTheCheckOffIsStillGuarded() {
    TrackedTable t = trackedWithBranch();
    String intruder = "intruder_" + t.table();
    sql("create role " + intruder + "; alter table public." + t.table() + " owner to " + intruder
        + "; grant usage, create on schema public to " + intruder);
    // its login role is not Strata's: the setting is ignored, the rename refused, the index followed
    assertThatThrownBy(() -> db.pool.withTransaction(c -> c.query("set session authorization " + intruder
            + "; set local strata.ddl_check = 'off'; alter table public." + t.table() + " rename column v to w")
            .execute()).await().atMost(PlanTestDatabase.WAIT))
        .isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getErrorMessage()).contains("changes its columns"));
    db.pool.withTransaction(c -> c.query("set session authorization " + intruder + "; set local strata.ddl_check = 'off';"
        + " create index " + t.table() + "_by_intruder on public." + t.table() + " (v); reset session authorization")
        .execute()).await().atMost(PlanTestDatabase.WAIT);
    assertThat(followed(t)).extracting(Tracking.FollowedDdl::command).contains("CREATE INDEX");
  }

  @Test
  void strataOwnDdlAndTablesNobodyTracksAreLetThroughUnfiled() {
    TrackedTable t = trackedWithBranch(); // tracked, then a branch: capture regenerated, triggers replaced
    db.branch(t, "second_" + t.table());
    sql("create table public.untracked_" + t.table() + " (id int); alter table public.untracked_" + t.table()
        + " add column v text; drop table public.untracked_" + t.table());
    assertThat(followed(t)).isEmpty();
    sql("create index " + t.table() + "_v on public." + t.table() + " (v)");
    assertThat(followed(t)).hasSize(1);
    db.pool.withTransaction(tx -> TRACKING.untrack(new PgUnit(tx), t)).await().atMost(PlanTestDatabase.WAIT);
    assertThat(followed(t)).as("filed commands of an untracked table are forgotten").isEmpty();
    sql("alter table public." + t.table() + " add column note text; drop table public." + t.table() + " cascade");
  }

  @Test
  void theGuardIsInstalled() {
    assertThat(db.pool.withTransaction(tx -> TRACKING.guardsDdl(new PgUnit(tx))).await().atMost(PlanTestDatabase.WAIT))
        .isTrue();
  }
}
