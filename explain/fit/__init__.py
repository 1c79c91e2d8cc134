"""Line 5 of the program, ``model.fit``: training with a recorder, the run it makes, and the trained-model cache."""
