"""Print the schema in SDL (`make schema` writes it to graphql/schema.graphql)."""

from __future__ import annotations

import sys

from tracker.api.schema import build_schema
from tracker.settings import Settings


def sdl() -> str:
    return build_schema(Settings()).as_str() + "\n"


if __name__ == "__main__":
    sys.stdout.write(sdl())
