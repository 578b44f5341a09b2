"""Benchmarks: plain scripts, each printing its figures (see README)."""
