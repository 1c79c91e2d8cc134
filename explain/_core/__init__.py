"""The private core every folder builds on: checks, constants, reports, files, the cache and the lazy TensorFlow."""
