"""Checks of a Design that every estimator runs before it compiles anything: posteriors and
likelihood maxima that do not exist (separation, no data, a flat prior where the data cannot
identify a scale)."""
