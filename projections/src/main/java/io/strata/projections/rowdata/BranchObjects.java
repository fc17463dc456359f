package io.strata.projections.rowdata;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import java.util.List;
import java.util.Optional;

/**
 * What a branch of a repository has of each tracked table: whatever lets it read and write the table
 * apart from every other branch, at a cost of O(rows it changed), never O(table). The default branch
 * reads and writes the table itself and has none.
 *
 * @param <X> the backend's unit of work: every call runs in the caller's, and a failure leaves it to
 *     be rolled back
 */
public interface BranchObjects<X> extends OverlayIncarnations<X> {

  /**
   * Gives {@code branch} its objects of {@code table}, reading as the default branch's working state
   * with {@code start} applied (the branch's start commit, as a path from that state). Whatever an
   * earlier attempt left for the branch is replaced. Writes to the table from now on no longer reach
   * the branch, and the branch's writes never reach the table.
   */
  Uni<Void> create(X tx, TrackedTable table, String branch, StatePath start);

  /**
   * Records in {@code tx}'s database which branches of {@code repository} its promotion gate refuses writes to,
   * by branch id ({@link TrackedTable#branchIdOf}) and name: their views take no write from now on.
   */
  Uni<Void> gate(X tx, String repository, java.util.Map<String, String> gated);

  /** The branches of {@code repository} this database's views refuse writes to, by branch id ({@link #gate}). */
  Uni<java.util.Map<String, String>> gated(X tx, String repository);

  /**
   * From now on in {@code tx}, each lock its statements wait for is waited for at most {@code limit} (null: without
   * limit again), failing with SQLSTATE 55P03 past it: a change of a branch's objects held up by a transaction that
   * wrote them and stays open gives up, rather than hold the branch's readers (queued behind it) and the
   * repository's commands.
   */
  Uni<Void> waitForLocksAtMost(X tx, java.time.Duration limit);

  /**
   * The branches of {@code table} no longer hold the table's own unique constraints the table has dropped, or made
   * again otherwise, since they began to (the DDL guard has them stop in the DDL's own transaction; DDL made past it
   * is recorded as drift, which calls this).
   */
  Uni<Void> releaseDroppedTableUniques(X tx, TrackedTable table);

  /**
   * Branch {@code branch}'s objects of {@code table} (as the branch reads it) hold the table's own unique constraints
   * they do not hold yet, as a new branch's do ({@link #create}): those the table gained since the branch was made
   * (DDL on the default branch, recorded), or that the branch was made before it held any. One a row of the branch
   * already shares values of stays not held. Nothing else changes. Waits at most {@code lockTimeout} for each lock
   * (the table's writers', the branch's; only when there is a constraint to hold): past it, {@link Hold#BUSY}; a
   * look at the branch's rows past its own limit, {@link Hold#FAILED}; either way nothing new is held, the caller's
   * transaction goes on as it was, and the branch owes the hold ({@link #owedTableUniques}). Any other failure is
   * handed on (the caller's transaction failed).
   */
  Uni<Hold> holdTableUniques(X tx, TrackedTable table, String branch, java.time.Duration lockTimeout);

  /**
   * {@link #holdTableUniques} as an attempt of a hold owed that {@link #owedTableUniques} claimed: held, the debt is
   * paid; passed over again, it stays as the claim left it (its next turn already set).
   */
  Uni<Hold> holdOwedTableUniques(X tx, TrackedTable table, String branch, java.time.Duration lockTimeout);

  /**
   * Claims the holds {@link #holdTableUniques} passed over ({@link Hold#BUSY}, {@link Hold#FAILED}: it notes them as
   * owed, and a hold that succeeds as paid) or {@link #oweTableUniques} asked for, that are due in this storage, the
   * longest due first, at most 100, in the caller's transaction (its commit makes the claim): each attempt counted and
   * the next due later (twice as late each time, at most an hour; none after the eighth), whatever it does.
   */
  Uni<List<OwedHold>> owedTableUniques(X tx);

  /** A branch that owes a hold of a table's own unique constraints ({@link #owedTableUniques}). */
  record OwedHold(String repository, String table, String branch) {}

