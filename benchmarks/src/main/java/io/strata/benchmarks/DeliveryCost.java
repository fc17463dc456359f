package io.strata.benchmarks;

import static io.strata.benchmarks.EventsLoad.expect;
import static io.strata.benchmarks.EventsLoad.send;
import static io.strata.benchmarks.EventsOut.await;
import static io.strata.benchmarks.EventsOut.lagOrMinus;
import static io.strata.benchmarks.EventsOut.median;
import static io.strata.benchmarks.EventsOut.repository;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CPU time a server and its PostgreSQL spend per webhook delivery, everything a delivery costs
 * them included: queueing it (the reactor's insert), claiming, reading the queue, signing, the HTTP
 * exchange and recording it. Measured on each server as the difference of two kinds of rounds with the
 * same commits paced at {@link #PACE}/s (open loop, so both kinds do the same commit work): one with
 * the server's {@link Receiver#ENDPOINTS} endpoints enabled, one with them disabled (a disabled
 * endpoint gets no deliveries). A round's window runs from its first commit until its commits are all
 * delivered (on) or the webhooks reactor has read them (off), so the tail of the deliveries is in it.
 * Per delivery: (CPU per commit on - CPU per commit off) / endpoints, from the totals of all rounds;
 * the rounds' own figures (on and off taken pairwise) are printed to show the noise. The server's JIT
 * compiler threads are counted apart: code compiled late (on a loaded machine, minutes after the
 * start) would otherwise be charged to whichever rounds it fell in; the warm-up goes on while they
 * are busy. The transactions the server's PostgreSQL committed per delivery are counted the same way
 * (pg_stat_database, read 1.1 s after the window's ends: a backend reports its counts within a
 * second), a figure that does not depend on the machine's load. With several
 * servers (another build of Strata, say) the rounds alternate between them, so each figure saw the
 * same machine.
 *
 * <p>Standalone: {@code DeliveryCost <seconds> <rounds> (<name> <url> <pid> <data-dir>)...}.
 */
final class DeliveryCost {
  /** Commits per second in every round. */
  static final double PACE = 100;
  private static final Pattern ENDPOINT_ID = Pattern.compile("\"id\":\"(wh_[0-9a-f]+)\"");

  /** A server measured: its base URL, and the processes whose CPU time counts (it and its PostgreSQL). */
  record Server(String name, String url, long pid, String dataDir) {}

  private static final class Measured {
    final Server server;
    final CpuUse cpu = new CpuUse();
    final List<String> endpoints = new ArrayList<>();
    List<String> apis;
    /**
     * Per kind (0 on, 1 off), per round: CPU (ms) of the server, of its PostgreSQL, of the server's JIT
     * compiler threads (part of the server's), commits, and transactions of its PostgreSQL.
     */
    final List<List<long[]>> rounds = List.of(new ArrayList<>(), new ArrayList<>());
    private Connection stats;

    Measured(Server server) {
      this.server = server;
      cpu.process("strata", server.pid()).commandLine("postgres", server.dataDir() + "/postgres")
          .compilerThreads("jit", server.pid());
    }

    /** Transactions committed or rolled back in the server's database so far (data dir's database.url). */
    long transactions() throws Exception {
      if (stats == null) {
        URI url = URI.create(Files.readString(Path.of(server.dataDir(), "database.url")).strip());
        String[] user = url.getUserInfo().split(":", 2);
        stats = DriverManager.getConnection("jdbc:postgresql://" + url.getHost() + ":" + url.getPort() + url.getPath(),
            user[0], user.length > 1 ? user[1] : "");
      }
      try (Statement st = stats.createStatement(); ResultSet rs = st.executeQuery("select xact_commit + xact_rollback"
          + " from pg_stat_database where datname = current_database()")) {
        rs.next();
        return rs.getLong(1);
      } catch (SQLException e) {
        throw new IllegalStateException(server.name() + ": reading pg_stat_database failed", e);
      }
    }
  }

  private final Receiver receiver;
  private final List<Measured> servers = new ArrayList<>();

  DeliveryCost(Receiver receiver, List<Server> servers) {
    this.receiver = receiver;
    servers.forEach(s -> this.servers.add(new Measured(s)));
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 6 || (args.length - 2) % 4 != 0) {
      System.err.println("usage: DeliveryCost <seconds> <rounds> (<name> <url> <pid> <data-dir>)...");
      System.exit(2);
    }
    List<Server> servers = new ArrayList<>();
    for (int i = 2; i < args.length; i += 4) {
      servers.add(new Server(args[i], args[i + 1].replaceAll("/$", ""), Long.parseLong(args[i + 2]), args[i + 3]));
    }
    try (Receiver receiver = new Receiver()) {
      new DeliveryCost(receiver, servers).run(Double.parseDouble(args[0]), Integer.parseInt(args[1]));
    }
    System.exit(0);
  }

  /** Sets up, warms up (rounds of each kind per server, not reported), measures and prints. */
  void run(double seconds, int rounds) throws Exception {
    for (Measured m : servers) {
      for (int e = 0; e < Receiver.ENDPOINTS; e++) {
        Matcher id = ENDPOINT_ID.matcher(expect(send("POST", m.server.url() + "/api/v1/webhooks",
            "{\"url\":\"http://127.0.0.1:" + receiver.port() + "/hook/" + e + "\",\"description\":\"cost " + e
                + "\",\"filter\":{}}"), 201));
        if (!id.find()) {
          throw new IllegalStateException("no endpoint id");
        }
        m.endpoints.add(id.group(1));
      }
      String stamp = Long.toHexString(System.nanoTime());
      m.apis = List.of(repository(m.server.url(), "cost-a-" + stamp, "h"), repository(m.server.url(), "cost-b-" + stamp, "h"));
    }
    // the sender's and the commits' code compiled before any round counts: at least 2 warm-up pairs,
    // and more (up to 10) while the JIT compilers still spent over a tenth of a server's CPU time
    for (int w = 0; w < 10; w++) {
      boolean compiling = false;
      for (Measured m : servers) {
        round(m, true, seconds);
        round(m, false, seconds);
        long[] last = m.rounds.get(0).get(m.rounds.get(0).size() - 1);
        compiling |= last[2] * 10 > last[0];
      }
      if (w >= 1 && !compiling) {
        System.out.printf(Locale.ROOT, "warmed up in %d pairs of rounds%n", w + 1);
        break;
      }
    }
    for (Measured m : servers) {
      m.rounds.forEach(List::clear);
    }
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < servers.size(); k++) {
        Measured m = servers.get((r + k) % servers.size());
        boolean onFirst = (r % 2) == 0;
        round(m, onFirst, seconds);
        round(m, !onFirst, seconds);
      }
    }
    for (Measured m : servers) {
      for (String id : m.endpoints) { // disabled again: later steps see only their own endpoints
        expect(send("PATCH", m.server.url() + "/api/v1/webhooks/" + id, "{\"enabled\":false}"), 200);
      }
    }
    print(seconds, rounds);
  }

  /** One round: the endpoints enabled or not, commits paced for {@code seconds}, until all is sent. */
  private void round(Measured m, boolean on, double seconds) throws Exception {
    for (String id : m.endpoints) {
      expect(send("PATCH", m.server.url() + "/api/v1/webhooks/" + id, "{\"enabled\":" + on + "}"), 200);
    }
    if (!await(() -> lagOrMinus(m.server.url(), "webhooks") == 0, 120)) {
      throw new IllegalStateException(m.server.name() + ": the webhooks reactor did not catch up in 120 s");
    }
    Thread.sleep(1100); // what the backends did before the window is reported
    long xactsBefore = m.transactions();
    Map<String, Long> before = m.cpu.sample();
    Paced p = Paced.commit(m.apis, PACE, seconds);
    List<String> ids = List.of(p.ids);
    boolean done = on ? await(() -> receiver.received(ids) == (long) ids.size() * Receiver.ENDPOINTS, 300)
        : await(() -> lagOrMinus(m.server.url(), "webhooks") == 0, 120);
    Map<String, Long> spent = CpuUse.spent(before, m.cpu.sample());
    Thread.sleep(1100); // what they did in it is reported
    long xacts = m.transactions() - xactsBefore;
    if (!done) {
      throw new IllegalStateException(m.server.name() + ": " + (on ? "deliveries missing" : "reactor behind")
          + " after the round");
    }
    m.rounds.get(on ? 0 : 1).add(new long[] {spent.get("strata"), spent.get("postgres"), spent.get("jit"), ids.size(), xacts});
  }

  private void print(double seconds, int rounds) {
    System.out.printf(Locale.ROOT, "CPU per webhook delivery (server + its PostgreSQL; %d endpoints, commits paced at"
        + " %.0f/s, %d rounds of %.0f s with the endpoints enabled vs disabled; microseconds; 'no JIT' leaves out the"
        + " server's JIT compiler threads, a one-time cost; xacts: its PostgreSQL's transactions per delivery):%n",
        Receiver.ENDPOINTS, PACE, rounds, seconds);
    System.out.printf(Locale.ROOT, "  %-10s %8s %8s %8s %10s %8s %8s %13s %7s  %s%n", "server", "Strata", "its JIT",
        "no JIT", "PostgreSQL", "both", "no JIT", "off ms/commit", "xacts", "rounds (both, no JIT)");
    for (Measured m : servers) {
      double[] on = perCommit(m.rounds.get(0));
      double[] off = perCommit(m.rounds.get(1));
      List<Double> pairs = new ArrayList<>();
      for (int r = 0; r < m.rounds.get(0).size(); r++) {
        double[] a = perCommit(List.of(m.rounds.get(0).get(r)));
        double[] b = perCommit(List.of(m.rounds.get(1).get(r)));
        pairs.add(perDelivery(a[0] - a[2] + a[1], b[0] - b[2] + b[1]));
      }
      System.out.printf(Locale.ROOT, "  %-10s %8.0f %8.0f %8.0f %10.0f %8.0f %8.0f %13.2f %7.3f  %s (median %.0f)%n",
          m.server.name(), perDelivery(on[0], off[0]), perDelivery(on[2], off[2]),
          perDelivery(on[0] - on[2], off[0] - off[2]), perDelivery(on[1], off[1]),
          perDelivery(on[0] + on[1], off[0] + off[1]), perDelivery(on[0] - on[2] + on[1], off[0] - off[2] + off[1]),
          off[0] + off[1], (on[3] - off[3]) / Receiver.ENDPOINTS, pairs.stream().map(x -> String.format(Locale.ROOT, "%.0f", x)).toList(), median(pairs));
    }
  }

  /**
   * CPU ms per commit of the server, of its PostgreSQL and of the server's JIT, and its PostgreSQL's
   * transactions per commit, over these rounds.
   */
  private static double[] perCommit(List<long[]> rounds) {
    double[] sums = new double[4];
    long commits = 0;
    for (long[] r : rounds) {
      for (int i = 0; i < 3; i++) {
        sums[i] += r[i];
      }
      sums[3] += r[4];
      commits += r[3];
    }
    for (int i = 0; i < 4; i++) {
      sums[i] /= Math.max(1, commits);
    }
    return sums;
  }

  /** Microseconds per delivery from ms per commit with the endpoints on and off. */
  private static double perDelivery(double onMs, double offMs) {
    return (onMs - offMs) * 1000 / Receiver.ENDPOINTS;
  }
}
