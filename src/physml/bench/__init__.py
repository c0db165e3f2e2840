"""physml.bench."""