  /**
   * After a hard move of {@code branch} (a reset, a rebase onto another base) in the calling transaction: the table's
   * own unique constraints its objects of {@code table} hold that a row the move wrote shares the values of with
   * another row the branch reads (history older than the constraint) are no longer held, as a branch created at that
   * state would not hold them, rather than refuse the move at its commit.
   */
  Uni<Void> releaseSharedTableUniques(X tx, TrackedTable table, String branch);

  /**
   * After a hard move of {@code branch} in the calling transaction: when its objects of {@code table} hold fewer of the
   * table's own unique constraints than it may (a move back onto rows that keep to one whose hold an earlier move
   * ended), the branch owes a hold due now ({@link #owedTableUniques}), taken after the move commits rather than in
   * it (the table's writers are not held for the rest of the move, nor its locks taken in the middle of it).
   */
  Uni<Void> oweTableUniques(X tx, TrackedTable table, String branch);

  /** What {@link #holdTableUniques} did. */
  enum Hold { HELD, BUSY, FAILED }

  /**
   * {@link #create}, then the branch has the columns {@code inherited} too (columns the branch or commit it
   * starts from had added through Strata: zero-copy, as {@link #addColumns} adds them), each row of the
   * start state holding the value its image has there, else the column's default.
   */
  Uni<Void> create(X tx, TrackedTable table, String branch, StatePath start, List<TableShape.Column> inherited);

  /**
   * A column asked for: its name, its type as a client wrote it ({@code varchar(20)}, {@code numeric(12,2)}),
   * nullability, and its default as text the type reads ({@code null}: none).
   */
  record NewColumn(String name, String type, boolean nullable, String defaultText) {}

  /**
   * Rows fail a CHECK constraint being added: the constraint's name, the first rows' keys (each its values joined by
   * ", "; at least one) and how many rows fail it in all.
   */
  final class CheckFailed extends RuntimeException {
    private final String constraint;
    private final List<String> keys;
    private final long count;

    public CheckFailed(String constraint, String key) {
      this(constraint, List.of(key), 1);
    }

    public CheckFailed(String constraint, List<String> keys, long count) {
      super("the row of key " + keys.get(0) + " fails check " + constraint);
      this.constraint = constraint;
      this.keys = List.copyOf(keys);
      this.count = count;
    }

    public String constraint() {
      return constraint;
    }

    /** The first row's key. */
    public String key() {
      return keys.get(0);
    }

    /** The first rows' keys, in key order. */
    public List<String> keys() {
      return keys;
    }

    /** How many rows fail the check. */
    public long count() {
      return count;
    }
  }

  /** A column the table's database will not define as asked: its name and the database's reason. */
  final class Undefinable extends RuntimeException {
    private final String column;

    public Undefinable(String column, String message) {
      super(message, null, false, false);
      this.column = column;
    }

    public String column() {
      return column;
    }
  }

  /**
   * How the database defines {@code columns}: type as it formats it, default as the constant expression
   * it keeps ({@code 'eu'::text}); fails with {@link Undefinable} for the first it refuses (an unknown
   * type, a default the type cannot hold, a system column's name). Changes nothing.
   */
  Uni<List<TableShape.Column>> define(X tx, List<NewColumn> columns);

  /**
   * A column a branch added, to change: its definition now, and the type ({@code null}: kept) and
   * nullability it is to have; {@code using}, an expression of the column alone converting its values to the new
   * type ({@code null}: a cast, which must keep every value as it reads).
   */
  record Redefinition(TableShape.Column current, String type, boolean nullable, String using) {
    public Redefinition(TableShape.Column current, String type, boolean nullable) {
      this(current, type, nullable, null);
    }
  }

