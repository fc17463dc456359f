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
  /** Groups of a process's JIT compiler threads: the process id. */
  private final Map<String, Long> threadGroups = new LinkedHashMap<>();

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

  /**
   * The JIT compiler threads of a process (C1 and C2): a one-time cost of code not yet compiled, kept
   * apart so that a figure for steady work can leave it out. Read from /proc (clock ticks, 10 ms).
   */
  CpuUse compilerThreads(String group, long pid) {
    threadGroups.put(group, pid);
    return this;
  }

  private static long compilerTicks(long pid) {
    long ticks = 0;
    java.io.File[] tasks = new java.io.File("/proc/" + pid + "/task").listFiles();
    for (java.io.File task : tasks == null ? new java.io.File[0] : tasks) {
      try {
        String stat = java.nio.file.Files.readString(task.toPath().resolve("stat"));
        int close = stat.lastIndexOf(')');
        String comm = stat.substring(stat.indexOf('(') + 1, close);
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
          String[] fields = stat.substring(close + 2).split(" ");
          ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
        }
      } catch (java.io.IOException | RuntimeException gone) {
        // a thread that ended meanwhile
      }
    }
    return ticks;
  }

  /** CPU time of each group now, in milliseconds. */
  Map<String, Long> sample() {
    Map<String, Long> out = new LinkedHashMap<>();
    groups.forEach((name, processes) -> out.put(name, processes.get().distinct()
        .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toMillis).orElse(0L)).sum()));
    threadGroups.forEach((name, pid) -> out.put(name, compilerTicks(pid) * 10)); // USER_HZ 100
    return out;
  }

  /** What each group spent from {@code before} to {@code after}. */
  static Map<String, Long> spent(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> out = new LinkedHashMap<>();
    after.forEach((name, ms) -> out.put(name, ms - before.getOrDefault(name, 0L)));
    return out;
  }
}
