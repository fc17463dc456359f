package io.strata.server.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.events.Author;
import io.strata.events.BranchCreated;
import io.strata.events.CommitCreated;
import io.strata.events.CommitIds;
import io.strata.events.StrataEvent;
import io.strata.server.domain.Commands.Command;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Model-based test of the command side: random command sequences run through {@link RepositoryDecider}
 * and {@link RepositoryState} and, side by side, through a tiny reference model (branch -> head, a
 * parent map, tags). Every outcome (accepted, or refused with which error) and every resulting ref
 * must agree, and replaying the produced events must rebuild the same state.
 *
 * <p>CI runs a fixed seed; {@code -Dstrata.model.runs=N -Dstrata.model.steps=M -Dstrata.model.seed=S}
 * scale it up or reproduce a failure.
 */
class RepositoryModelTest {
  private static final List<String> NAMES = List.of("main", "dev", "feature/x", "feature/x/y", "hotfix", "rel");
  private static final Author ADA = new Author("Ada", "ada@example.com");

  /** The reference: what a repository's refs should be, computed the obvious way. */
  private static final class Model {
    boolean exists;
    String defaultBranch;
    final Map<String, String> heads = new HashMap<>();
    final Set<String> protectedBranches = new HashSet<>();
    final Map<String, String> tags = new HashMap<>();
    final Map<String, List<String>> parents = new HashMap<>();
    long commits;

    boolean reachable(String commit, String from) {
      ArrayDeque<String> todo = new ArrayDeque<>(List.of(from));
      Set<String> seen = new HashSet<>();
      while (!todo.isEmpty()) {
        String c = todo.pop();
        if (c.equals(commit)) {
          return true;
        }
        if (seen.add(c)) {
          todo.addAll(parents.getOrDefault(c, List.of()));
        }
      }
      return false;
    }

    boolean mergedElsewhere(String branch) {
      String head = heads.get(branch);
      return heads.entrySet().stream().anyMatch(e -> !e.getKey().equals(branch) && reachable(head, e.getValue()));
    }
  }

  @Test
  void deciderAgreesWithTheReferenceModel() {
    long seed = Long.getLong("strata.model.seed", 20261120L);
    int runs = Integer.getInteger("strata.model.runs", 200);
    int steps = Integer.getInteger("strata.model.steps", 120);
    for (int run = 0; run < runs; run++) {
      runOnce(new Random(seed + run), steps, seed + run);
    }
  }

  private void runOnce(Random random, int steps, long seed) {
    Model model = new Model();
    RepositoryState state = new RepositoryState("repo", 0);
    List<StrataEvent> log = new ArrayList<>();
    Instant clock = Instant.parse("2026-01-01T00:00:00Z");
    for (int step = 0; step < steps; step++) {
      clock = clock.plusMillis(random.nextInt(3)); // often the same instant: ids must still be right
      Command command = randomCommand(random, model);
      ErrorCode expected = expectedRefusal(model, command);
      List<StrataEvent> events;
      try {
        events = RepositoryDecider.decide(state, command, clock);
      } catch (StrataException refused) {
        assertThat(refused.code()).as("seed %d step %d %s", seed, step, command).isEqualTo(expected);
        continue;
      }
      assertThat(expected).as("seed %d step %d %s was accepted", seed, step, command).isNull();
      long v = state.version();
      for (StrataEvent e : events) {
        checkEvent(model, command, e);
        state.evolve(e, ++v, v);
        log.add(e);
      }
      apply(model, command, events);
      assertSame(model, state, seed, step);
    }
    RepositoryState replayed = new RepositoryState("repo", 0);
    long v = 0;
    for (StrataEvent e : log) {
      replayed.evolve(e, ++v, v);
    }
    assertThat(replayed.branches()).isEqualTo(state.branches());
    assertThat(replayed.tags()).isEqualTo(state.tags());
    assertThat(replayed.version()).isEqualTo(state.version());
  }

