package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.StorageAdded;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.refs.RepositorySnapshot;
import io.strata.projections.runtime.Projector;
import io.strata.server.domain.RepositoryState.Branch;
import io.strata.server.domain.RepositoryState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds a repository's authoritative state: the ref projections at their checkpoint, then the
 * stream's events after it. Equivalent to folding the whole stream, at the cost of the tail only.
 */
@ApplicationScoped
public class RepositoryStateLoader {
  private static final int PAGE = 1000;

  private final EventLog log;
  private final EventCodec codec;
  private final String[] projectors;

  @Inject
  public RepositoryStateLoader(EventLog log, EventCodec codec, List<Projector> metadataProjectors) {
    this.log = log;
    this.codec = codec;
    this.projectors = metadataProjectors.stream().map(Projector::name).toArray(String[]::new);
  }

  public Uni<RepositoryState> load(String repository) {
    return RepositorySnapshot.read(log.pool(), repository, projectors)
        .map(snapshot -> fromSnapshot(repository, snapshot))
        .chain(state -> foldTail(repository, state));
  }

  /** Folds every event of the stream from the start (used by tests to check {@link #load}). */
  public Uni<RepositoryState> fold(String repository) {
    return foldTail(repository, new RepositoryState(repository, 0));
  }

  private static RepositoryState fromSnapshot(String repository, RepositorySnapshot s) {
    RepositoryState state = new RepositoryState(repository, s.version());
    if (s.repository() != null) {
      Map<String, Branch> branches = new HashMap<>();
      s.branches().forEach(b -> branches.put(b.name(),
          new Branch(b.head(), b.headTime(), b.isProtected(), b.createdFrom(), b.createdAt())));
      Map<String, String> tags = new HashMap<>();
      s.tags().forEach(t -> tags.put(t.name(), t.commit()));
      Map<String, StorageAdded> storages = new HashMap<>();
      s.storages().forEach(r -> storages.put(r.name(), r.toEvent()));
      Map<String, TableTracked> tables = new HashMap<>();
      Map<String, Long> ddlRecorded = new HashMap<>();
      Map<String, List<TableSchemaChanged.BranchColumns>> branchColumns = new HashMap<>();
      Map<String, Map<String, List<TableShape.Column>>> added = new HashMap<>();
      Map<String, Map<String, Map<String, String>>> renamed = new HashMap<>();
      Map<String, Map<String, List<TableShape.Column>>> redefined = new HashMap<>();
      Map<String, Map<String, List<TableShape.Constraint>>> constraints = new HashMap<>();
      Map<String, io.strata.server.domain.BranchMadeTables.Made> made = new HashMap<>();
      s.tables().forEach(t -> {
        tables.put(t.name(), t.toEvent());
        if (t.made() != null) {
          made.put(t.name(), new io.strata.server.domain.BranchMadeTables.Made(t.made().branch(), t.made().schema(),
              t.made().table(), t.made().branches()));
        }
        branchColumns.put(t.name(), t.branchColumns());
        t.branchAdded().forEach(a -> added.computeIfAbsent(t.name(), n -> new HashMap<>()).put(a.branch(), a.columns()));
        t.branchAdded().stream().filter(a -> !a.redefined().isEmpty()).forEach(a -> redefined
            .computeIfAbsent(t.name(), n -> new HashMap<>()).put(a.branch(), a.redefined()));
        t.branchAdded().stream().filter(a -> !a.constraints().isEmpty()).forEach(a -> constraints
            .computeIfAbsent(t.name(), n -> new HashMap<>()).put(a.branch(), a.constraints()));
        t.branchRenamed().forEach(a -> renamed.computeIfAbsent(t.name(), n -> new HashMap<>()).put(a.branch(),
            a.renamed()));
        if (t.ddlThrough() > 0) {
          ddlRecorded.put(t.name(), t.ddlThrough());
        }
      });
      Map<String, RepositoryState.Merge> merges = new HashMap<>();
      s.merges().forEach(m -> merges.put(m.event().branch(), new RepositoryState.Merge(m.event(), m.remaining())));
      Map<String, RepositoryState.Rebase> rebases = new HashMap<>();
      s.rebases().forEach(r -> rebases.put(r.event().branch(), new RepositoryState.Rebase(r.event(), r.done())));
      state.restore(s.repository().name(), s.repository().description(), s.repository().defaultBranch(),
          s.commitCount(), branches, tags, storages, tables, ddlRecorded, branchColumns, merges, s.stashes(), rebases,
          s.lastPosition());
      state.restoreAdded(added);
      state.restoreRenamed(renamed);
      state.restoreRedefined(redefined);
      state.restoreConstraints(constraints);
      state.restoreMade(made);
      state.restorePolicy(s.policy());
      s.promotionEvents().forEach(state.promotions()::evolve);
    }
    return state;
  }

  private Uni<RepositoryState> foldTail(String repository, RepositoryState state) {
    return log.readStream(repository, state.version(), PAGE).chain(events -> {
      for (StoredEvent e : events) {
        state.evolve(codec.decode(e.type(), e.data()), e.streamVersion(), e.position(), e.time());
      }
      return events.size() < PAGE ? Uni.createFrom().item(state) : foldTail(repository, state);
    });
  }
}
