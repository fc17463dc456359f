package io.strata.events;

/** A column of a tracked table: its name, its SQL type as PostgreSQL formats it, and nullability. */
public record TableColumn(String name, String type, boolean nullable) {}