  /**
   * How the database defines CHECK constraint {@code name} with expression {@code check} over a table of
   * {@code columns} (the names a client writes: the branch's columns as it shows them), as {@code ALTER TABLE …
   * ADD CONSTRAINT … CHECK} would: its definition as PostgreSQL prints it, and the columns it names. Fails with
   * {@link Undefinable} (its {@code column} the constraint's name) for an expression the database refuses, one
   * that calls a function that is not immutable (a check must answer the same for a row every time, and must
   * not read anything), or one longer than it keeps. Changes nothing.
   */
  Uni<DefinedRule> defineCheck(X tx, List<io.strata.events.TableColumn> columns, String name, String check);

  /**
   * Defines an index {@code name} by {@code method} on columns {@code indexed} (stored names) of a branch of columns
   * {@code columns}, in a transaction of {@code tx}'s it rolls back to where it was: the rule of kind {@link
   * TableShape#INDEX} whose definition is the method and columns as the database prints them ({@code btree (c)}),
   * and the columns it names. A method the branch's indexes do not take, a type without an operator class for it,
   * or a partitioned table (whose indexes are not built CONCURRENTLY when the branch merges into the default one):
   * {@link Undefinable}.
   */
  Uni<DefinedRule> defineIndex(X tx, TrackedTable table, List<io.strata.events.TableColumn> columns, String name,
      String method, List<String> indexed);

  /**
   * Defines a unique rule {@code name} on columns {@code unique} (stored names, the table's own) of a branch of
   * columns {@code columns}, in a transaction of {@code tx}'s it rolls back to where it was: the rule of kind {@code
   * unique} whose definition is {@code UNIQUE (a, b)} as the database prints it. A column that is not the table's, a
   * type without a btree operator class, or a table with no index to look the branch's written values up through
   * (a valid btree index whose first columns are those): {@link Undefinable}.
   */
  Uni<DefinedRule> defineUnique(X tx, TrackedTable table, List<io.strata.events.TableColumn> columns, String name,
      List<String> unique);

  /**
   * Marks {@code tx} as Strata's own recovery (a sweep putting back what an attempt that was never appended wrote): the
   * rows it puts back are as they were, and a branch's unique rules do not refuse them, whatever was written since.
   */
  Uni<Void> recovering(X tx);

  /**
   * Deletes what the repository's deleted branches left in the storage that nothing reaches any more (a Delta
   * branch's table), and what writers left unfinished there (a Delta file's multipart upload on S3), on a unit outside
   * any transaction (each statement its own); answers how many branch objects it deleted. What a deletion released
   * less than {@code grace} ago is left alone (a read that began before it may still be at work). A storage whose
   * branch objects go with their branch has nothing to sweep.
   */
  default Uni<Integer> sweepReleased(X unit, String repository, java.time.Duration grace) {
    return Uni.createFrom().item(0);
  }

  /** A rule (a CHECK constraint, an index, a unique rule) as the database defined it, and the columns it names. */
  record DefinedRule(TableShape.Constraint constraint, List<String> columns) {}

  /**
   * Adds rules {@code checks} to what {@code branch} holds of {@code table}: CHECK constraints (by the stored names of
   * the columns they name) — every row it reads is checked first (one that fails: {@link CheckFailed}, naming its
   * key, nothing changed), then its overlay holds the rows it writes to them — and indexes (rules of kind {@link
   * TableShape#INDEX}), built on its overlay over the rows it writes. The table is not touched.
   */
  Uni<Void> addRules(X tx, TrackedTable table, String branch, List<TableShape.Constraint> checks);

  /**
   * {@link #addRules} for a merge that carries them: the rows the branch reads are not looked at — the merge lists
   * those that fail a check, or share a unique rule's values, as conflicts ({@link Merges#markViolations}) — and its
   * overlay holds the checks NOT VALID and the unique rules registered pending, so every row written from now on
   * keeps to them, until the merge concludes ({@link #validatePendingRules}) or is aborted ({@link
   * #unholdPendingRules}).
   */
  Uni<Void> addPendingRules(X tx, TrackedTable table, String branch, List<TableShape.Constraint> checks);

