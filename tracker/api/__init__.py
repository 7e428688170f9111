"""The GraphQL API: reads through selects and DataLoaders, writes only through services."""

from tracker.api.core.enums import describe_enums

# Before any type module is imported: strawberry fixes an enum's definition the first time a
# field uses it.
describe_enums()
