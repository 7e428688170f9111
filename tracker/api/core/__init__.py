"""Plumbing of the GraphQL API: document limits."""
