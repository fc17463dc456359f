package io.strata.server.domain;

import io.smallrye.mutiny.Uni;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.refs.RefQueries;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves a ref to a commit. Grammar: {@code <name>[@{<ISO-8601 time>}][~[N]]...} where name is a
 * branch, then a tag, then a full commit id or a unique prefix of at least 7 hex digits; {@code @{t}}
 * (branches only) is the branch's head at time t, from the reflog; {@code ~N} walks N first parents.
 */
@ApplicationScoped
public class RefResolver {
  private static final int MAX_ANCESTORS = 1_000_000;

  private final RefQueries refs;
  private final CommitGraph graph;

  @Inject
  public RefResolver(RefQueries refs, CommitGraph graph) {
    this.refs = refs;
    this.graph = graph;
  }

  /**
   * What a ref named: {@code branch} or {@code tag} is set when the base name was one.
   *
   * @param madeOn for a commit or tag named as such: the live branch the commit was made on, created before
   *     it (null otherwise). Its state reads the commit in the columns that branch has (a column it added,
   *     a column it kept): the default branch's would lack them.
   */
  public record Resolved(String ref, String commit, String branch, String tag, boolean suffixed, String madeOn) {
    public Resolved(String ref, String commit, String branch, String tag, boolean suffixed) {
      this(ref, commit, branch, tag, suffixed, null);
    }

    Resolved withMadeOn(String on) {
      return new Resolved(ref, commit, branch, tag, suffixed, on);
    }

    /** A branch named as-is, without time or ancestry suffix: commands may bind to its live head. */
    public boolean isPlainBranch() {
      return branch != null && !suffixed;
    }

    /**
     * The branch whose state a read of this ref starts from (undoing and redoing what separates it from
     * the commit): the branch named, else the live branch the commit was made on, else the default branch.
     */
    public String readBase(String defaultBranch) {
      return branch != null ? branch : madeOn != null ? madeOn : defaultBranch;
    }
  }

  /** The syntactic parts of a ref. */
  public record ParsedRef(String base, Instant at, int ancestors) {
    public boolean suffixed() {
      return at != null || ancestors > 0;
    }
  }

  public static ParsedRef parse(String ref) {
    if (ref == null || ref.isBlank()) {
      throw StrataException.badRequest("a ref is required");
    }
    if (ref.length() > 1024) {
      throw StrataException.badRequest("ref is too long");
    }
    String base = ref;
    int ancestors = 0;
    int tilde = ref.indexOf('~');
    if (tilde >= 0) {
      base = ref.substring(0, tilde);
      String rest = ref.substring(tilde);
      for (String step : rest.substring(1).split("~", -1)) {
        long n;
        try {
          n = step.isEmpty() ? 1 : Long.parseLong(step);
        } catch (NumberFormatException e) {
          throw StrataException.badRequest("invalid ancestry suffix in ref '" + ref + "': use ~N");
        }
        if (n < 0 || ancestors + n > MAX_ANCESTORS) {
          throw StrataException.badRequest("invalid ancestry suffix in ref '" + ref + "'");
        }
        ancestors += (int) n;
      }
    }
    Instant at = null;
    int brace = base.indexOf("@{");
    if (brace >= 0) {
      if (!base.endsWith("}")) {
        throw StrataException.badRequest("invalid ref '" + ref + "': expected <name>@{<timestamp>}");
      }
      at = parseTime(base.substring(brace + 2, base.length() - 1));
      base = base.substring(0, brace);
    }
    if (Names.refNameProblem(base) != null && !Names.isHex(base)) {
      throw StrataException.badRequest("invalid ref '" + ref + "'");
    }
    return new ParsedRef(base, at, ancestors);
  }

  public static Instant parseTime(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      // try the shorter forms below
    }
    try {
      return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // next
    }
    try {
      return LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw StrataException.badRequest("invalid timestamp '" + text + "': use ISO-8601, e.g. 2026-11-20T10:00:00Z");
    }
  }

  /** The live branch commit {@code id} was made on, if it was created before the commit (this incarnation). */
  private Uni<String> madeOn(String repository, String id) {
    return graph.commit(repository, id).chain(commit -> commit.isEmpty() || commit.get().branch() == null
        ? Uni.createFrom().<String>nullItem()
        : refs.branch(repository, commit.get().branch()).map(branch -> branch
            .filter(b -> b.createdAt() == null || !b.createdAt().isAfter(commit.get().createdAt()))
            .map(b -> b.name()).orElse(null)));
  }

  /**
   * {@link #resolve} for a read of rows at the ref: a commit or tag also names the live branch it was made
   * on ({@link Resolved#madeOn}), two lookups commands never need.
   */
  public Uni<Resolved> resolveForRead(String repository, String ref) {
    return resolve(repository, ref).chain(r -> r.branch() != null
        ? Uni.createFrom().item(r)
        : madeOn(repository, r.commit()).map(r::withMadeOn));
  }

  public Uni<Resolved> resolve(String repository, String ref) {
    ParsedRef parsed = parse(ref);
    return resolveBase(repository, ref, parsed)
        .chain(base -> parsed.ancestors() == 0
            ? Uni.createFrom().item(base)
            : graph.firstParentAncestor(repository, base.commit(), parsed.ancestors())
                .map(found -> found.orElseThrow(() -> notFound(ref, "history of " + parsed.base()
                    + " is shorter than " + parsed.ancestors() + " commits")))
                .map(commit -> new Resolved(ref, commit, base.branch(), base.tag(), true)));
  }

  private Uni<Resolved> resolveBase(String repository, String ref, ParsedRef parsed) {
    if (parsed.at() != null) {
      return refs.headAt(repository, parsed.base(), parsed.at())
          .map(head -> head.map(h -> new Resolved(ref, h, parsed.base(), null, true))
              .orElseThrow(() -> notFound(ref, "branch '" + parsed.base() + "' did not exist at " + parsed.at())));
    }
    String base = parsed.base();
    return refs.branch(repository, base).chain(branch -> {
      if (branch.isPresent()) {
        return Uni.createFrom().item(new Resolved(ref, branch.get().head(), base, null, parsed.suffixed()));
      }
      return refs.tag(repository, base).chain(tag -> {
        if (tag.isPresent()) {
          return Uni.createFrom().item(new Resolved(ref, tag.get().commit(), null, base, parsed.suffixed()));
        }
        return commitByPrefix(repository, base)
            .map(id -> new Resolved(ref, id.orElseThrow(() -> notFound(ref, null)), null, null, parsed.suffixed()));
      });
    });
  }

  /** A full id or a unique prefix of at least 7 hex digits; ambiguity is an error. */
  public Uni<Optional<String>> commitByPrefix(String repository, String text) {
    String prefix = text.toLowerCase(Locale.ROOT);
    if (prefix.length() < 7 || prefix.length() > 64 || !Names.isHex(prefix)) {
      return Uni.createFrom().item(Optional.empty());
    }
    return graph.idsWithPrefix(repository, prefix, 5).map(ids -> {
      if (ids.size() > 1) {
        throw new StrataException(ErrorCode.BadRequest,
            "short commit id '" + text + "' is ambiguous; use more digits",
            Map.of("candidates", List.copyOf(ids)));
      }
      return ids.stream().findFirst();
    });
  }

  private static StrataException notFound(String ref, String why) {
    return new StrataException(ErrorCode.RefNotFound,
        why == null ? "ref '" + ref + "' names no branch, tag or commit" : "ref '" + ref + "': " + why,
        Map.of("ref", ref));
  }
}
