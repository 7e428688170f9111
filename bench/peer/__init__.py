"""The PostGraphile 5 peer of `make bench` (see peer.py and README.md)."""
