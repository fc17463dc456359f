package io.strata.projections.delta;

import io.delta.kernel.Snapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The files a table gives up and takes to hold another state's files (a move: a discard, a reset, a fast-forward), no
 * data read or written. They come from the commits since the two states' common point ({@link ChangedFiles}), as a
 * diff's do; a file given up is then named as the table's own log names it — the exact path string, which is how
 * Kernel matches a {@code remove} to its {@code add}, and which another log's commits do not give (a branch names the
 * table's files by absolute URI) — from one listing of the table's state without statistics, which also checks the
 * commits: a file to give up it does not hold (path and deletion vector), or one to take that it holds already,
 * and both states are listed instead. That listing is kept current from the table's commits ({@link
 * DeltaListings}), so a move costs what the commits since the common point cost. A file taken back that the commits name only by a {@code remove} (a reset to
 * before a file was replaced) is taken as the state moved to lists it (its add's statistics and time). Where the
 * commits cannot say, both states are listed, as before.
 */
public final class DeltaFileMove {
  private DeltaFileMove() {
  }

  /**
   * What a move makes of the table: {@code removes} as its log names them, {@code adds} by absolute URI (the
   * caller copies a branch's files into a tracked table's directory); {@code traced} when the commits said.
   */
  public record Files(List<DeltaFile> removes, List<DeltaFile> adds, boolean traced) {
    public boolean isEmpty() {
      return removes.isEmpty() && adds.isEmpty();
    }
  }

  /**
   * The files {@code table} at {@code now} gives up and takes to hold those of {@code source} at {@code wanted}:
   * from the commits when they say ({@code tables}: the table at a root a clone names, null when unknown), else by
   * {@link #listed}.
   */
  public static Files between(DeltaTable table, Snapshot now, DeltaTable source, Snapshot wanted,
      Function<String, DeltaTable> tables) {
    Optional<RowChanges.FileChanges> changes = ChangedFiles.between(table, now.getVersion(), source,
        wanted.getVersion(), tables);
    if (changes.isEmpty()) {
      return listed(table, now, source, wanted);
    }
    // the table's own state, without statistics (kept current from its commits): the names of what it gives up, and
    // a check of the commits; only looked up under the listing's lock, what reads a state is done after
    RowChanges.FileChanges commits = changes.get();
    Optional<List<DeltaFile>> named = DeltaListings.at(table, now, listing -> removes(table, commits, listing));
    if (named.isEmpty()) {
      return listed(table, now, source, wanted); // the commits and the state disagree: the listing decides
    }
    List<DeltaFile> removes = named.get();
    List<DeltaFile> adds = new ArrayList<>();
    Map<String, DeltaFile> listedWanted = null;
    for (ChangedFiles.Logged logged : commits.addedFiles().values()) {
      DeltaFile file = logged.absolute();
      if (!logged.fromAdd()) {
        // named by a remove, which need not carry the add's statistics and time: the state's listing has them
        if (listedWanted == null) {
          listedWanted = new HashMap<>();
          for (DeltaFile f : source.files(wanted)) {
            listedWanted.put(f.absolute(source.root()), f.absoluteIn(source.root()));
          }
        }
        DeltaFile asAdded = listedWanted.get(file.path());
        if (asAdded == null || !asAdded.identity(source.root()).equals(file.identity(source.root()))) {
          return listed(table, now, source, wanted);
        }
        file = asAdded;
      }
      adds.add(file);
    }
    return new Files(removes, adds, true);
  }

  /**
   * The files the commits give up, as the table's {@code listing} names them; empty when the commits and the listing
   * disagree: a file to give up it does not hold (path and vector), or one to take that it holds already.
   */
  private static Optional<List<DeltaFile>> removes(DeltaTable table, RowChanges.FileChanges commits,
      DeltaListings.Listing listing) {
    List<DeltaFile> removes = new ArrayList<>();
    for (ChangedFiles.Logged logged : commits.removedFiles().values()) {
      DeltaFile file = listing.at(logged.file().absolute(logged.root()));
      if (file == null || !file.identity(table.root()).equals(logged.file().identity(logged.root()))) {
        return Optional.empty();
      }
      removes.add(file);
    }
    for (ChangedFiles.Logged logged : commits.addedFiles().values()) {
      String path = logged.absolute().path();
      if (listing.at(path) != null && !commits.removedFiles().containsKey(path)) {
        return Optional.empty();
      }
    }
    return Optional.of(removes);
  }

  /** {@link #between} by listing both states: every file of each, compared by identity (path and vector). */
  public static Files listed(DeltaTable table, Snapshot now, DeltaTable source, Snapshot wanted) {
    Map<String, DeltaFile> have = new HashMap<>();
    table.files(now, false).forEach(f -> have.put(f.identity(table.root()), f));
    Map<String, DeltaFile> want = new HashMap<>();
    source.files(wanted).forEach(f -> want.put(f.identity(source.root()), f));
    List<DeltaFile> removes = new ArrayList<>();
    have.forEach((identity, f) -> {
      if (!want.containsKey(identity)) {
        removes.add(f);
      }
    });
    List<DeltaFile> adds = new ArrayList<>();
    want.forEach((identity, f) -> {
      if (!have.containsKey(identity)) {
        adds.add(f.absoluteIn(source.root()));
      }
    });
    return new Files(removes, adds, false);
  }
}
