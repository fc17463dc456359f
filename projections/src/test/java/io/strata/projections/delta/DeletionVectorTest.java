package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.kernel.engine.Engine;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deletion vectors another engine wrote, as Strata names them in other logs: by the protocol's rules for their files
 * (its example's vector), the same vector named relatively and absolutely being one. Spark's own are carried through
 * branches, diffs and merges in delta-interop's {@code DeltaSparkInteropIT}.
 */
class DeletionVectorTest {
  private static final URI ROOT = URI.create("file:///t/");
  private static final List<String> KEY = KernelTables.KEY;

  @TempDir Path dir;
  private final Engine engine = DeltaTable.defaultEngine();

  /**
   * Another engine's delete as a vector (rows 1 and 4 of a file of 1..10): Kernel reads the table without them; the
   * change is the two deletes, read from the one file whose vector changed; a branch names the vector absolutely and
   * reads the same rows; a merge rewriting the file removes it with its vector and keeps the deleted rows gone.
   */
  @Test
  void aVectorAnotherEngineWroteIsReadDiffedBranchedAndRewritten() throws Exception {
    Path root = dir.resolve("t");
    DeltaTable table = DeltaTable.local(root, engine);
    long now = System.currentTimeMillis();
    table.log().create(0, DeltaCommit.of("other-1", "CREATE TABLE", now)
        .protocol(3, 7, Set.of("deletionVectors"), Set.of("deletionVectors"))
        .metadata("t-id", KernelTables.SCHEMA.toJson(), List.of(), Map.of("delta.enableDeletionVectors", "true"), now)
        .bytes());
    DeltaFile file = DataFiles.write(table, table.latest(), KernelTables.rows(1, 10));
    table.log().create(1, DeltaCommit.of("other-2", "WRITE", now).add(file).bytes());
    DeletionVector dv = DeletionVectorFiles.write(root, 0, 3);
    DeltaFile deleted = new DeltaFile(file.path(), file.size(), file.modificationTime(), Map.of(), file.stats(), dv);
    table.log().create(2, DeltaCommit.of("other-3", "DELETE", now).remove(file, now).add(deleted).bytes());

    assertThat(table.files(table.at(2))).containsExactly(deleted);
    assertThat(table.rows(table.at(2), KEY)).hasSize(8).doesNotContainKeys(List.of(1L), List.of(4L));
    assertThat(RowChanges.between(table, 1, table, 2, KEY)).extracting(c -> c.key().get(0) + " " + c.kind())
        .containsExactly("1 delete", "4 delete");

    DeltaTable branch = DeltaTable.local(root.resolve("_strata/branches/dev"), engine);
    assertThat(ShallowClone.create(table, 2, branch, "tx-1", now)).isTrue();
    assertThat(branch.files(branch.at(0))).singleElement()
        .satisfies(f -> assertThat(f.deletionVector().storageType()).isEqualTo("p"));
    assertThat(branch.rows(branch.at(0), KEY)).isEqualTo(table.rows(table.at(2), KEY));
    assertThat(RowChanges.between(table, 2, branch, 0, KEY)).as("the same file and vector").isEmpty();
    assertThat(RowChanges.between(table, 1, branch, 0, KEY)).hasSize(2);

    long merged = DeltaMerge.apply(new DeltaMerge.Plan(0, Map.of(List.of(5L), KernelTables.row(5, "five", 5)),
        Map.of()), branch, KEY, "tx-2", now);
    assertThat(new String(branch.log().read(merged), StandardCharsets.UTF_8))
        .contains("\"remove\":{\"path\":\"" + file.absolute(table.root()) + "\"").contains("\"deletionVector\"");
    assertThat(branch.files(branch.at(merged))).allSatisfy(f -> assertThat(f.deletionVector()).isNull());
    assertThat(branch.rows(branch.at(merged), KEY)).hasSize(8).doesNotContainKeys(List.of(1L), List.of(4L))
        .containsEntry(List.of(5L), KernelTables.row(5, "five", 5));
    assertThat(RowChanges.between(table, 2, branch, merged, KEY)).extracting(c -> c.key().get(0) + " " + c.kind())
        .containsExactly("5 update");
  }

  @Test
  void aVectorNamedByUuidIsAFileOfTheTablesDirectoryAsTheProtocolExampleSays() {
    DeletionVector dv = new DeletionVector("u", "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6);
    assertThat(dv.file(ROOT)).isEqualTo("file:/t/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
    assertThat(dv.file(URI.create("file:///t"))).as("a root without its slash")
        .isEqualTo("file:/t/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
    DeletionVector absolute = dv.absoluteIn(ROOT);
    assertThat(absolute).isEqualTo(new DeletionVector("p",
        "file:/t/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin", 4, 40, 6));
    assertThat(absolute.identity(URI.create("file:///t/_strata/branches/dev/"))).as("one vector in two logs")
        .isEqualTo(dv.identity(ROOT));
    assertThat(new DeletionVector("u", "ab^-aqEH.-t@S}K{vb[*k^", 44, 40, 6).identity(ROOT))
        .as("another vector of the same file").isNotEqualTo(dv.identity(ROOT));

    DeletionVector inline = new DeletionVector("i", "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", null, 40, 6);
    assertThat(inline.file(ROOT)).isNull();
    assertThat(inline.absoluteIn(ROOT)).isEqualTo(inline);
    assertThat(inline.identity(ROOT)).isNotEqualTo(dv.identity(ROOT));

    assertThatThrownBy(() -> new DeletionVector("u", "short", 1, 1, 1).file(ROOT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DeletionVector("u", "ab~~~~~~~~~~~~~~~~~~~~", 1, 1, 1).file(ROOT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DeletionVector("x", "a", 1, 1, 1).file(ROOT))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFilesIdentityIsItsUriAndItsVectorsAndActionsNameTheVector() {
    DeletionVector dv = new DeletionVector("u", "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6);
    DeltaFile plain = new DeltaFile("part-0.parquet", 10, 1, Map.of(), "{\"numRecords\":10}");
    DeltaFile deleted = new DeltaFile("part-0.parquet", 10, 1, Map.of(), "{\"numRecords\":10}", dv);
    assertThat(plain.identity(ROOT)).isEqualTo("file:/t/part-0.parquet");
    assertThat(deleted.identity(ROOT)).isNotEqualTo(plain.identity(ROOT));
    DeltaFile cloned = deleted.absoluteIn(ROOT);
    assertThat(cloned.path()).isEqualTo("file:/t/part-0.parquet");
    assertThat(cloned.deletionVector().storageType()).isEqualTo("p");
    assertThat(cloned.identity(URI.create("file:///t/_strata/branches/dev/"))).isEqualTo(deleted.identity(ROOT));

    String commit = new String(DeltaCommit.of("tx", "WRITE", 5L).remove(deleted, 5L).add(cloned).bytes(),
        StandardCharsets.UTF_8);
    assertThat(commit).contains("\"remove\":{\"path\":\"part-0.parquet\"")
        .contains("\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab^-aqEH.-t@S}K{vb[*k^\","
            + "\"offset\":4,\"sizeInBytes\":40,\"cardinality\":6}")
        .contains("\"deletionVector\":{\"storageType\":\"p\",\"pathOrInlineDv\":\"file:/t/ab/deletion_vector_"
            + "d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin\",\"offset\":4,\"sizeInBytes\":40,\"cardinality\":6}");
  }
}
