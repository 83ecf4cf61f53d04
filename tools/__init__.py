"""Developer tools: benchmarks and evaluation scripts, outside the runtime package (not in the wheel)."""
