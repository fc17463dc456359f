package io.strata.server.auth;

import io.smallrye.mutiny.Uni;
import io.strata.projections.postgres.PgErrors;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The tokens in {@code strata_meta.api_tokens}, through the reactive pool (never blocks a thread). */
@ApplicationScoped
public class TokenStore {
  private static final String COLUMNS =
      "id, name, role, repositories, expires_at, created_at, created_by, revoked_at, revoked_by";

  @Inject Pool pool;

  /** A token as listed: everything but the secret and its hash. */
  public record TokenRow(String id, String name, Role role, List<String> repositories, Instant expiresAt,
      Instant createdAt, String createdBy, Instant revokedAt, String revokedBy) {}

  public Uni<TokenRow> create(String id, String name, Role role, List<String> repositories, Instant expiresAt,
      byte[] hash, String createdBy) {
    return pool.preparedQuery("insert into strata_meta.api_tokens"
            + " (id, name, role, repositories, token_hash, expires_at, created_by)"
            + " values ($1, $2, $3, $4, $5, $6, $7) returning " + COLUMNS)
        .execute(Tuple.from(Arrays.asList(id, name, role.wire(), repositories.toArray(String[]::new),
            HexFormat.of().formatHex(hash), expiresAt == null ? null : expiresAt.atOffset(ZoneOffset.UTC), createdBy)))
        .map(rows -> toRow(rows.iterator().next()))
        .onFailure(PgErrors::isUniqueViolation).transform(e -> new StrataException(ErrorCode.TokenAlreadyExists,
            "a token named '" + name + "' exists or existed (names are never reused: events name tokens by name)",
            Map.of("name", name)));
  }

  public Uni<List<TokenRow>> list(int limit, int offset) {
    return pool.preparedQuery("select " + COLUMNS + " from strata_meta.api_tokens order by created_at, id"
            + " limit $1 offset $2")
        .execute(Tuple.of(limit, offset)).map(TokenStore::all);
  }

  public Uni<Long> count() {
    return pool.query("select count(*) from strata_meta.api_tokens").execute()
        .map(rows -> rows.iterator().next().getLong(0));
  }

  public Uni<Optional<TokenRow>> get(String id) {
    return pool.preparedQuery("select " + COLUMNS + " from strata_meta.api_tokens where id = $1")
        .execute(Tuple.of(id)).map(rows -> all(rows).stream().findFirst());
  }

  /** Revokes a token; answers false when there is no such token (revoking twice is not an error). */
  public Uni<Boolean> revoke(String id, String by) {
    return pool.preparedQuery("update strata_meta.api_tokens set revoked_at = coalesce(revoked_at, now()),"
            + " revoked_by = coalesce(revoked_by, $2) where id = $1")
        .execute(Tuple.of(id, by)).map(rows -> rows.rowCount() > 0);
  }

  /** The unrevoked token whose secret hashes to {@code hash}, with that stored hash. */
  public Uni<Optional<Found>> findUnrevoked(byte[] hash) {
    return pool.preparedQuery("select " + COLUMNS + ", token_hash from strata_meta.api_tokens"
            + " where token_hash = $1 and revoked_at is null")
        .execute(Tuple.of(HexFormat.of().formatHex(hash)))
        .map(rows -> {
          if (rows.rowCount() == 0) {
            return Optional.empty();
          }
          Row r = rows.iterator().next();
          return Optional.of(new Found(toRow(r), HexFormat.of().parseHex(r.getString("token_hash"))));
        });
  }

  public record Found(TokenRow token, byte[] storedHash) {}

  private static List<TokenRow> all(RowSet<Row> rows) {
    List<TokenRow> out = new ArrayList<>();
    rows.forEach(r -> out.add(toRow(r)));
    return out;
  }

  private static TokenRow toRow(Row r) {
    return new TokenRow(r.getString("id"), r.getString("name"), Role.parse(r.getString("role")).orElseThrow(),
        List.of(r.getArrayOfStrings("repositories")), instant(r.getOffsetDateTime("expires_at")),
        instant(r.getOffsetDateTime("created_at")), r.getString("created_by"),
        instant(r.getOffsetDateTime("revoked_at")), r.getString("revoked_by"));
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
