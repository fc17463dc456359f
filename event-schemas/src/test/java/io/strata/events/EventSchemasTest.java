package io.strata.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.jackson.JsonFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class EventSchemasTest {
  private static final JsonSchemaFactory FACTORY =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final SchemaValidatorsConfig CONFIG =
      SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
  private final EventCodec codec = new EventCodec();

  private static JsonSchema schema(String resource) {
    InputStream in = EventSchemasTest.class.getClassLoader().getResourceAsStream(resource);
    assertThat(in).as("schema resource %s", resource).isNotNull();
    return FACTORY.getSchema(in, CONFIG);
  }

  @Test
  void everySampleValidatesAgainstItsSchemaAndRoundTrips() {
    for (StrataEvent event : SampleEvents.all()) {
      EventType type = EventType.of(event);
      JsonNode data = codec.encode(event);
      Set<ValidationMessage> errors = schema(type.schemaResource()).validate(data);
      assertThat(errors).as("%s as %s", data, type.type()).isEmpty();
      assertThat(codec.decode(type.type(), data)).isEqualTo(event);
    }
  }

  @Test
  void aChangesStagedEventWrittenBeforeRowWritesWereStagedReadsAsTheStageCommand() throws IOException {
    JsonNode old = EventCodec.mapper().readTree(
        "{\"branch\":\"main\",\"tables\":[{\"table\":\"t\",\"inserted\":1,\"updated\":0,\"deleted\":0}]}");
    assertThat(schema(EventType.CHANGES_STAGED.schemaResource()).validate(old)).isEmpty();
    assertThat(codec.decode(EventType.CHANGES_STAGED.type(), old))
        .isEqualTo(new ChangesStaged("main", java.util.List.of(new TableCounts("t", 1, 0, 0)), false));
  }

  @Test
  void samplesCoverEveryEventType() {
    Set<EventType> produced =
        SampleEvents.all().stream().map(EventType::of).collect(Collectors.toSet());
    assertThat(produced).containsExactlyInAnyOrderElementsOf(EnumSet.allOf(EventType.class));
  }

  @Test
  void everyTypeHasASchemaFileAndEverySchemaFileAType() throws IOException {
    Path dir = Path.of("src/main/resources/schemas");
    Set<String> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
    Set<String> expected =
        Arrays.stream(EventType.values())
            .map(t -> t.type() + ".json")
            .collect(Collectors.toSet());
    expected.add("envelope.v1.json");
    // a published schema stays, beside its successor, for the events stored in its shape
    EventCodec.UPCASTERS.forEach(u -> expected.add(u.fromType() + ".json"));
    assertThat(files).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void aCommitStoredAsV1ReadsAsACommitThatMergesNothing() throws IOException {
    CommitCreated v2 = (CommitCreated) secondCommit();
    JsonNode v1 = codec.encode(v2);
    ((ObjectNode) v1).remove("merge");
    assertThat(codec.decode("io.strata.commit.created.v1", v1)).isEqualTo(v2);
  }

  @Test
  void aStashStoredAsV1ReadsAsAStashOfRowsAlone() throws IOException {
    StashCreated v2 = (StashCreated) SampleEvents.all().stream().filter(StashCreated.class::isInstance).findFirst()
        .orElseThrow();
    JsonNode v1 = codec.encode(v2);
    ((ObjectNode) v1).remove("schema_tables");
    assertThat(schema("schemas/io.strata.stash.created.v1.json").validate(v1)).isEmpty();
    StashCreated read = (StashCreated) codec.decode("io.strata.stash.created.v1", v1);
    assertThat(read.schemaTables()).isEmpty();
    assertThat(read.tables()).isEqualTo(v2.tables());
    assertThat(schema(EventType.STASH_CREATED.schemaResource()).validate(codec.encode(read))).isEmpty();
  }

  @Test
  void aTablePlacedAsV1ReadsAsATablePlacedWithTheShapeRecordedBefore() throws IOException {
    JsonNode v1 = EventCodec.mapper().readTree("{\"name\":\"refunds\",\"schema\":\"public\",\"table\":\"refunds\"}");
    assertThat(schema("schemas/io.strata.table.placed.v1.json").validate(v1)).isEmpty();
    TablePlaced placed = (TablePlaced) codec.decode("io.strata.table.placed.v1", v1);
    assertThat(placed).isEqualTo(new TablePlaced("refunds", "public", "refunds", null));
    assertThat(schema(EventType.TABLE_PLACED.schemaResource()).validate(codec.encode(placed))).isEmpty();
  }

  @Test
  void aTableTrackedAsV1ReadsAsATableWhoseShapeIsKnownByItsColumnsAndKey() throws IOException {
    JsonNode v1 = EventCodec.mapper().readTree("{\"name\":\"t\",\"storage\":\"local\",\"schema\":\"public\","
        + "\"table\":\"t\",\"primary_key\":[\"id\"],\"columns\":[{\"name\":\"id\",\"type\":\"integer\","
        + "\"nullable\":false},{\"name\":\"v\",\"type\":\"text\",\"nullable\":true}],\"row_count\":0,"
        + "\"row_sum\":\"0\",\"content_hash\":\"" + TableTracked.contentHash(0, "0") + "\"}");
    assertThat(schema("schemas/io.strata.table.tracked.v1.json").validate(v1)).isEmpty();
    TableTracked t = (TableTracked) codec.decode("io.strata.table.tracked.v1", v1);
    assertThat(t.shape()).isNull();
    assertThat(t.knownShape().partial()).isTrue();
    assertThat(t.knownShape().tableColumns()).isEqualTo(t.columns());
    assertThat(schema(EventType.TABLE_TRACKED.schemaResource()).validate(codec.encode(t))).isEmpty();
  }

  @Test
  void aSchemaChangeRecordedAsV1ReadsAsOneAfterWhichEveryBranchReadsTheTablesColumns() {
    TableSchemaChanged v2 = SampleEvents.all().stream().filter(TableSchemaChanged.class::isInstance)
        .map(TableSchemaChanged.class::cast).findFirst().orElseThrow();
    ObjectNode v1 = (ObjectNode) codec.encode(v2);
    v1.remove("branch_columns");
    v1.remove("migration");
    assertThat(schema("schemas/io.strata.table.schema_changed.v1.json").validate(v1)).isEmpty();
    TableSchemaChanged read = (TableSchemaChanged) codec.decode("io.strata.table.schema_changed.v1", v1);
    assertThat(read.branchColumns()).isEmpty();
    assertThat(read).isEqualTo(new TableSchemaChanged(v2.name(), v2.branch(), v2.shape(), v2.shapeHash(),
        v2.previousShapeHash(), v2.statements(), v2.ddlThrough(), List.of(), List.of()));
  }

  @Test
  void aSchemaChangeRecordedAsV2ReadsWithoutMigrationStatements() {
    TableSchemaChanged v3 = SampleEvents.all().stream().filter(TableSchemaChanged.class::isInstance)
        .map(TableSchemaChanged.class::cast).findFirst().orElseThrow();
    ObjectNode v2 = (ObjectNode) codec.encode(v3);
    v2.remove("migration");
    assertThat(schema("schemas/io.strata.table.schema_changed.v2.json").validate(v2)).isEmpty();
    TableSchemaChanged read = (TableSchemaChanged) codec.decode("io.strata.table.schema_changed.v2", v2);
    assertThat(read).isEqualTo(new TableSchemaChanged(v3.name(), v3.branch(), v3.shape(), v3.shapeHash(),
        v3.previousShapeHash(), v3.statements(), v3.ddlThrough(), v3.branchColumns(), List.of()));
  }

  @Test
  void aBranchSchemaChangeRecordedAsV1OrV2ReadsAsV3WithNothingRenamed() {
    TableBranchSchemaChanged v3 = SampleEvents.all().stream().filter(TableBranchSchemaChanged.class::isInstance)
        .map(TableBranchSchemaChanged.class::cast).filter(e -> e.operations().stream()
            .allMatch(o -> o.op().equals(TableBranchSchemaChanged.ADD_COLUMN))).findFirst().orElseThrow();
    ObjectNode older = (ObjectNode) codec.encode(v3);
    older.remove("renamed");
    older.remove("redefined"); older.remove("constraints"); older.remove("indexes");
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v1.json").validate(older)).isEmpty();
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v2.json").validate(older)).isEmpty();
    assertThat(codec.decode("io.strata.table.branch_schema_changed.v1", older)).isEqualTo(v3);
    assertThat(codec.decode("io.strata.table.branch_schema_changed.v2", older)).isEqualTo(v3);
  }

  @Test
  void anAlteredColumnIsNotAV1BranchSchemaChangeNorARenamedOneAV2() {
    TableBranchSchemaChanged altered = SampleEvents.all().stream().filter(TableBranchSchemaChanged.class::isInstance)
        .map(TableBranchSchemaChanged.class::cast).filter(e -> e.operations().stream()
            .anyMatch(o -> o.op().equals(TableBranchSchemaChanged.ALTER_COLUMN))).findFirst().orElseThrow();
    ObjectNode v2 = (ObjectNode) codec.encode(altered);
    v2.remove("renamed");
    v2.remove("redefined"); v2.remove("constraints"); v2.remove("indexes");
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v1.json").validate(v2)).isNotEmpty();
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v2.json").validate(v2)).isEmpty();
    TableBranchSchemaChanged renamed = SampleEvents.all().stream().filter(TableBranchSchemaChanged.class::isInstance)
        .map(TableBranchSchemaChanged.class::cast).filter(e -> !e.renamed().isEmpty()).findFirst().orElseThrow();
    ObjectNode asV2 = (ObjectNode) codec.encode(renamed);
    asV2.remove("renamed");
    asV2.remove("redefined"); asV2.remove("constraints"); asV2.remove("indexes");
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v2.json").validate(asV2)).isNotEmpty();
    ObjectNode asV3 = (ObjectNode) codec.encode(renamed);
    asV3.remove("redefined"); asV3.remove("constraints"); asV3.remove("indexes");
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v3.json").validate(asV3)).isEmpty();
    assertThat(codec.decode("io.strata.table.branch_schema_changed.v3", asV3)).isEqualTo(renamed);
  }

  @Test
  void aConstraintAddedOnABranchIsAV4BranchSchemaChangeOnly() {
    TableBranchSchemaChanged added = SampleEvents.all().stream().filter(TableBranchSchemaChanged.class::isInstance)
        .map(TableBranchSchemaChanged.class::cast).filter(e -> !e.constraints().isEmpty()).findFirst().orElseThrow();
    ObjectNode asV4 = (ObjectNode) codec.encode(added);
    asV4.remove("indexes");
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v4.json").validate(asV4)).isEmpty();
    assertThat(codec.decode("io.strata.table.branch_schema_changed.v4", asV4)).isEqualTo(added);
    assertThat(codec.encode(added).get("operations").get(0).has("column")).isFalse();
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v3.json").validate(codec.encode(added)))
        .isNotEmpty();
  }

  @Test
  void aTableColumnRedefinedOnABranchIsAV4BranchSchemaChangeOnly() {
    TableBranchSchemaChanged redefined = SampleEvents.all().stream().filter(TableBranchSchemaChanged.class::isInstance)
        .map(TableBranchSchemaChanged.class::cast).filter(e -> !e.redefined().isEmpty()).findFirst().orElseThrow();
    ObjectNode asV4 = (ObjectNode) codec.encode(redefined);
    asV4.remove("indexes");
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v4.json").validate(asV4)).isEmpty();
    assertThat(codec.decode("io.strata.table.branch_schema_changed.v4", asV4)).isEqualTo(redefined);
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v3.json").validate(codec.encode(redefined)))
        .isNotEmpty();
  }

  @Test
  void anIndexAddedOnABranchIsAV5BranchSchemaChangeOnlyAndReadsAsARuleOfItsOwn() {
    TableBranchSchemaChanged added = SampleEvents.all().stream().filter(TableBranchSchemaChanged.class::isInstance)
        .map(TableBranchSchemaChanged.class::cast).filter(e -> !e.indexes().isEmpty()).findFirst().orElseThrow();
    JsonNode encoded = codec.encode(added);
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v5.json").validate(encoded)).isEmpty();
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v4.json").validate(encoded)).isNotEmpty();
    assertThat(encoded.get("operations").get(0).get("op").asText()).isEqualTo("add_index");
    assertThat(encoded.get("operations").get(0).get("index").get("definition").asText()).isEqualTo("btree (total)");
    assertThat(encoded.get("constraints")).isEmpty();
    assertThat(added.rules()).containsExactly(new TableShape.Constraint("orders_by_total", TableShape.INDEX,
        "btree (total)"));
  }

  @Test
  void aConversionIsAV6BranchSchemaChangeOnlyAndAV5ChangeKeepsItsIndexes() {
    TableBranchSchemaChanged converted = SampleEvents.all().stream().filter(TableBranchSchemaChanged.class::isInstance)
        .map(TableBranchSchemaChanged.class::cast).filter(e -> e.operations().get(0).using() != null).findFirst()
        .orElseThrow();
    JsonNode encoded = codec.encode(converted);
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v6.json").validate(encoded)).isEmpty();
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v5.json").validate(encoded)).isNotEmpty();
    assertThat(encoded.get("operations").get(0).get("using").asText()).isEqualTo("trim(priority)::integer");
    // a v5 event read now keeps the indexes it lists (the upcast fills only what the version did not know)
    TableBranchSchemaChanged indexed = SampleEvents.all().stream().filter(TableBranchSchemaChanged.class::isInstance)
        .map(TableBranchSchemaChanged.class::cast).filter(e -> !e.indexes().isEmpty()).findFirst().orElseThrow();
    JsonNode asV5 = codec.encode(indexed);
    assertThat(schema("schemas/io.strata.table.branch_schema_changed.v5.json").validate(asV5)).isEmpty();
    assertThat(codec.decode("io.strata.table.branch_schema_changed.v5", asV5)).isEqualTo(indexed);
    assertThat(codec.encode(indexed).get("operations").get(0).has("using")).isFalse();
  }

  @Test
  void equalShapesHashEqualWhateverOrderTheirConstraintsAndIndexesCameIn() {
    TableShape.Column id = new TableShape.Column("id", "integer", false, null, null, null, null);
    TableShape.Constraint a = new TableShape.Constraint("a_check", "check", "CHECK ((id > 0))");
    TableShape.Constraint b = new TableShape.Constraint("b_key", "unique", "UNIQUE (id)");
    TableShape.Index i = new TableShape.Index("i", false, "btree (id)");
    TableShape.Index j = new TableShape.Index("j", true, "btree (id) WHERE (id > 5)");
    TableShape one = new TableShape(List.of(id), List.of("id"), List.of(a, b), List.of(i, j));
    TableShape two = new TableShape(List.of(id), List.of("id"), List.of(b, a), List.of(j, i));
    assertThat(two).isEqualTo(one);
    assertThat(two.hash()).isEqualTo(one.hash()).matches("[0-9a-f]{64}");
    assertThat(new TableShape(List.of(id), List.of("id"), List.of(a), List.of(i, j)).hash()).isNotEqualTo(one.hash());
    assertThat(new TableShape(List.of(new TableShape.Column("id", "integer", false, null, "1", null, null)), List.of("id"),
        List.of(a, b), List.of(i, j)).hash()).isNotEqualTo(one.hash());
    assertThat(one.partial()).isFalse();
  }

  @Test
  void schemasRejectWhatTheContractForbids() {
    StrataEvent commit = secondCommit();
    ObjectNode data = (ObjectNode) codec.encode(commit);
    JsonSchema commitSchema = schema(EventType.COMMIT_CREATED.schemaResource());

    ObjectNode missingAuthor = data.deepCopy();
    missingAuthor.remove("author");
    assertThat(commitSchema.validate(missingAuthor)).isNotEmpty();

    ObjectNode badParent = data.deepCopy();
    badParent.putArray("parents").add("not-a-commit-id");
    assertThat(commitSchema.validate(badParent)).isNotEmpty();

    ObjectNode extraField = data.deepCopy();
    extraField.put("rows", "payloads never travel in events");
    assertThat(commitSchema.validate(extraField)).isNotEmpty();

    ObjectNode badTime = data.deepCopy();
    badTime.put("created_at", "yesterday");
    assertThat(commitSchema.validate(badTime)).isNotEmpty();
  }

  @Test
  void envelopeIsAValidCloudEventWithStrataExtensions() throws IOException {
    JsonSchema envelopeSchema = schema("schemas/envelope.v1.json");
    EventFormat format = new JsonFormat();
    long position = 1;
    for (StrataEvent event : SampleEvents.all()) {
      EventType type = EventType.of(event);
      EventEnvelope envelope =
          new EventEnvelope(
              UUID.randomUUID(), EventEnvelope.sourceOf("warehouse"), type.type(),
              event.subject(), SampleEvents.T0, "warehouse", position, position,
              "ada@example.com", "corr-1", position > 1 ? "cause-1" : null, codec.encode(event));
      byte[] json = format.serialize(envelope.toCloudEvent());
      JsonNode node = EventCodec.mapper().readTree(json);
      assertThat(envelopeSchema.validate(node)).as("%s", node).isEmpty();
      assertThat(schema(type.schemaResource()).validate(node.get("data"))).isEmpty();
      assertThat(node.get("streamversion").asLong()).isEqualTo(position);
      assertThat(format.deserialize(json).getExtension("repository")).isEqualTo("warehouse");
      position++;
    }
  }

  @Test
  void aServerEventHasTheServerSourceAndNoRepository() throws IOException {
    JsonSchema envelopeSchema = schema("schemas/envelope.v1.json");
    EventFormat format = new JsonFormat();
    WebhookDisabled event = new WebhookDisabled("wh_1", "https://hooks.example.com/x", "the receiver answered 410 Gone");
    EventEnvelope envelope = new EventEnvelope(UUID.randomUUID(), EventEnvelope.sourceOf(EventEnvelope.SERVER_STREAM),
        EventType.WEBHOOK_DISABLED.type(), event.subject(), SampleEvents.T0,
        EventEnvelope.repositoryOf(EventEnvelope.SERVER_STREAM), 1, 1, "strata", "corr-1", null, codec.encode(event));
    JsonNode node = EventCodec.mapper().readTree(format.serialize(envelope.toCloudEvent()));
    assertThat(envelopeSchema.validate(node)).as("%s", node).isEmpty();
    assertThat(node.get("source").asText()).isEqualTo("/strata/server");
    assertThat(node.has("repository")).isFalse();
    assertThat(node.get("subject").asText()).isEqualTo("webhooks/wh_1");
    assertThat(EventType.WEBHOOK_DISABLED.serverEvent()).isTrue();

    // a repository event must name its repository, and a server event must not
    ObjectNode noRepository = (ObjectNode) node.deepCopy();
    noRepository.put("source", "/strata/repositories/warehouse");
    assertThat(envelopeSchema.validate(noRepository)).isNotEmpty();
    ObjectNode withRepository = (ObjectNode) node.deepCopy();
    withRepository.put("repository", "warehouse");
    assertThat(envelopeSchema.validate(withRepository)).isNotEmpty();
    // no repository can be named as the server's stream
    assertThat(EventEnvelope.SERVER_STREAM).doesNotMatch("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  }

  @Test
  void theTreeOfNoTableIsTheEmptyTreeAndDependsOnEveryTable() {
    assertThat(CommitIds.treeOf(java.util.List.of())).isEqualTo(CommitIds.EMPTY_TREE);
    TableTracked users = (TableTracked) SampleEvents.all().stream().filter(e -> e instanceof TableTracked)
        .findFirst().orElseThrow();
    TableTracked changed = users.withContent(users.rowCount(), "42");
    assertThat(CommitIds.treeOf(java.util.List.of(users))).isNotEqualTo(CommitIds.EMPTY_TREE)
        .isNotEqualTo(CommitIds.treeOf(java.util.List.of(changed)));
  }

  @Test
  void commitIdIsTheHashOfItsContent() {
    String a = CommitIds.of(java.util.List.of(), CommitIds.EMPTY_TREE, SampleEvents.ADA, SampleEvents.T0, "m");
    String b = CommitIds.of(java.util.List.of(), CommitIds.EMPTY_TREE, SampleEvents.ADA, SampleEvents.T0, "m");
    String c = CommitIds.of(java.util.List.of(), CommitIds.EMPTY_TREE, SampleEvents.ADA, SampleEvents.T0, "n");
    assertThat(a).isEqualTo(b).hasSize(64).matches("[0-9a-f]{64}");
    assertThat(c).isNotEqualTo(a);
    // nanoseconds beyond what PostgreSQL stores do not change the id
    assertThat(CommitIds.of(java.util.List.of(), CommitIds.EMPTY_TREE, SampleEvents.ADA,
            SampleEvents.T0.plusNanos(7), "m"))
        .isEqualTo(a);
  }

  /** The sample commit with a parent (the second CommitCreated of the samples). */
  private static CommitCreated secondCommit() {
    return SampleEvents.all().stream().filter(CommitCreated.class::isInstance).map(CommitCreated.class::cast)
        .skip(1).findFirst().orElseThrow();
  }
}
