"""Benchmarks of SafeCampus pages on a generated 200,000-hazard database (``make bench``)."""
