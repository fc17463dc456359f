package io.strata.server.reactors;

import io.smallrye.mutiny.Uni;
import io.strata.server.reactors.ReactorCheckpoints.Status;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reactors running in this server (the Kafka relay, webhooks, ...), so that operators can see every
 * reactor's checkpoint and lag from the shared table and, for the ones running here, whether this server
 * holds the lease and why its batches fail.
 */
@ApplicationScoped
public class Reactors {
  private final Map<String, FeedReactor> running = new ConcurrentHashMap<>();

  @Inject ReactorCheckpoints checkpoints;

  /** {@code reactor} runs in this server from now on. */
  public void register(FeedReactor reactor) {
    running.put(reactor.name(), reactor);
  }

  /** {@code reactor} stopped. */
  public void unregister(FeedReactor reactor) {
    running.remove(reactor.name(), reactor);
  }

  /**
   * Every reactor known to the database or running here, by name. A reactor running here that never
   * claimed its lease (its database calls fail, say) has no status yet, only its state here.
   */
  public Uni<List<Report>> report() {
    return checkpoints.list().map(statuses -> {
      Map<String, Report> byName = new TreeMap<>();
      statuses.forEach(s -> byName.put(s.name(), new Report(s.name(), Optional.of(s), here(s.name()))));
      running.keySet().forEach(name -> byName.computeIfAbsent(name, n -> new Report(n, Optional.empty(), here(n))));
      return new ArrayList<>(byName.values());
    });
  }

  private Optional<FeedReactor.State> here(String name) {
    return Optional.ofNullable(running.get(name)).map(FeedReactor::state);
  }

  /** A reactor as the database records it, and as this server runs it (if it does). */
  public record Report(String name, Optional<Status> status, Optional<FeedReactor.State> here) {}
}
