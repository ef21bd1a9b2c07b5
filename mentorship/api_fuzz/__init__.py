"""API fuzzing with schemathesis: a fuzz organization with a person per role (seed) and the in-process run (runner)."""
