"""Statistics: pure functions of arrays and population figures (estimates, tests, weighting
methods). They know nothing of our surveys or of the rest of the pipeline."""
