"""One explainer per layer kind: Flatten, Dense, Dropout, softmax.

Each takes a model and an input, traces it, recomputes the layer in NumPy and
returns a frozen result object that prints well and reports how far NumPy's
numbers are from Keras's own.
"""
