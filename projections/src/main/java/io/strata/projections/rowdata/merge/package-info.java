/**
 * The merge rules, defined once, in plain Java: what a three-way merge of one key decides from the
 * base, ours and theirs row images ({@link io.strata.projections.rowdata.merge.RowMerge}, field by
 * field, jsonb objects key by key with {@link io.strata.projections.rowdata.merge.ObjectMerge}), how a
 * strategy settles its conflicts ({@link io.strata.projections.rowdata.merge.Settlement}), and what a
 * table's merge counts ({@link io.strata.projections.rowdata.merge.MergeTally}). No database: a
 * backend's own fast path (PostgreSQL's {@code strata.merge_images}) must decide the same, which the
 * merge-rules contract proves over random three-way inputs.
 */
package io.strata.projections.rowdata.merge;
