"""Tracker of the openness plans of territorial collectivities."""

from __future__ import annotations

from integrations.http import package_version

# The installed package's version (pyproject.toml is the one place it is written).
__version__ = package_version()
