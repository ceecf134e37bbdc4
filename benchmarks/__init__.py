"""Benchmarks of osc-maxphysaddr: ``python -m benchmarks`` (README.rst)."""
