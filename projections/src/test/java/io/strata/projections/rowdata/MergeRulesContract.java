package io.strata.projections.rowdata;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.Merges.Conflict;
import io.strata.projections.rowdata.Merges.FieldConflict;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.projections.rowdata.Merges.TableMerge;
import io.strata.projections.rowdata.merge.JsonValues;
import io.strata.projections.rowdata.merge.MergeColumns;
import io.strata.projections.rowdata.merge.MergeTally;
import io.strata.projections.rowdata.merge.RowMerge;
import io.strata.projections.rowdata.merge.Settlement;
import io.strata.projections.rowdata.merge.Settlement.KeyMerge;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * The backend's merges decide as the merge rules ({@code rowdata.merge}, the definition) do, over
 * random three-way inputs ({@link ThreeWayCase}: a composite key, nullable columns, a jsonb column
 * merged key by key, a derived column, inserts, updates and deletes on either side in one or two
 * commits): for each strategy, merged into the default branch and into another, and a revert of a
 * side's first commit (a plan whose base is no ancestor of its sides), the plan's counts, its conflicts
 * (key, kind, fields and their three values) and the rows the merge writes.
 */
public abstract class MergeRulesContract<X> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final BranchRef MAIN = new BranchRef(RowDataBackend.DEFAULT_BRANCH, true);
  private static final BranchRef DEV = new BranchRef("dev", false);

  protected abstract RowDataBackend<X> backend();

  /** What the backend did for one merge: the plan, its conflicts, the merge applied and the rows after. */
  private record Done(TableMerge plan, List<Conflict> conflicts, TableMerge applied, List<String> rows) {}

  @Property(tries = 25)
  @StatisticsReport(onFailureOnly = true)
  void theBackendMergesAsTheRulesDecide(@ForAll Random random) {
    RowDataBackend<X> b = backend();
    ThreeWayCase c = b.jsonColumns() ? ThreeWayCase.random(random) : ThreeWayCase.random(random).withDocAsText();
    List<String> kinds = new ArrayList<>(List.of("modify_modify", "delete_modify", "modify_delete", "add_add"));
    if (b.jsonColumns()) {
      kinds.add("jsonb key by key");
    }
    Statistics.label("cases").coverage(coverage -> {
      for (String kind : kinds) {
        coverage.check(kind).count(n -> n > 0);
      }
    });
    TrackedTable t = b.newMergeTable("repo_" + UUID.randomUUID().toString().substring(0, 8), c.baseRows());
    b.inUnitOfWork(t, x -> b.branchObjects().create(x, t, DEV.name(), StatePath.WORKING));
    List<String> ours = commit(t, MAIN, c.oursCommits());
    List<String> theirs = commit(t, DEV, c.theirsCommits());
    MergeColumns columns = MergeColumns.of(t.columns(), b.derivedColumns());
    collect(c, columns);
    for (Strategy strategy : Strategy.values()) {
      check(t, MAIN, x -> b.merges().plan(x, t, MAIN, ours, theirs, strategy), c.keys(), columns, strategy,
          "merging dev into main");
      check(t, DEV, x -> b.merges().plan(x, t, DEV, theirs, ours, strategy), c.swapped().keys(), columns, strategy,
          "merging main into dev");
      // a revert of a side's first commit on its second: the base is the first's rows, theirs the fork's
      if (ours.size() == 2) {
        List<String> first = ours.subList(0, 1);
        check(t, MAIN, x -> b.merges().plan(x, t, MAIN, first, ours, first, List.of(), strategy),
            c.revertingFirst(c.oursCommits(), ThreeWayCase.Images::ours), columns, strategy, "reverting main's first");
      }
      if (theirs.size() == 2) {
        List<String> first = theirs.subList(0, 1);
        check(t, DEV, x -> b.merges().plan(x, t, DEV, first, theirs, first, List.of(), strategy),
            c.revertingFirst(c.theirsCommits(), ThreeWayCase.Images::theirs), columns, strategy, "reverting dev's first");
      }
    }
  }

  /**
   * What the case holds, per kind of conflict and for a jsonb column both sides changed that merges
   * key by key; every one of them must come up in a run.
   */
  private static void collect(ThreeWayCase c, MergeColumns columns) {
    c.keys().values().forEach(i -> {
      RowMerge.Outcome out = RowMerge.merge(i.base(), i.ours(), i.theirs(), columns);
      if (out.conflicts()) {
        Statistics.label("cases").collect(out.kind().wire());
      } else if (i.base() != null && i.ours() != null && i.theirs() != null
          && !JsonValues.same(i.base().get("doc"), i.ours().get("doc"))
          && !JsonValues.same(i.base().get("doc"), i.theirs().get("doc"))
          && !JsonValues.same(i.ours().get("doc"), i.theirs().get("doc"))) {
        Statistics.label("cases").collect("jsonb key by key");
      }
    });
  }

  /**
   * Runs {@code plan} into {@code target} and applies it, rolled back, and checks what the backend did
   * against what the rules decide for {@code keys}.
   */
  private void check(TrackedTable t, BranchRef target, Function<X, Uni<TableMerge>> plan,
      Map<List<Object>, ThreeWayCase.Images> keys, MergeColumns columns, Strategy strategy, String what) {
    RowDataBackend<X> b = backend();
    Done done = b.inRolledBackUnitOfWork(t, x -> plan.apply(x)
        .chain(planned -> b.merges().plannedConflicts(x, t, 1000)
            .chain(conflicts -> b.merges().apply(x, t, target)
                .chain(applied -> b.stateReads().page(x, t, target, StatePath.WORKING, Map.of(), null, 1000)
                    .map(page -> new Done(planned, conflicts, applied, page.rows()))))));
    Map<List<Object>, KeyMerge> decided = new LinkedHashMap<>();
    keys.forEach((k, i) -> decided.put(k, Settlement.decide(i.base(), i.ours(), i.theirs(), columns, strategy)));
    String where = what + " with " + strategy.wire() + ":\n" + ThreeWayCase.describe(keys);

    MergeTally tally = MergeTally.of(decided.values());
    TableMerge expected = new TableMerge(t.name(), tally.changes(), tally.conflicts(), tally.unsettled(), null);
    assertThat(withoutHash(done.plan())).as(where).isEqualTo(expected);
    assertThat(withoutHash(done.applied())).as(where).isEqualTo(expected);
    assertThat(done.plan().conflictsHash() == null).as(where).isEqualTo(tally.conflicts() == 0);

    List<String> conflicts = new ArrayList<>();
    decided.forEach((k, m) -> {
      if (m.outcome().conflicts()) {
        ThreeWayCase.Images i = keys.get(k);
        conflicts.add(describe(JSON.valueToTree(k).toString(), m.outcome().kind().wire(),
            m.outcome().fields().stream().map(f -> new FieldConflict(f, text(i.base(), f), text(i.ours(), f),
                text(i.theirs(), f))).toList()));
      }
    });
    assertThat(done.conflicts().stream().map(x -> describe(x.key(), x.type(), x.fields())).sorted().toList())
        .as(where).isEqualTo(conflicts.stream().sorted().toList());

    Map<String, ObjectNode> rows = new TreeMap<>();
    decided.forEach((k, m) -> {
      if (m.merged() != null) {
        rows.put(k.toString(), columns.derived().isEmpty() ? m.merged() : ThreeWayCase.derive(m.merged().deepCopy()));
      }
    });
    Map<String, ObjectNode> found = new TreeMap<>();
    for (String row : done.rows()) {
      ObjectNode r = (ObjectNode) read(row);
      found.put(List.of(r.get("k1").asInt(), r.get("k2").asText()).toString(), r);
    }
    assertThat(found.keySet()).as(where).isEqualTo(rows.keySet());
    rows.forEach((k, row) -> assertThat(JsonValues.same(found.get(k), row))
        .as(where + "row " + k + ": " + found.get(k) + ", expected " + row).isTrue());
  }

  private static TableMerge withoutHash(TableMerge m) {
    return new TableMerge(m.table(), m.changes(), m.conflicts(), m.unsettled(), null);
  }

  /** A conflict as text, its values normalised (numbers by value: {@code 1.0} is {@code 1}). */
  private static String describe(String key, String type, List<FieldConflict> fields) {
    StringBuilder s = new StringBuilder(normal(read(key)) + " " + type);
    fields.stream().sorted(java.util.Comparator.comparing(FieldConflict::name)).forEach(f -> s.append(' ')
        .append(f.name()).append('=').append(normal(read(f.base()))).append('/').append(normal(read(f.ours())))
        .append('/').append(normal(read(f.theirs()))));
    return s.toString();
  }

  /** A field's value in a conflict: JSON null where the side has no row (the conflict's type says so). */
  private static String text(ObjectNode row, String field) {
    return row == null ? "null" : row.get(field).toString();
  }

  private static JsonNode read(String json) {
    try {
      return json == null ? null : JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(json, e);
    }
  }

  /**
   * The value with every number in its plainest form, objects' keys sorted; a side without a row reads JSON null
   * however the backend tells it (no value, or {@code null}: the API answers both as null).
   */
  private static String normal(JsonNode value) {
    if (value == null) {
      return "null";
    }
    if (value.isNumber()) {
      return value.decimalValue().stripTrailingZeros().toPlainString();
    }
    if (value.isObject()) {
      TreeMap<String, String> fields = new TreeMap<>();
      value.fields().forEachRemaining(f -> fields.put(f.getKey(), normal(f.getValue())));
      return fields.toString();
    }
    if (value.isArray()) {
      List<String> items = new ArrayList<>();
      value.forEach(v -> items.add(normal(v)));
      return items.toString();
    }
    return value.toString();
  }

  /** Writes each commit's images to the branch and captures it; the change sets, oldest first. */
  private List<String> commit(TrackedTable t, BranchRef branch, List<Map<List<Object>, ObjectNode>> commits) {
    RowDataBackend<X> b = backend();
    List<String> changeSets = new ArrayList<>();
    for (Map<List<Object>, ObjectNode> images : commits) {
      if (images.isEmpty()) {
        continue;
      }
      ArrayNode rows = JsonNodeFactory.instance.arrayNode();
      StringBuilder marks = new StringBuilder();
      String given = "1".repeat(t.columns().size());
      images.forEach((k, row) -> {
        if (row == null) {
          rows.addObject().put("k1", (Integer) k.get(0)).put("k2", (String) k.get(1));
          marks.append('d').append(given);
        } else {
          rows.add(row);
          marks.append('u').append(given);
        }
      });
      RowBatch batch = new RowBatch(rows.toString(), marks.toString(), images.size());
      b.inUnitOfWork(t, x -> b.workingState().apply(x, t, branch, batch)
          .chain(() -> b.changeSets().capture(x, t, branch, true, null)))
          .ifPresent(captured -> changeSets.add(captured.changeSet()));
    }
    return changeSets;
  }

}
