"""The build: the data stages run over a cache, the schedule of a whole report's steps, the
fingerprint that skips an unchanged build, and the worker processes."""
