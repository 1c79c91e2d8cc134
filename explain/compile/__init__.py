"""Line 4 of the program, ``model.compile``: the loss (sparse categorical cross-entropy) and Adam, by hand."""