  /**
   * Validates the checks {@code branch}'s overlay of {@code table} holds pending (a merge concluding): every row
   * conflicting with one was resolved by a write the overlay held to it. A row of the overlay that fails one fails
   * it (SQLSTATE 23514). So are the unique rules it holds pending, among {@code held} (the rules the branch records
   * of the table): its rows are looked at once more first, two that share one's values failing it ({@link
   * CheckFailed} naming their keys).
   */
  Uni<Void> validatePendingRules(X tx, TrackedTable table, String branch, List<TableShape.Constraint> held);

  /**
   * Takes the checks and unique rules {@code branch}'s overlay of {@code table} holds pending off it: a merge aborted
   * puts back rows that may fail them. The branch still records them until {@link #pendingRules} finds them and they are dropped.
   */
  Uni<Void> unholdPendingRules(X tx, TrackedTable table, String branch);

  /**
   * The names among {@code rules} (checks and unique rules {@code branch} added) its overlay of {@code table} holds
   * pending, or no longer holds ({@link #unholdPendingRules}).
   */
  Uni<List<String>> pendingRules(X tx, TrackedTable table, String branch, List<String> rules);

  /**
   * Fails with {@link CheckFailed} when a row {@code branch} reads of {@code table}, or a before-image its working
   * log keeps, fails one of the CHECK constraints among {@code rules} (indexes hold rows to nothing); reads only.
   */
  Uni<Void> requireRules(X tx, TrackedTable table, String branch, List<TableShape.Constraint> rules);

  /** Drops rules {@code names} the branch added (checks or indexes) from what it holds of {@code table}. */
  Uni<Void> dropRules(X tx, TrackedTable table, String branch, List<String> names);

  /**
   * How the database defines each column of {@code changes} once changed as {@code ALTER TABLE … ALTER
   * COLUMN … TYPE … USING column::type} would change it: its type as it formats it, its default converted
   * the same way; fails with {@link Undefinable} for the first it refuses (an unknown type, a default the
   * new type cannot take, NOT NULL without a default). A change with {@code using} converts the default with the
   * expression instead, once it is known to be one expression of the column alone, of PostgreSQL's own immutable
   * functions and operators (as a CHECK is vetted). Changes nothing.
   */
  Uni<List<TableShape.Column>> redefine(X tx, List<Redefinition> changes);

  /**
   * Adds {@code columns} to what {@code branch} reads of {@code table} ({@code table} as the branch reads
   * it before; each column's default a constant), copying no row: the branch's own rows take each
   * column's default, the rows it reads from the table read it too. The table is not touched.
   */
  Uni<Void> addColumns(X tx, TrackedTable table, String branch, List<TableShape.Column> columns);

  /**
   * Drops {@code names} — columns {@code branch} added, or columns of the table but for its key — ({@code
   * table} as the branch reads it before) from what it reads of {@code table}, copying no row. The table is
   * not touched: the rows the branch has not written stop reading a column of its own it dropped.
   */
  Uni<Void> dropColumns(X tx, TrackedTable table, String branch, List<String> names);

  /**
   * {@link #dropColumns} as the first step of moving the branch to a state without those columns (a hard reset, a
   * stash saved): its rows move right after, so a backend that keeps a dropped column's values where they are (a Delta
   * table's files) need not refuse for them.
   */
  default Uni<Void> dropColumnsMoving(X tx, TrackedTable table, String branch, List<String> names) {
    return dropColumns(tx, table, branch, names);
  }

  /**
   * Shows {@code branch}'s columns of {@code table} under the names {@code renamed} gives them (stored name to
   * shown name; every column it renamed, not only this change's): its view and query views show them so,
   * everything else keeps the stored names. Reads and writes no row.
   */
  Uni<Void> renameColumns(X tx, TrackedTable table, String branch, java.util.Map<String, String> renamed);

  /**
   * Gives {@code branch} back {@code columns}, columns of the table it had dropped ({@code table} as the
   * branch reads it before), in the table's order ({@link TrackedTable#columnsRestoring}): the rows it reads
   * from the table read them again, the rows it holds have them null until {@link #fillRestoredColumns}.
   * Copies no row of the table.
   */
  Uni<Void> restoreColumns(X tx, TrackedTable table, String branch, List<TableColumn> columns);

