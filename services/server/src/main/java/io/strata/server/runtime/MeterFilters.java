package io.strata.server.runtime;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * How the meters are shaped: latencies as histograms with a dozen fixed buckets from 1 ms to 30 s ({@link #BUCKETS}),
 * so that a route's p95 comes from a scrape while a server with a hundred routes keeps a bounded number of series
 * (Micrometer's own percentile histogram has some seventy buckets per series).
 */
@Singleton
public class MeterFilters {
  /** The buckets of every latency histogram. */
  public static final java.time.Duration[] BUCKETS = java.util.stream.Stream.of(1, 5, 10, 25, 50, 100, 250, 500, 1000,
      2500, 5000, 10000, 30000).map(java.time.Duration::ofMillis).toArray(java.time.Duration[]::new);
  @Produces
  @Singleton
  public MeterFilter httpRequestHistograms() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        return id.getName().equals("http.server.requests")
            ? DistributionStatisticConfig.builder().serviceLevelObjectives(java.util.Arrays.stream(BUCKETS)
                .mapToDouble(d -> d.toNanos()).toArray()).build().merge(config)
            : config;
      }
    };
  }
}