  private static Command randomCommand(Random random, Model model) {
    String name = NAMES.get(random.nextInt(NAMES.size()));
    List<String> commits = new ArrayList<>(model.parents.keySet());
    String someCommit = commits.isEmpty() ? "0".repeat(64) : commits.get(random.nextInt(commits.size()));
    switch (model.exists ? random.nextInt(20) : 0) {
      case 0:
        return new Commands.CreateRepository("repo", null, random.nextBoolean() ? "main" : "dev", ADA);
      case 1, 2, 3: {
        int kind = random.nextInt(3);
        String from = NAMES.get(random.nextInt(NAMES.size()));
        return kind == 0 ? new Commands.CreateBranch(name, null, null, null, random.nextInt(5) == 0)
            : kind == 1 ? new Commands.CreateBranch(name, from, from, null, false)
            : new Commands.CreateBranch(name, someCommit, null, someCommit, false);
      }
      case 4, 5: {
        String head = model.heads.get(name);
        boolean stale = random.nextInt(6) == 0;
        String checked = head == null || stale ? someCommit : head;
        return new Commands.DeleteBranch(name, random.nextInt(3) == 0, checked,
            head != null && model.mergedElsewhere(name));
      }
      case 6:
        return new Commands.SetBranchProtection(name, random.nextBoolean());
      case 7, 8:
        return random.nextBoolean()
            ? new Commands.CreateTag("t" + random.nextInt(4), name, null, null, ADA)
            : new Commands.CreateTag("t" + random.nextInt(4), null, someCommit, "release", ADA);
      case 9:
        return new Commands.DeleteTag("t" + random.nextInt(4));
      case 10:
        return new Commands.DeleteRepository(random.nextInt(4) == 0);
      default: {
        String head = model.heads.get(name);
        int e = random.nextInt(4);
        String expectedHead = e == 0 ? null : e == 1 && head != null ? head.substring(0, 7 + random.nextInt(10))
            : e == 2 ? someCommit : head;
        return new Commands.CreateCommit(name, "m" + random.nextInt(3), ADA, expectedHead, random.nextInt(8) != 0,
            java.util.List.of(), java.util.List.of(), null);
      }
    }
  }

  /** The reference's verdict: null = accepted, else the error the command must be refused with. */
  private static ErrorCode expectedRefusal(Model m, Command command) {
    if (command instanceof Commands.CreateRepository) {
      return m.exists ? ErrorCode.RepositoryAlreadyExists : null;
    }
    if (!m.exists) {
      return ErrorCode.RepositoryNotFound;
    }
    if (command instanceof Commands.DeleteRepository c) {
      return c.force() || m.commits <= 1 && m.heads.size() <= 1 ? null : ErrorCode.RepositoryNotEmpty;
    }
    if (command instanceof Commands.CreateBranch c) {
      if (m.heads.containsKey(c.name())) {
        return ErrorCode.BranchAlreadyExists;
      }
      String from = c.start() != null ? null : c.fromBranch() != null ? c.fromBranch() : m.defaultBranch;
      return from != null && !m.heads.containsKey(from) ? ErrorCode.BranchNotFound : null;
    }
    if (command instanceof Commands.DeleteBranch c) {
      if (!m.heads.containsKey(c.name())) {
        return ErrorCode.BranchNotFound;
      }
      if (c.name().equals(m.defaultBranch) || m.protectedBranches.contains(c.name())) {
        return ErrorCode.BranchProtected;
      }
      if (!c.checkedHead().equals(m.heads.get(c.name()))) {
        return ErrorCode.HeadMoved;
      }
      return c.merged() || c.force() ? null : ErrorCode.BranchNotMerged;
    }
    if (command instanceof Commands.SetBranchProtection c) {
      return m.heads.containsKey(c.name()) ? null : ErrorCode.BranchNotFound;
    }
    if (command instanceof Commands.CreateCommit c) {
      String head = m.heads.get(c.branch());
      if (head == null) {
        return ErrorCode.BranchNotFound;
      }
      if (c.expectedHead() != null && !head.startsWith(c.expectedHead())) {
        return ErrorCode.HeadMoved;
      }
      return c.allowEmpty() ? null : ErrorCode.ValidationError;
    }
    if (command instanceof Commands.CreateTag c) {
      if (m.tags.containsKey(c.name())) {
        return ErrorCode.TagAlreadyExists;
      }
      return c.commit() == null && !m.heads.containsKey(c.targetBranch()) ? ErrorCode.BranchNotFound : null;
    }
    if (command instanceof Commands.DeleteTag c) {
      return m.tags.containsKey(c.name()) ? null : ErrorCode.TagNotFound;
    }
    throw new IllegalArgumentException(String.valueOf(command));
  }

