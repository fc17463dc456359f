/**
 * Delta Lake tables (docs/delta.md): a table's log and its versions, the files a version holds, commits written as
 * Delta's protocol specifies them (put-if-absent), branches as shallow clones, and the row changes between two
 * versions computed from the files that differ. Everything here blocks on I/O: callers run it on a worker pool,
 * never on an event loop.
 */
package io.strata.projections.delta;
