"""Line 4 of the program, ``model.compile``: the loss (cross-entropy), its gradients and Adam, by hand."""