  private static void checkEvent(Model m, Command command, StrataEvent e) {
    if (e instanceof CommitCreated c) {
      assertThat(c.id()).isEqualTo(CommitIds.of(c.parents(), c.tree(), c.author(), c.createdAt(), c.message()));
      if (command instanceof Commands.CreateCommit cc) {
        assertThat(c.parents()).containsExactly(m.heads.get(cc.branch()));
        // commit times never go backwards along a branch, even when the clock stands still
        assertThat(c.createdAt()).isAfter(commitTime(m, m.heads.get(cc.branch())));
      }
    }
    if (e instanceof BranchCreated b && command instanceof Commands.CreateBranch cb && cb.start() != null) {
      assertThat(b.head()).isEqualTo(cb.start());
    }
  }

  private static final Map<String, Instant> TIMES = new HashMap<>();

  private static Instant commitTime(Model m, String id) {
    return TIMES.getOrDefault(id, Instant.MIN);
  }

  private static void apply(Model m, Command command, List<StrataEvent> events) {
    for (StrataEvent e : events) {
      if (e instanceof CommitCreated c) {
        m.parents.put(c.id(), c.parents());
        TIMES.put(c.id(), c.createdAt());
        m.commits++;
        if (c.branch() != null) {
          m.heads.put(c.branch(), c.id());
        }
      }
    }
    if (command instanceof Commands.CreateRepository c) {
      m.exists = true;
      m.defaultBranch = c.defaultBranch();
      m.heads.put(c.defaultBranch(), ((BranchCreated) events.get(2)).head());
    } else if (command instanceof Commands.DeleteRepository) {
      m.exists = false;
      m.heads.clear();
      m.protectedBranches.clear();
      m.tags.clear();
      m.parents.clear();
      m.commits = 0;
    } else if (command instanceof Commands.CreateBranch c) {
      String head = c.start() != null ? c.start()
          : m.heads.get(c.fromBranch() != null ? c.fromBranch() : m.defaultBranch);
      m.heads.put(c.name(), head);
      if (c.isProtected()) {
        m.protectedBranches.add(c.name());
      }
    } else if (command instanceof Commands.DeleteBranch c) {
      m.heads.remove(c.name());
      m.protectedBranches.remove(c.name());
    } else if (command instanceof Commands.SetBranchProtection c) {
      if (c.isProtected()) {
        m.protectedBranches.add(c.name());
      } else {
        m.protectedBranches.remove(c.name());
      }
    } else if (command instanceof Commands.CreateTag c) {
      m.tags.put(c.name(), c.commit() != null ? c.commit() : m.heads.get(c.targetBranch()));
    } else if (command instanceof Commands.DeleteTag c) {
      m.tags.remove(c.name());
    }
  }

  private static void assertSame(Model m, RepositoryState s, long seed, int step) {
    assertThat(s.exists()).isEqualTo(m.exists);
    Map<String, String> heads = new HashMap<>();
    Set<String> protectedBranches = new HashSet<>();
    s.branches().forEach((name, b) -> {
      heads.put(name, b.head());
      if (b.isProtected()) {
        protectedBranches.add(name);
      }
    });
    assertThat(heads).as("heads, seed %d step %d", seed, step).isEqualTo(m.heads);
    assertThat(protectedBranches).as("protection, seed %d step %d", seed, step).isEqualTo(m.protectedBranches);
    assertThat(s.tags()).as("tags, seed %d step %d", seed, step).isEqualTo(m.tags);
    assertThat(s.commitCount()).isEqualTo(m.commits);
  }
}
