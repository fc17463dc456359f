package io.strata.server.runtime;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.events.EventCodec;
import io.strata.projections.MetadataProjectors;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.log.EventLog;
import io.strata.projections.overlay.StrataLayout;
import io.strata.projections.promotion.PromotionEventQueries;
import io.strata.projections.promotion.PromotionPolicyQueries;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.runtime.Projector;
import io.strata.projections.storage.StorageQueries;
import io.strata.projections.tables.TableQueries;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.jboss.logging.Logger;

/** Wires the event log, the projections and their queries onto the metadata database's pool. */
@ApplicationScoped
public class Infrastructure {
  private static final Logger LOG = Logger.getLogger(Infrastructure.class);

  @Produces
  @Singleton
  EventCodec codec() {
    return new EventCodec();
  }

  @Produces
  @Singleton
  EventLog eventLog(Pool pool, EventCodec codec, StrataConfig config) {
    return new EventLog(pool, codec, config.idempotency().ttl());
  }

  @Produces
  @Singleton
  List<Projector> metadataProjectors() {
    return MetadataProjectors.all();
  }

  @Produces
  @Singleton
  ProjectionRuntime projectionRuntime(Vertx vertx, EventLog log, EventCodec codec, List<Projector> projectors,
      StrataConfig config, io.micrometer.core.instrument.MeterRegistry registry) {
    ProjectionRuntime runtime = new ProjectionRuntime(vertx, log, codec, projectors, config.projections().pollInterval());
    // as the runtime's last poll found them: a scrape reads no table
    io.micrometer.core.instrument.Gauge.builder("strata.projection.lag.events", runtime, ProjectionRuntime::lagEvents)
        .description("Events appended but not projected yet (at the projections' last poll)").register(registry);
    io.micrometer.core.instrument.Gauge.builder("strata.projection.lag.seconds", runtime, ProjectionRuntime::lagSeconds)
        .description("How long the projections have been behind without catching up").register(registry);
    return runtime;
  }

  @Produces
  @Singleton
  RefQueries refQueries(Pool pool) {
    return new RefQueries(pool);
  }

  @Produces
  @Singleton
  PromotionPolicyQueries promotionPolicyQueries(Pool pool) {
    return new PromotionPolicyQueries(pool);
  }

  @Produces
  @Singleton
  PromotionEventQueries promotionEventQueries(Pool pool) {
    return new PromotionEventQueries(pool);
  }

  @Produces
  @Singleton
  CommitGraph commitGraph(Pool pool) {
    return new CommitGraph(pool);
  }

  @Produces
  @Singleton
  StorageQueries storageQueries(Pool pool) {
    return new StorageQueries(pool);
  }

  @Produces
  @Singleton
  TableQueries tableQueries(Pool pool) {
    return new TableQueries(pool);
  }

  @Produces
  @Singleton
  Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * Strata's objects in the server's own database are brought to this build's layout, and projections
   * catch up with the log, before the server takes requests (Flyway has run by now). Other storages
   * are upgraded when first used ({@link StoragePools}).
   */
  void start(@Observes StartupEvent event, ProjectionRuntime runtime, Pool pool) {
    StrataLayout.upgrade(pool).await().atMost(Duration.ofSeconds(60));
    runtime.start().await().atMost(Duration.ofSeconds(60));
  }

  /** Before the pool closes: the batches under way end, and none starts after (the next start goes on). */
  void stop(@Observes ShutdownEvent event, ProjectionRuntime runtime) {
    try {
      runtime.stop().await().atMost(Duration.ofSeconds(10));
    } catch (RuntimeException slow) {
      LOG.warnf("projections did not stop in time; the next start goes on from their checkpoints: %s",
          slow.getMessage());
    }
  }
}
