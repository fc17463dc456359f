package io.strata.server.domain;

import io.strata.events.CommitCreated;
import io.strata.events.CommitIds;
import io.strata.events.CommitStats;
import io.strata.events.RepositoryCreated;
import io.strata.events.RepositoryDeleted;
import io.strata.events.BranchCreated;
import io.strata.events.StashCreated;
import io.strata.events.StrataEvent;
import io.strata.server.domain.Commands.BranchCommand;
import io.strata.server.domain.Commands.Command;
import io.strata.server.domain.Commands.CommitCommand;
import io.strata.server.domain.Commands.CreateRepository;
import io.strata.server.domain.Commands.DeleteRepository;
import io.strata.server.domain.Commands.MergeCommand;
import io.strata.server.domain.Commands.RebaseCommand;
import io.strata.server.domain.Commands.StashCommand;
import io.strata.server.domain.TableCommand;
import io.strata.server.domain.Commands.TagCommand;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * Decides which events a command produces against the authoritative state, or refuses it: the
 * repository's own commands here, every other family by its decider ({@link BranchDecider},
 * {@link TagDecider}, {@link CommitDecider}, {@link TableDecider}, {@link MergeDecider},
 * {@link RebaseDecider}, {@link StashDecider}). Pure and synchronous: no I/O, so the command processor can
 * decide a whole batch in one go.
 */
public final class RepositoryDecider {
  private RepositoryDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, Command command, Instant now) {
    if (command instanceof CreateRepository c) {
      return createRepository(state, c, now);
    }
    if (!state.exists()) {
      throw StrataException.repositoryNotFound(state.name());
    }
    if (command instanceof DeleteRepository c) {
      return deleteRepository(state, c);
    }
    if (command instanceof BranchCommand c) {
      return BranchDecider.decide(state, c);
    }
    if (command instanceof TagCommand c) {
      return TagDecider.decide(state, c);
    }
    if (command instanceof CommitCommand c) {
      return CommitDecider.decide(state, c, now);
    }
    if (command instanceof TableCommand c) {
      return TableDecider.decide(state, c, now);
    }
    if (command instanceof MergeCommand c) {
      return MergeDecider.decide(state, c);
    }
    if (command instanceof RebaseCommand c) {
      return RebaseDecider.decide(state, c);
    }
    if (command instanceof StashCommand c) {
      return StashDecider.decide(state, c);
    }
    if (command instanceof PromotionCommand c) {
      return PromotionDecider.decide(state, c);
    }
    if (command instanceof Commands.SetPromotionPolicy c) {
      // the same document again records nothing: a reconciling service applies its file on every round
      return state.policy() != null && state.policy().digest().equals(c.digest()) ? List.of()
          : List.of(new io.strata.events.PromotionPolicySet(c.policy(), c.digest(), c.origin()));
    }
    throw new IllegalArgumentException("unknown command " + command);
  }

  private static List<StrataEvent> createRepository(RepositoryState state, CreateRepository c, Instant now) {
    if (state.exists()) {
      throw new StrataException(ErrorCode.RepositoryAlreadyExists,
          "repository '" + c.name() + "' already exists", Map.of("repository", c.name()));
    }
    Instant time = now.truncatedTo(ChronoUnit.MICROS);
    String message = "Initial commit";
    String root = CommitIds.of(List.of(), CommitIds.EMPTY_TREE, c.author(), time, message);
    return List.of(
        new RepositoryCreated(c.name(), c.description(), c.defaultBranch()),
        new CommitCreated(root, null, List.of(), CommitIds.EMPTY_TREE, message, c.author(), time,
            CommitStats.EMPTY, List.of()),
        new BranchCreated(c.defaultBranch(), root, null, false));
  }

  private static List<StrataEvent> deleteRepository(RepositoryState state, DeleteRepository c) {
    boolean pristine = state.commitCount() <= 1 && state.branches().size() <= 1;
    if (!pristine && !c.force()) {
      throw new StrataException(ErrorCode.RepositoryNotEmpty,
          "repository '" + state.name() + "' has history (" + state.commitCount() + " commits, "
              + state.branches().size() + " branches); delete with force=true",
          Map.of("commits", state.commitCount(), "branches", state.branches().size()));
    }
    return List.of(new RepositoryDeleted(state.name(), !pristine));
  }

  /** The 409 of a branch with a rebase in progress. */
  public static StrataException rebaseInProgress(String branch, RepositoryState.Rebase r) {
    return Guards.rebaseInProgress(branch, r);
  }

  /**
   * The stash {@code ref} names on {@code branch}: an index (0: the newest), or a stash's id (which
   * stays the same while others are pushed or dropped); the 404 of none.
   */
  public static StashCreated stash(RepositoryState state, String branch, String ref) {
    return StashDecider.stash(state, branch, ref);
  }

  /** The refusal of a command that needs a merge in progress on {@code branch}, where there is none. */
  public static StrataException noMerge(String branch) {
    return Guards.noMerge(branch);
  }

  /** The refusal of a command that would move {@code branch} while a merge into it is in progress. */
  public static StrataException mergeInProgress(String branch, RepositoryState.Merge merge) {
    return Guards.mergeInProgress(branch, merge);
  }
}
