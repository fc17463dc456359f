package io.strata.server.application;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaChoices;
import io.strata.server.domain.SchemaMerge;
import io.strata.server.domain.StrataException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The decision of a schema merge ({@link SchemaMerges}), given every side's columns: per table, the columns
 * merged three ways ({@link SchemaMerge}), which of them the target gains, keeps as it defines them, has
 * redefined or dropped, and the conflicts that refuse the merge. Pure: it reads nothing and changes nothing.
 */
final class SchemaSettlement {
  private SchemaSettlement() {
  }

  /**
   * Settles the columns of every table of {@code state} the source tracks ({@code theirsColumns}) against the
   * target's and the base's ({@code base}: the columns the base's branch read; {@code baseTables}: the
   * tables' own shapes then; {@code theirsTables}: a commit source's, null for a live one); {@code strataAdded}
   * names the columns a side added through Strata.
   */
  static SchemaMerges.Settled settle(RepositoryState state, String target, String sourceName,
      Map<String, TableShape> base, Map<String, TableShape> baseTables, Map<String, TableShape> theirsTables,
      Map<String, TableShape> oursTables, Map<String, List<TableShape.Column>> theirsColumns,
      Map<String, Set<String>> strataAdded, Map<String, List<TableShape.Column>> theirsAdded,
      SchemaChoices choices, Map<String, Map<String, String>> baseRenamed,
      Map<String, Map<String, String>> theirsRenamed, Map<String, Map<String, TableShape.Column>> baseDefined,
      Map<String, Map<String, TableShape.Column>> theirsDefined) {
    List<SchemaMerge.Conflict> open = new ArrayList<>();
    Map<String, Set<String>> keptOurs = new TreeMap<>();
    Map<String, List<TableShape.Column>> adds = new TreeMap<>();
    Map<String, List<TableShape.Column>> brought = new TreeMap<>();
    Map<String, List<SchemaMerge.Conflict>> droppedByOurs = new TreeMap<>();
    Map<String, List<String>> drops = new TreeMap<>();
    Map<String, List<SchemaMerge.Change>> alters = new TreeMap<>();
    Map<String, List<SchemaMerge.Conflict>> droppedByTheirs = new TreeMap<>();
    Map<String, Set<String>> ownDroppedByOurs = new TreeMap<>();
    Map<String, List<String>> takes = new TreeMap<>();
    boolean intoDefault = target.equals(state.defaultBranch());
    for (TableTracked t : state.tables().values()) {
      List<TableShape.Column> theirs = theirsColumns.get(t.name());
      if (theirs == null) {
        continue; // not tracked at the source: its rows are not merged
      }
      List<TableShape.Column> baseColumns = new ArrayList<>(base.containsKey(t.name()) ? base.get(t.name()).columns()
          : List.of());
      List<TableShape.Column> ours = columnsOn(state, t, target);
      // the table's own columns the base had and a side dropped on its branch merge like the columns branches
      // added: a drop on one side is one change (dropped from a target branch other than the default one)
      // (the table had them at the base, whether or not the base's branch read them: a drop stays a drop when
      // the base is a commit of the branch that made it)
      List<TableShape.Column> baseTable = baseTables.containsKey(t.name()) ? baseTables.get(t.name()).columns()
          : List.of();
      // (a commit source whose table did not have it yet dropped nothing: the base took it since, as a merge that took
      // the columns the table gained does, and a revert of that merge leaves them)
      TableShape theirsTable = theirsTables == null ? null : theirsTables.get(t.name());
      // a column of the table the target does not read and its head's table lacked: kept out while the table gained
      // it (to take), not dropped — also when the base had it (a commit picked, a base newer than the target's fork)
      TableShape oursTable = oursTables == null ? null : oursTables.get(t.name());
      Set<String> strata = strataAdded.getOrDefault(t.name(), Set.of());
      java.util.function.Predicate<String> keptOut = n -> oursTable != null && !strata.contains(n)
          && oursTable.columns().stream().noneMatch(c -> c.name().equals(n))
          && ours.stream().noneMatch(c -> c.name().equals(n));
      Set<String> ownDropped = t.columns().stream().map(TableColumn::name)
          .filter(n -> baseTable.stream().anyMatch(c -> c.name().equals(n))
              && (ours.stream().noneMatch(c -> c.name().equals(n)) && !keptOut.test(n)
                  || theirs.stream().noneMatch(c -> c.name().equals(n))
                  && (theirsTable == null || theirsTable.columns().stream().anyMatch(c -> c.name().equals(n)))))
          .collect(Collectors.toSet());
      baseTable.stream().filter(c -> ownDropped.contains(c.name())
          && baseColumns.stream().noneMatch(x -> x.name().equals(c.name()))).forEach(baseColumns::add);
      Set<String> added = new java.util.HashSet<>(strataAdded.getOrDefault(t.name(), Set.of()));
      added.addAll(ownDropped);
      Set<String> ownLacked = ownDropped.stream().filter(n -> ours.stream().noneMatch(c -> c.name().equals(n))
          && theirs.stream().anyMatch(c -> c.name().equals(n))).collect(Collectors.toSet());
      if (!ownLacked.isEmpty()) {
        ownDroppedByOurs.put(t.name(), ownLacked);
      }
      // the table's own columns it gained since the base while the target kept the columns it had (DDL on the default
      // branch), which the source reads: a target other than the default branch takes them first, read from the table
      List<String> taking = intoDefault ? List.of() : t.columns().stream().map(TableColumn::name)
          .filter(n -> !strata.contains(n) && (baseTable.stream().noneMatch(c -> c.name().equals(n)) || keptOut.test(n))
              && ours.stream().noneMatch(c -> c.name().equals(n)) && theirs.stream().anyMatch(c -> c.name().equals(n)))
          .toList();
      if (!taking.isEmpty()) {
        takes.put(t.name(), taking);
      }
      // (resolutions settle the conflicts listed: those of columns a branch added, or of the table's it dropped)
      SchemaMerge.Result result = SchemaMerge.columns(t.name(), baseColumns, ours, theirs, choices.within(t.name(),
          added));
      Set<String> given = new java.util.HashSet<>();
      for (SchemaMerge.Conflict c : result.defined()) {
        requireReadable(c, result.columns().stream().filter(m -> m.name().equals(c.column())).findFirst()
            .orElseThrow(), sourceName, target);
        given.add(c.column());
      }
      // only columns a branch added through Strata are merged here: the table's own columns are read in the
      // table's definitions on every side, their changes made by DDL on the default branch and followed
      result.conflicts().stream().filter(x -> added.contains(x.column())).forEach(open::add);
      Set<String> merged = result.columns().stream().map(TableShape.Column::name).collect(Collectors.toSet());
      List<TableShape.Column> bringing = theirsAdded.getOrDefault(t.name(), List.of()).stream()
          .filter(c -> merged.contains(c.name())).toList();
      if (!bringing.isEmpty()) {
        brought.put(t.name(), bringing);
      }
      List<SchemaMerge.Conflict> dropped = droppedByOurs(t.name(), baseColumns, ours, theirs, added).stream()
          .filter(c -> choices.sideOnly(t.name(), c.column(), "schema_data") != SchemaMerge.Side.OURS).toList();
      if (!dropped.isEmpty()) {
        droppedByOurs.put(t.name(), dropped);
      }
      for (SchemaMerge.Change change : result.changes()) {
        boolean targetAdded = state.addedOn(t.name(), target).stream().anyMatch(c -> c.name().equals(change.column()))
            || ownDropped.contains(change.column());
        if (ownDropped.contains(change.column()) && change.ours() == null && change.merged() != null) {
          throw new StrataException(ErrorCode.ValidationError, "settling column '" + change.column() + "' of table '"
              + t.name() + "' as '" + sourceName + "' has it would give '" + target + "' back a column of the table it"
              + " dropped, which is not built yet: settle it as ours (schema_strategy ours, or a resolution)",
              Map.of("table", t.name(), "column", change.column(), "branch", target));
        }
        if (added.contains(change.column()) && change.ours() == null && change.merged() != null) {
          adds.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(change.merged());
        }
        // a column the target added, the source dropped since the base as the base had it: dropped on the
        // target (zero-copy) unless ours keeps it; its values the target changed since the base are a
        // schema_data conflict (decided with the rows). The default branch keeps it: dropping a table's
        // column is a destructive migration a merge does not make (yet)
        if (change.settled() == null && change.ours() != null && change.merged() == null && !intoDefault
            && targetAdded && choices.sideOnly(t.name(), change.column(), "schema_data") != SchemaMerge.Side.OURS) {
          drops.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(change.column());
          TableShape.Column at = baseColumns.stream().filter(c -> c.name().equals(change.column())).findFirst()
              .orElse(change.ours());
          droppedByTheirs.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(new SchemaMerge.Conflict(t.name(),
              change.column(), SchemaMerge.Kind.SCHEMA_DATA, at, change.ours(), null));
        }
        if (change.settled() == null && added.contains(change.column()) && change.ours() != null
            && change.merged() != null) {
          // theirs redefined it (altered, or dropped and added again another way) and ours kept it as the base
          // had it: another branch that added it takes the source's definition (its values converted)
          if (intoDefault || !targetAdded) {
            throw new StrataException(ErrorCode.ValidationError, "'" + sourceName + "' redefined column '"
                + change.column() + "' of table '" + t.name() + "' since the merge base (" + SchemaConflictRefusals.definition(change.merged())
                + ", '" + target + "' has " + SchemaConflictRefusals.definition(change.ours()) + "), and a merge does not redefine a column of"
                + " the table itself yet: change it on '" + target + "' the same way first",
                Map.of("table", t.name(), "column", change.column(), "branch", target));
          }
          alters.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(change);
        }
        // a settled change takes theirs or a given definition (settled as ours, the column is unchanged)
        if (change.settled() != null && added.contains(change.column()) && change.ours() != null) {
          if (intoDefault || !targetAdded) {
            throw new StrataException(ErrorCode.ValidationError, "settling the " + change.settled().kind().wire()
                + " of column '" + change.column() + "' of table '" + t.name() + "' as "
                + (given.contains(change.column()) ? "the definition given" : "theirs") + " would "
                + (change.merged() == null ? "drop" : "redefine") + " the column of the table itself, which a merge"
                + " does not do yet: settle it as ours (schema_strategy ours), or change the column on one"
                + " side first", Map.of("table", t.name(), "column", change.column(), "branch", target));
          }
          // another branch that added it takes theirs: redefined (values converted), or dropped
          if (change.merged() != null) {
            alters.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(change);
          } else {
            drops.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(change.column());
          }
        }
      }
      // the columns both sides have, defined otherwise, that keep the target's definition (it changed them since
      // the base and the source did not, or ours settled their conflict): the source's rows arrive in it
      Set<String> kept = new java.util.HashSet<>();
      for (TableShape.Column m : result.columns()) {
        TableShape.Column oc = ours.stream().filter(c -> c.name().equals(m.name())).findFirst().orElse(null);
        TableShape.Column tc = theirs.stream().filter(c -> c.name().equals(m.name())).findFirst().orElse(null);
        // (and those given a definition, which the target takes first: the source's values read in it as they are)
        if (added.contains(m.name()) && oc != null && tc != null && !SchemaMerge.same(oc, tc)
            && (SchemaMerge.same(m, oc) || given.contains(m.name()))) {
          kept.add(m.name());
        }
      }
      if (!kept.isEmpty()) {
        keptOurs.put(t.name(), kept);
      }
    }
    Map<String, Map<String, String>> renames = renames(state, target, baseRenamed, theirsRenamed, choices, adds,
        drops, open);
    Map<String, List<TableShape.Column>> redefines = RedefinitionSettlement.settle(state, target, baseDefined,
        theirsDefined, choices, open);
    if (!open.isEmpty()) {
      throw SchemaConflictRefusals.refusal(open, sourceName, target);
    }
    return new SchemaMerges.Settled(keptOurs, adds, drops, alters, brought, droppedByOurs, droppedByTheirs, ownDroppedByOurs,
        renames, redefines, ConstraintSettlement.Settled.NONE, sourceName, target, true, null, Set.of(), takes);
  }

