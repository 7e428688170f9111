"""Benchmarks run by `make bench`: never imported by the tracker, never run by the test suite."""
