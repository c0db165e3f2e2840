"""physml.cli."""
