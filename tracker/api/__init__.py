"""The GraphQL API: reads through selects and DataLoaders, writes only through services."""
