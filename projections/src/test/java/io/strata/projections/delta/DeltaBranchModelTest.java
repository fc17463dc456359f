package io.strata.projections.delta;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * {@link DeltaBranchModel}'s random sequences read by Kernel (Strata's own reads); {@code DeltaSparkModelIT} in the
 * interoperability module runs them read by Spark, Delta's reference implementation.
 */
class DeltaBranchModelTest {
  @Property(tries = 12)
  @StatisticsReport(onFailureOnly = true)
  void branchesReadAsTheModelAndMergesDecideAsThreeWayByField(@ForAll Random random) throws Exception {
    Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "delta-model-");
    DeltaBranchModel.Run run = DeltaBranchModel.run(dir, random, DeltaBranchModel.kernel());
    Statistics.label("merges where both sides changed a key differently")
        .coverage(c -> c.check(true).count(n -> n > 0));
    Statistics.label("merges where both sides changed a key differently")
        .collect(run.mergesWhereBothChangedAKey() > 0);
    Statistics.label("moves").coverage(c -> c.check(true).count(n -> n > 0));
    Statistics.label("moves").collect(run.moves() > 0);
  }
}
