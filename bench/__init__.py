"""Benchmarks: replay and live-crawl throughput, memory, and the extractors
people use instead (``make bench``; see docs/benchmarks.md)."""
