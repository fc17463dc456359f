package io.strata.server.application;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.events.TableShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The defaults Strata writes itself into the rows a branch inserted when it takes a column the table gained: literals
 * of built-in types as PostgreSQL prints them, never an expression that would run something with Strata's rights.
 */
class ConstantDefaultsTest {
  private static TableShape.Column column(String defaultValue) {
    return new TableShape.Column("c", "text", true, null, defaultValue, null, null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"'eu'::text", "'it''s'::text", "0", "-12.50", "(-1)", "'0.00'::numeric(12,2)", "true",
      "false", "'{}'::jsonb", "'2020-01-01'::date", "'x'::character varying(20)", "'{a,b}'::text[]", "1::bigint"})
  void literalsOfBuiltInTypesAreConstants(String d) {
    assertThat(ConstantDefaults.of(column(d))).contains(d);
  }

  @ParameterizedTest
  @ValueSource(strings = {"nextval('s'::regclass)", "now()", "gen_random_uuid()", "'a'::public.mood", "'a'::mood",
      "'x'::text || f()", "'a'::text); drop table t; --", "E'a\\\\b'::text", "'a\\\\'::text", "CURRENT_TIMESTAMP",
      "(1 + f())", "'1'::integer::mydomain"})
  void anythingElseIsNot(String d) {
    assertThat(ConstantDefaults.of(column(d))).isEmpty();
  }
}
