package io.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import io.strata.server.domain.StrataException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** DDL statements read into the schema operations they mean ({@link DdlStatementInput}), and what is refused. */
class DdlStatementInputTest {
  private static List<Requests.SchemaOperation> read(String... statements) {
    return DdlStatementInput.operations("orders", List.of(statements));
  }

  private static Requests.SchemaOperation one(String statement) {
    List<Requests.SchemaOperation> ops = read(statement);
    assertThat(ops).hasSize(1);
    return ops.get(0);
  }

  @Test
  void addColumnsWithTypesDefaultsAndNullabilityAsWritten() {
    List<Requests.SchemaOperation> ops = read("ALTER TABLE orders ADD COLUMN region VARCHAR (20) DEFAULT 'e''u'"
        + " NOT NULL, add \"Channel\" numeric(12, 2) default -1.5, add column at timestamp with time zone null,"
        + " add column tags text [] default '{a}'::text[];");
    assertThat(ops).extracting(Requests.SchemaOperation::op).containsOnly("add_column");
    assertThat(ops).extracting(Requests.SchemaOperation::name).containsExactly("region", "Channel", "at", "tags");
    assertThat(ops).extracting(Requests.SchemaOperation::type)
        .containsExactly("varchar(20)", "numeric(12,2)", "timestamp with time zone", "text[]");
    assertThat(ops).extracting(Requests.SchemaOperation::nullable).containsExactly(false, null, true, null);
    assertThat(ops).extracting(Requests.SchemaOperation::defaultValue)
        .containsExactly(TextNode.valueOf("e'u"), TextNode.valueOf("-1.5"), null, TextNode.valueOf("{a}"));
  }

  @Test
  void alterColumnActionsOnOneColumnAreOneOperation() {
    List<Requests.SchemaOperation> ops = read("alter table public.orders alter column amount set data type"
        + " numeric(14,2) using round(amount * 100) / 100, alter amount set not null, alter column note drop default");
    assertThat(ops).hasSize(2);
    assertThat(ops.get(0)).isEqualTo(new Requests.SchemaOperation("alter_column", "amount", "numeric(14,2)", false,
        null, null, null, null, null, null, null, "round(amount * 100) / 100"));
    assertThat(ops.get(1)).isEqualTo(new Requests.SchemaOperation("alter_column", "note", null, null, null, null, true,
        null, null, null, null, null));
    assertThat(one("alter table orders alter note set default null").dropDefault()).isTrue();
    assertThat(one("alter table orders alter note set default E'a\\'b'").defaultValue()).isEqualTo(TextNode.valueOf("a'b"));
    assertThat(one("alter table orders alter note set default $$x$$").defaultValue()).isEqualTo(TextNode.valueOf("x"));
  }

  private static Requests.SchemaOperation op(String op, String name) {
    return new Requests.SchemaOperation(op, name, null, null, null, null, null, null, null, null, null, null);
  }

  @Test
  void constraintsIndexesRenamesAndDrops() {
    assertThat(one("alter table orders add constraint positive check (amount > 0 /* never zero */ and (note <> ')'))"))
        .isEqualTo(new Requests.SchemaOperation("add_constraint", "positive", null, null, null, null, null,
            "amount > 0   and (note <> ')')", null, null, null, null));
    assertThat(one("alter table orders add constraint one_per unique (customer, \"Day\")"))
        .isEqualTo(new Requests.SchemaOperation("add_constraint", "one_per", null, null, null, null, null, null,
            List.of("customer", "Day"), null, true, null));
    assertThat(one("create index concurrently by_customer on strata_dev.orders using hash (customer)"))
        .isEqualTo(new Requests.SchemaOperation("add_index", "by_customer", null, null, null, null, null, null,
            List.of("customer"), "hash", null, null));
    assertThat(one("DROP INDEX IF EXISTS strata_dev.By_Customer")).isEqualTo(op("drop_index", "by_customer"));
    assertThat(one("alter table orders rename column Note to \"Remark\"")).isEqualTo(new Requests.SchemaOperation(
        "rename_column", "note", null, null, null, "Remark", null, null, null, null, null, null));
    assertThat(read("alter table orders drop column a, drop b -- gone\n", "/* and */ alter table orders drop c"))
        .containsExactly(op("drop_column", "a"), op("drop_column", "b"), op("drop_column", "c"));
    assertThat(one("alter table orders drop constraint positive")).isEqualTo(op("drop_constraint", "positive"));
    // unquoted names fold A-Z only, as PostgreSQL's do
    assertThat(one("alter table orders drop column ÄRGER")).isEqualTo(op("drop_column", "Ärger"));
  }