  /**
   * Gives the rows {@code branch} holds ({@code table} as it reads it, with {@code columns} given back) their
   * values of {@code columns} at {@code target} — the default branch's state taken along a path to a commit,
   * as {@link #create} starts a branch there: the image on that path, else the table's row — then holds the
   * table's NOT NULL rules on them. For a hard reset to {@code target}, once its rows moved.
   */
  Uni<Void> fillRestoredColumns(X tx, TrackedTable table, String branch, List<TableColumn> columns, StatePath target);

  /**
   * {@link #fillRestoredColumns} for columns the table gained while {@code branch} kept its own: the rows it holds that
   * the table has no row of (rows it inserted) take the table's defaults of {@code columns} first (each row its own,
   * as an insert naming them not would; none: null), unless the path gives them an image.
   */
  Uni<Void> fillTakenColumns(X tx, TrackedTable table, String branch, List<TableColumn> columns, StatePath target);

  /**
   * Gives columns {@code branch} added their definitions {@code columns} (same names; {@code table} as the
   * branch reads it before): the rows the branch wrote are converted to a new type
   * ({@code column::type}), the rows it reads from the table read the converted default, and a column
   * made NOT NULL holds every row to it. Copies no row of the table; fails (the caller's unit rolled back)
   * when a row's value does not convert or is null.
   */
  default Uni<Void> alterColumns(X tx, TrackedTable table, String branch, List<TableShape.Column> columns) {
    return alterColumns(tx, table, branch, columns, java.util.Map.of());
  }

  /**
   * As above, the columns {@code using} names (by name) converted by its expression instead of a cast: every value the
   * branch holds of one — its rows, the before-images its working log keeps — and its constant default, which
   * {@code columns} gives converted already ({@link #redefine}). The expression was vetted by {@link #redefine}.
   */
  Uni<Void> alterColumns(X tx, TrackedTable table, String branch, List<TableShape.Column> columns,
      java.util.Map<String, String> using);

  /**
   * Gives the table's own columns {@code branch} reads the definitions {@code redefined} has for them (every
   * one it defines otherwise than the table, not only this change's; by stored name): a column made NOT NULL
   * holds the rows the branch writes to it, checked first over every row it reads (a null: fails, SQLSTATE
   * 23502, naming a key); a default set or dropped is the one its view's and its writes' inserts take; a new
   * type reads every value the branch holds as it is, checked first over every row it reads (one it would read
   * otherwise, or not at all: fails, SQLSTATE class 22), its rows from the table read through a cast.
   * Copies no row; the table is not touched.
   */
  Uni<Void> redefineColumns(X tx, TrackedTable table, String branch, List<TableShape.Column> redefined);

  /**
   * Fails as {@link #redefineColumns} would for the rows {@code branch} reads (a null in a column made NOT NULL, a
   * value a new type reads otherwise), and changes nothing: for a request that only validates.
   */
  Uni<Void> requireRedefinable(X tx, TrackedTable table, String branch, List<TableShape.Column> redefined);

  /**
   * {@link #redefineColumns} when every value the branch holds reads as it is in the types {@code redefined} gives
   * (true); else nothing changes (false): for a hard reset, which changes the types after the rows when the rows
   * it has now would not take them.
   */
  Uni<Boolean> redefineColumnsIfTheyConvert(X tx, TrackedTable table, String branch, List<TableShape.Column> redefined);

  /**
   * {@link #alterColumns} of a new type, or nothing when a value the branch reads does not convert: answers
   * whether the columns were altered. Any other failure fails.
   */
  Uni<Boolean> alterColumnsIfTheyConvert(X tx, TrackedTable table, String branch, List<TableShape.Column> columns);

  /** Removes {@code branch}'s objects of {@code table}; none there is not an error. */
  Uni<Void> remove(X tx, TrackedTable table, String branch);

  /**
   * Where clients read and write {@code table} on {@code branch}: the table's own name on the default
   * branch, else the branch's (for PostgreSQL, an updatable view); empty when the branch has none.
   */
  Uni<Optional<String>> location(X tx, TrackedTable table, BranchRef branch);
}
