"""Benchmarks: each workload is measured against a baseline run in the same process and run."""
