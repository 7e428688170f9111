"""Tracker of the openness plans of territorial collectivities."""

from __future__ import annotations

__version__ = "0.1.0"
