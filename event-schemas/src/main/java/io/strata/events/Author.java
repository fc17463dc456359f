package io.strata.events;

/** Who made a commit or a tag. Both fields are validated by the command side (no control characters). */
public record Author(String name, String email) {}
