package io.strata.projections.rowdata;

/**
 * One difference between two shapes of a table: an object (a column, a constraint, an index) added,
 * removed or modified, what it was and what it became, and whether the change loses data or lets data
 * in that the old shape kept out ({@code destructive}, with {@code why}).
 *
 * @param before the object in the first shape ({@code TableShape.Column}, {@code .Constraint} or {@code
 *     .Index}); null when added
 * @param after the object in the second shape; null when removed
 * @param why what makes it destructive, or what may make it fail on existing rows; null when nothing
 */
public record ShapeChange(Kind change, ObjectType objectType, String object, Object before, Object after,
    boolean destructive, String why) {

  /**
   * What happened to the object: {@code renamed}, a column shown under another name (on a branch: the same
   * column, its values kept).
   */
  public enum Kind { added, removed, modified, renamed }

  /** What kind of object changed. */
  public enum ObjectType { column, constraint, index }
}
