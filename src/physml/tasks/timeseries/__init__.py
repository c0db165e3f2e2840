"""Time-series tasks: ``transit-search`` (exoplanet transits) and ``gw-chirp`` (inspirals)."""