  /**
   * The three-way merge of the names the sides show their columns under (stored name to shown name; a column
   * absent from a side's map is shown under its stored name): a rename on one side since the base is carried,
   * the same rename on both is one, two renames of one column to different names are a {@code schema_schema}
   * conflict (settled by {@code ours} or {@code theirs}), and so is a carried name another column of the
   * target shows. Answers, per table, the target's names after where they change; none for the default branch,
   * whose table keeps its names (a merge does not rename a table's column: applications read it).
   */
  private static Map<String, Map<String, String>> renames(RepositoryState state, String target,
      Map<String, Map<String, String>> baseRenamed, Map<String, Map<String, String>> theirsRenamed,
      SchemaChoices choices, Map<String, List<TableShape.Column>> adds, Map<String, List<String>> drops,
      List<SchemaMerge.Conflict> open) {
    Map<String, Map<String, String>> after = new TreeMap<>();
    if (target.equals(state.defaultBranch())) {
      return after;
    }
    for (TableTracked t : state.tables().values()) {
      Map<String, String> base = baseRenamed.getOrDefault(t.name(), Map.of());
      Map<String, String> ours = state.renamedOn(t.name(), target);
      Map<String, String> theirs = theirsRenamed.getOrDefault(t.name(), Map.of());
      boolean renaming = !ours.equals(theirs) && !base.equals(theirs);
      if (!renaming && (ours.isEmpty() || adds.getOrDefault(t.name(), List.of()).isEmpty())) {
        continue; // nothing renamed by the merge, and no column given that could meet a name the target shows
      }
      // the target's columns after the merge's schema changes, by stored name
      Set<String> columns = new java.util.LinkedHashSet<>(state.columnsOn(t.name(), target).stream()
          .map(TableColumn::name).toList());
      adds.getOrDefault(t.name(), List.of()).forEach(c -> columns.add(c.name()));
      columns.removeAll(drops.getOrDefault(t.name(), List.of()));
      Map<String, TableShape.Column> defined = new LinkedHashMap<>();
      columnsOn(state, t, target).forEach(c -> defined.put(c.name(), c));
      adds.getOrDefault(t.name(), List.of()).forEach(c -> defined.put(c.name(), c));
      Map<String, String> merged = new TreeMap<>();
      for (String stored : columns) {
        String b = base.getOrDefault(stored, stored);
        String o = ours.getOrDefault(stored, stored);
        String th = theirs.getOrDefault(stored, stored);
        String name = o;
        if (renaming && !th.equals(b) && !th.equals(o)) {
          SchemaMerge.Side side = o.equals(b) ? null : choices.sideOnly(t.name(), stored, "two names");
          if (o.equals(b) || side == SchemaMerge.Side.THEIRS) {
            name = th;
          } else if (side != SchemaMerge.Side.OURS) {
            TableShape.Column d = defined.get(stored);
            open.add(new SchemaMerge.Conflict(t.name(), stored, SchemaMerge.Kind.SCHEMA_SCHEMA, named(d, b),
                named(d, o), named(d, th)));
          }
        }
        if (!name.equals(stored)) {
          merged.put(stored, name);
        }
      }
      // a name carried that another column of the target shows (or a column given that a name it shows meets),
      // or one the table has that the target does not read: the two cannot both have it
      Set<String> tableNames = t.columns().stream().map(TableColumn::name).collect(Collectors.toSet());
      for (String stored : columns) {
        String shown = merged.getOrDefault(stored, stored);
        if (!shown.equals(ours.getOrDefault(stored, stored)) && tableNames.contains(shown) && !columns.contains(shown)) {
          TableShape.Column d = defined.get(stored);
          open.add(new SchemaMerge.Conflict(t.name(), stored, SchemaMerge.Kind.SCHEMA_SCHEMA,
              named(d, base.getOrDefault(stored, stored)), named(d, ours.getOrDefault(stored, stored)),
              named(d, shown)));
        }
      }
      Map<String, String> byShown = new java.util.HashMap<>();
      for (String stored : columns) {
        String shown = merged.getOrDefault(stored, stored);
        String other = byShown.put(shown, stored);
        if (other != null) {
          String carried = ours.getOrDefault(stored, stored).equals(shown) ? other : stored;
          TableShape.Column d = defined.get(carried);
          open.add(new SchemaMerge.Conflict(t.name(), carried, SchemaMerge.Kind.SCHEMA_SCHEMA,
              named(d, base.getOrDefault(carried, carried)), named(d, ours.getOrDefault(carried, carried)),
              named(d, shown)));
        }
      }
      Map<String, String> oursKept = new TreeMap<>(ours);
      oursKept.keySet().retainAll(columns);
      if (!merged.equals(oursKept)) {
        after.put(t.name(), merged);
      }
    }
    return after;
  }

