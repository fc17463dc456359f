package io.strata.benchmarks;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * CPU time spent by the processes of a benchmark, by group (a server, its PostgreSQL, the driver, a
 * broker), from the operating system's accounting ({@link ProcessHandle.Info#totalCpuDuration}): on
 * a machine whose cores they share, it tells which of them a slower run paid for. A PostgreSQL is
 * found by its data directory on the postmaster's command line, with the backends it started; a
 * backend that exited meanwhile is not counted (the servers' pools keep theirs).
 */
final class CpuUse {
  private final Map<String, Supplier<Stream<ProcessHandle>>> groups = new LinkedHashMap<>();

  /** A process and its descendants. */
  CpuUse process(String group, long pid) {
    groups.put(group, () -> ProcessHandle.of(pid).stream().flatMap(p -> Stream.concat(Stream.of(p), p.descendants())));
    return this;
  }

  /** This process alone (not the children it started). */
  CpuUse self(String group) {
    groups.put(group, () -> Stream.of(ProcessHandle.current()));
    return this;
  }

  /** The processes whose command line contains {@code marker}, and their descendants. */
  CpuUse commandLine(String group, String marker) {
    groups.put(group, () -> ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .flatMap(p -> Stream.concat(Stream.of(p), p.descendants())));
    return this;
  }

  /** CPU time of each group now, in milliseconds. */
  Map<String, Long> sample() {
    Map<String, Long> out = new LinkedHashMap<>();
    groups.forEach((name, processes) -> out.put(name, processes.get().distinct()
        .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toMillis).orElse(0L)).sum()));
    return out;
  }

  /** What each group spent from {@code before} to {@code after}. */
  static Map<String, Long> spent(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> out = new LinkedHashMap<>();
    after.forEach((name, ms) -> out.put(name, ms - before.getOrDefault(name, 0L)));
    return out;
  }
}
