package io.strata.server.application;

import io.strata.server.domain.Commands;
import io.strata.server.domain.PromotionCommand;
import io.strata.server.domain.TableCommand;
import io.strata.server.domain.Commands.Command;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a command reads and writes of its repository, as far as its repository's queue must keep other
 * commands off it while it works ({@link CommandProcessor}): the branches it names, the default branch
 * when it names none but works from it, or everything (a command on the repository itself or its
 * tables). Commands whose footprints do not overlap may do their data work at the same time; those that
 * overlap run in the order they came.
 */
public record Footprint(Set<String> named, boolean includesDefault, boolean whole) {
  private static final Footprint EVERYTHING = new Footprint(Set.of(), false, true);

  public Footprint {
    named = Set.copyOf(named);
  }

  /** The repository as a whole: its existence, its storages, its tracked tables. */
  public static Footprint everything() {
    return EVERYTHING;
  }

  /** The named branches (null names are left out). */
  public static Footprint branches(String... names) {
    return new Footprint(Arrays.stream(names).filter(Objects::nonNull).collect(Collectors.toSet()), false, false);
  }

  /** The named branches and the default branch, whatever its name. */
  public static Footprint withDefault(String... names) {
    return new Footprint(branches(names).named(), true, false);
  }

  /** The footprint of a command decided without data work of its own. */
  public static Footprint of(Command command) {
    if (command instanceof Commands.CreateRepository || command instanceof Commands.DeleteRepository
        || command instanceof TableCommand) {
      return everything(); // storages and tracked tables: every branch has an object of each table
    }
    if (command instanceof Commands.CreateBranch c) {
      return c.fromBranch() == null && c.start() == null ? withDefault(c.name()) : branches(c.name(), c.fromBranch());
    }
    if (command instanceof Commands.CreateTag c) {
      return branches(c.targetBranch());
    }
    if (command instanceof Commands.DeleteTag || command instanceof Commands.SetPromotionPolicy
        || command instanceof PromotionCommand) {
      return branches(); // no branch's data; commands decided after it are decided under it
    }
    if (command instanceof Commands.StartMerge c) {
      return branches(c.branch(), c.source());
    }
    if (command instanceof Commands.StartRebase c) {
      return branches(c.branch(), c.onto());
    }
    return branches(branchOf(command));
  }

  /** The one branch a command on a branch works on. */
  private static String branchOf(Command command) {
    if (command instanceof Commands.DeleteBranch c) {
      return c.name();
    } else if (command instanceof Commands.SetBranchProtection c) {
      return c.name();
    } else if (command instanceof Commands.ResetBranch c) {
      return c.branch();
    } else if (command instanceof Commands.CreateCommit c) {
      return c.branch();
    } else if (command instanceof Commands.RecordChanges c) {
      return c.branch();
    } else if (command instanceof Commands.RecordRollback c) {
      return c.branch();
    } else if (command instanceof Commands.FastForward c) {
      return c.branch();
    } else if (command instanceof Commands.MergeUpToDate c) {
      return c.branch();
    } else if (command instanceof Commands.ResolveConflicts c) {
      return c.branch();
    } else if (command instanceof Commands.AbortMerge c) {
      return c.branch();
    } else if (command instanceof Commands.RecordMergeRollback c) {
      return c.branch();
    } else if (command instanceof Commands.SkipRebaseStep c) {
      return c.branch();
    } else if (command instanceof Commands.FinishRebase c) {
      return c.branch();
    } else if (command instanceof Commands.AbortRebase c) {
      return c.branch();
    } else if (command instanceof Commands.CreateStash c) {
      return c.branch();
    } else if (command instanceof Commands.ApplyStash c) {
      return c.branch();
    } else if (command instanceof Commands.DropStash c) {
      return c.branch();
    }
    throw new IllegalArgumentException("no footprint for " + command.getClass().getSimpleName());
  }

  /** Whether the two share anything, {@code defaultName} being the repository's default branch (null: unknown). */
  public boolean overlaps(Footprint other, String defaultName) {
    if (whole || other.whole || includesDefault && other.includesDefault) {
      return true;
    }
    if (includesDefault && (defaultName == null ? !other.named.isEmpty() : other.named.contains(defaultName))) {
      return true;
    }
    if (other.includesDefault && (defaultName == null ? !named.isEmpty() : named.contains(defaultName))) {
      return true;
    }
    return named.stream().anyMatch(other.named::contains);
  }
}
