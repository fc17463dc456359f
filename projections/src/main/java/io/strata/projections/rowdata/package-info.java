/**
 * The row-data plane's roles, as the server sees them: what a backend that versions a table's rows
 * (PostgreSQL overlays today, Delta Lake tables later) must do. Each role is an interface over the
 * backend's unit of work {@code X} (for PostgreSQL, a connection in a transaction); the values here
 * name tables, branches and states without saying how a backend keeps them.
 */
package io.strata.projections.rowdata;
