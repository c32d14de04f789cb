"""The data stages, in the order a build runs them: load, clean, derive, weighting, tabulate,
compare (significance letters), disclosure control; then the audit and the comparison of waves."""
