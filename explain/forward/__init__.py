"""The forward pass, ``model(x)``: every layer's output in one trace, and one explainer per layer kind."""
