"""Cosmology tasks: ``field-emulator``."""