  @Test
  void defaultsAreTheConstantsPostgresqlReads() {
    assertThat(List.of("007", "1e3", "-1.50", "+.5", "'x'::text", "E'\\x41\\101\\u00e9\\n'", "$t$a'b$t$", "true"))
        .extracting(d -> one("alter table orders alter note set default " + d).defaultValue())
        .containsExactly(TextNode.valueOf("7"), TextNode.valueOf("1000"), TextNode.valueOf("-1.50"),
            TextNode.valueOf("0.5"), TextNode.valueOf("x"), TextNode.valueOf("AAé\n"), TextNode.valueOf("a'b"),
            TextNode.valueOf("true"));
    assertThat(one("alter table orders add column n numeric(4,1) default '5'::numeric(4, 1)").defaultValue())
        .isEqualTo(TextNode.valueOf("5"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "drop table orders | ALTER TABLE, CREATE INDEX and DROP INDEX",
      "alter table orders add column a int; drop table orders | one statement an entry",
      "alter table customers add column a int | names table customers, this path table orders",
      "alter table orders add column a int default now() | a constant default",
      "alter table orders add column a int references customers (id) | a type, DEFAULT and NOT NULL alone",
      "alter table orders add column a int check (a > 0) | a type, DEFAULT and NOT NULL alone",
      "alter table orders add column if not exists a int | IF NOT EXISTS is not taken",
      "alter table orders rename to other | keeps its name",
      "alter table orders alter column a type text collate \"C\" | collation",
      "alter table orders alter column a set statistics 100 | an ALTER COLUMN a branch takes",
      "alter table orders add constraint f foreign key (a) references customers (id) | CHECK (…) and UNIQUE (…)",
      "alter table orders add constraint c check (a > 0) not valid | NOT VALID",
      "alter table orders add constraint u unique nulls not distinct (a) | NULLS NOT DISTINCT",
      "alter table orders add constraint u unique (a) include (b) | INCLUDE",
      "alter table orders add column a int, add constraint c check (a > 0) | one kind of change a request",
      "alter table orders alter a set not null, alter a drop not null | altered twice",
      "create unique index u on orders (a) | add a unique constraint",
      "create index i on orders ((lower(a))) | a name",
      "create index i on orders (a) where a > 0 | on columns alone",
      "alter table orders add column a text default 'open | an unterminated string",
      "alter table orders add constraint c check (a > (0) | ) (at the end of the statement)",
      "alter table orders alter note set default '2'::int + 3 | a constant default, cast to the column's type",
      "alter table orders add column n int default 5::int * 2 | a constant default, cast to the column's type",
      "alter table orders add column n text default 't'::boolean | a constant default, cast to the column's type",
      "alter table orders alter note set default 0x10 | a decimal number",
      "alter table orders alter note set default 1_000 | a decimal number",
      "alter table orders alter note set default E'\\u12' | an escape \\u with 4 hex digits",
      "alter table orders alter note set default E'\\0' | a character a string may hold",
      "alter table orders add check (a > 0) | a branch's constraint is named",
      "alter table orders add unique (a) | a branch's constraint is named",
      "alter table orders add primary key (a) | a branch's constraint is named",
      "alter table orders add column a text storage external | a type, DEFAULT and NOT NULL alone",
      "alter table orders rename a to b, rename b to c | RENAME is an ALTER TABLE of its own",
      "alter table orders drop x, rename a to b | RENAME is an ALTER TABLE of its own",
      "alter table orders add column a int default 1 default 2 | DEFAULT and NULL or NOT NULL once each",
      "alter table orders add column a int null not null | DEFAULT and NULL or NOT NULL once each",
      "alter table orders add column a text default U&'x' | prefixes",
      "alter table orders add constraint c check () | an expression between the parentheses",
      "alter table orders | an ALTER TABLE action",
  })
  void whatABranchDoesNotTakeIs422NamingTheStatementAndWhy(String statement, String why) {
    assertThatThrownBy(() -> read(statement)).as(statement).isInstanceOfSatisfying(StrataException.class,
        e -> assertThat(e.getMessage()).startsWith("statements").contains(why));
  }

  @Test
  void aRefusalOfTheOperationsReadNamesTheStatementTheyCameFrom() {
    DdlStatementInput.Read read = DdlStatementInput.read("orders",
        List.of("alter table orders drop a, drop b", "alter table orders drop c"));
    assertThat(read.statementOf()).containsExactly(0, 0, 1);
    Throwable located = read.located(StrataException.invalid("operations[2].name", "no column c"));
    assertThat(located).isInstanceOfSatisfying(StrataException.class, e -> {
      assertThat(e.getMessage()).isEqualTo("statements[1]: operations[2].name: no column c");
      assertThat(e.details()).containsEntry("field", "statements[1]").containsEntry("operation", "operations[2]");
    });
    assertThat(read.located(new StrataException(io.strata.server.domain.ErrorCode.ValidationError, "has b already",
        Map.of("column", "b"))).getMessage()).isEqualTo("statements[0]: has b already");
    StrataException other = StrataException.invalid("expected_head", "stale");
    assertThat(read.located(other)).isSameAs(other);
    assertThat(read.located(StrataException.invalid("operations[7]", "out of range")).getMessage())
        .startsWith("operations[7]");
  }

  @Test
  void countsAndLengthsAreBounded() {
    assertThatThrownBy(() -> read()).isInstanceOf(StrataException.class);
    assertThatThrownBy(() -> DdlStatementInput.operations("orders",
        java.util.Collections.nCopies(DdlStatementInput.MAX_STATEMENTS + 1, "drop index i")))
        .hasMessageContaining("1 to " + DdlStatementInput.MAX_STATEMENTS);
    assertThatThrownBy(() -> read("alter table orders add column a text default '" + "x".repeat(10_000) + "'"))
        .hasMessageContaining("at most " + DdlStatementInput.MAX_LENGTH);
    assertThatThrownBy(() -> DdlStatementInput.operations("orders", java.util.Arrays.asList((String) null)))
        .isInstanceOf(StrataException.class);
    String long9k = "alter table orders drop column a" + " ".repeat(9_000);
    assertThatThrownBy(() -> read(java.util.Collections.nCopies(12, long9k).toArray(String[]::new)))
        .hasMessageContaining("at most " + DdlStatementInput.MAX_TOTAL_LENGTH + " characters in all");
    // the most a request may send is taken
    List<String> most = java.util.Collections.nCopies(10, "alter table orders add column c text default '"
        + "x".repeat(9_900) + "'");
    assertThat(read(most.toArray(String[]::new))).hasSize(10);
  }
}