  /** Definition {@code d} shown under {@code name}. */
  private static TableShape.Column named(TableShape.Column d, String name) {
    return d == null ? new TableShape.Column(name, "unknown", true, null, null, null, null)
        : d.named(name);
  }

  /** The columns (added through Strata) the base had, the target dropped since, and the source has as the base did. */
  private static List<SchemaMerge.Conflict> droppedByOurs(String table, List<TableShape.Column> base,
      List<TableShape.Column> ours, List<TableShape.Column> theirs, Set<String> added) {
    List<SchemaMerge.Conflict> dropped = new ArrayList<>();
    for (TableShape.Column b : base) {
      TableShape.Column t = theirs.stream().filter(c -> c.name().equals(b.name())).findFirst().orElse(null);
      if (added.contains(b.name()) && ours.stream().noneMatch(c -> c.name().equals(b.name())) && t != null
          && SchemaMerge.same(b, t)) {
        dropped.add(new SchemaMerge.Conflict(table, b.name(), SchemaMerge.Kind.SCHEMA_DATA, b, null, t));
      }
    }
    return dropped;
  }

  /**
   * Refuses (422, nothing changed) a definition given to settle {@code conflict} that a side's values would not read
   * in as they are: its type must be either side's, or wider ({@link io.strata.events.ColumnTypes#widens}), and NOT
   * NULL only where both sides have it (the source's rows arrive in it, the target's are converted to it); and one
   * whose default neither side has: the rows a branch has not written read its added column's default, so another
   * would change values neither side wrote.
   */
  private static void requireReadable(SchemaMerge.Conflict conflict, TableShape.Column definition, String source,
      String target) {
    for (TableShape.Column side : java.util.Arrays.asList(conflict.ours(), conflict.theirs())) {
      if (side == null) {
        continue;
      }
      String where = side == conflict.ours() ? target : source;
      if (!io.strata.events.ColumnTypes.same(side.type(), definition.type())
          && !io.strata.events.ColumnTypes.widens(side.type(), definition.type())) {
        throw new StrataException(ErrorCode.ValidationError, "the definition given to column '" + conflict.column()
            + "' of table '" + conflict.table() + "' is " + definition.type() + ", which does not read every value of"
            + " its " + side.type() + " on '" + where + "' as it is: give one side's type or a wider one; nothing"
            + " changed", Map.of("table", conflict.table(), "column", conflict.column(), "field", "schema_resolutions"));
      }
      if (!definition.nullable() && side.nullable()) {
        throw new StrataException(ErrorCode.ValidationError, "the definition given to column '" + conflict.column()
            + "' of table '" + conflict.table() + "' is NOT NULL, and '" + where + "' allows nulls in it: a definition"
            + " given to a conflict is NOT NULL only where both sides are; nothing changed",
            Map.of("table", conflict.table(), "column", conflict.column(), "field", "schema_resolutions"));
      }
    }
    if (java.util.stream.Stream.of(conflict.ours(), conflict.theirs()).filter(java.util.Objects::nonNull)
        .noneMatch(c -> java.util.Objects.equals(c.defaultValue(), definition.defaultValue()))) {
      throw new StrataException(ErrorCode.ValidationError, "the definition given to column '" + conflict.column()
          + "' of table '" + conflict.table() + "' has default " + definition.defaultValue() + ", which neither side"
          + " has: the rows a branch has not written read it, so it would change values neither side wrote; give one"
          + " side's default; nothing changed",
          Map.of("table", conflict.table(), "column", conflict.column(), "field", "schema_resolutions"));
    }
  }

  /**
   * The columns {@code branch} reads of table {@code t}, with their definitions: those it added through
   * Strata as it added them, the table's as the table has them (a column the branch kept from before the
   * table changed it: its name, type and nullability).
   */
  static List<TableShape.Column> columnsOn(RepositoryState state, TableTracked t, String branch) {
    Map<String, TableShape.Column> defined = new LinkedHashMap<>();
    if (t.shape() != null) {
      t.shape().columns().forEach(c -> defined.put(c.name(), c));
    }
    state.redefinedOn(t.name(), branch).forEach(c -> defined.put(c.name(), c));
    state.addedOn(t.name(), branch).forEach(c -> defined.put(c.name(), c));
    List<TableShape.Column> columns = new ArrayList<>();
    for (TableColumn c : state.columnsOn(t.name(), branch)) {
      TableShape.Column d = defined.get(c.name());
      columns.add(d != null && d.type().equals(c.type()) && d.nullable() == c.nullable() ? d
          : new TableShape.Column(c.name(), c.type(), c.nullable(), null, null, null, null));
    }
    return columns;
  }
}
