"""Presentation: the house formats, exhibits and their notes, shares in words, chart specs and
the claims prose makes about the data; what every output shows the same way."""
