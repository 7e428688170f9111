"""Talking to the outside world. Never imports `tracker`: it gets plain values and returns them."""
