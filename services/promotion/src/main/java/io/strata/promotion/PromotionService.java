package io.strata.promotion;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.client.ApiException;
import io.strata.client.model.PageDtoRepositoryDto;
import io.strata.client.model.RepositoryDto;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The service's parts put together on start: the event feed marks repositories, the workers reconcile them, the
 * policy files are applied on start and whenever they change, and every repository is looked at again each resync
 * period. Nothing is kept between runs: the server's state is what the service acts on, so a restart (or a kill)
 * at any point loses nothing and repeats nothing the server would take twice.
 */
@ApplicationScoped
public class PromotionService {
  private static final Logger LOG = Logger.getLogger(PromotionService.class);

  private final ServiceConfig config;
  private StrataApi api;
  private Reconciliations reconciliations;
  private EventFeed feed;
  private PolicyFiles policyFiles;

  private final ServiceMetrics metrics;

  PromotionService(ServiceConfig config, io.micrometer.core.instrument.MeterRegistry registry) {
    this.config = config;
    this.metrics = new ServiceMetrics(registry);
  }

  void start(@Observes StartupEvent started) {
    api = StrataApi.of(config);
    List<String> only = config.repositories().orElse(List.of()).stream().map(String::trim).filter(s -> !s.isEmpty())
        .toList();
    PipelineReconciler reconciler = new PipelineReconciler(api, metrics);
    reconciliations = new Reconciliations(config.workers(), (repository, position) -> {
      long began = System.nanoTime();
      boolean done = false;
      try {
        reconciler.reconcile(repository, position);
        done = true;
      } finally {
        metrics.pass(System.nanoTime() - began, done);
      }
    }, () -> repositories(only));
    metrics.feed(this::following);
    feed = new EventFeed(api, only, (repository, position) -> {
      if (only.isEmpty() || only.contains(repository)) {
        reconciliations.mark(repository, position);
      }
    }, reconciliations::markAll, config.feedSilence());
    if (config.policyDir().filter(d -> !d.isBlank()).isPresent()) {
      Path dir = Path.of(config.policyDir().get());
      if (!Files.isDirectory(dir)) {
        throw new IllegalStateException("STRATA_PROMOTION_POLICY_DIR " + dir + " is not a directory");
      }
      policyFiles = new PolicyFiles(api, dir);
      long pollMs = Math.max(100, config.policyPoll().toMillis());
      reconciliations.scheduler().scheduleWithFixedDelay(() -> {
        try {
          policyFiles.apply().stream().filter(r -> only.isEmpty() || only.contains(r)).forEach(reconciliations::mark);
        } catch (RuntimeException e) {
          LOG.warnf("applying the policy files failed (%s): trying again", e.toString()); // a periodic task ends on a throw
        }
      }, 0, pollMs, TimeUnit.MILLISECONDS);
    }
    long resyncMs = Math.max(1000, config.resync().toMillis());
    reconciliations.scheduler().scheduleWithFixedDelay(reconciliations::markAll, resyncMs, resyncMs,
        TimeUnit.MILLISECONDS);
    feed.start();
    LOG.infof("promoting %s of %s%s", only.isEmpty() ? "every repository" : "repositories " + only, api.baseUri(),
        policyFiles == null ? "" : ", with the policy files of " + config.policyDir().get());
  }

  void stop(@Observes ShutdownEvent stopping) {
    if (feed != null) {
      feed.close();
    }
    if (reconciliations != null) {
      reconciliations.close();
    }
  }

  /** Whether the event feed is open (readiness). */
  boolean following() {
    return feed != null && feed.connected();
  }

  /** The repositories to look at: those configured, or every one the token sees. */
  private List<String> repositories(List<String> only) {
    if (!only.isEmpty()) {
      return only;
    }
    List<String> names = new ArrayList<>();
    try {
      int offset = 0;
      while (true) {
        PageDtoRepositoryDto page = api.repositories.listRepositories(1000, offset, null);
        page.getItems().stream().map(RepositoryDto::getName).forEach(names::add);
        offset += page.getItems().size();
        if (!Boolean.TRUE.equals(page.getHasMore()) || page.getItems().isEmpty()) {
          return names;
        }
      }
    } catch (ApiException e) {
      throw new IllegalStateException(StrataApi.describe(e), e);
    }
  }
}
