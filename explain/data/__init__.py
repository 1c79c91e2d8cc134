"""Line 1 and 2 of the program: load MNIST (or Fashion-MNIST, or the shipped sample) and scale it to [0, 1].

And a picture of your own digit, prepared as MNIST prepared its digits (`prepare_digit`).
"""
