"""Line 6 of the program, ``model.evaluate``: accuracy per class, confusions, confident mistakes, and the fit gap."""
