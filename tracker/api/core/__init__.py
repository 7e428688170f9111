"""Plumbing of the GraphQL API: what every noun's module uses and none owns.

A module belongs here when it knows no GraphQL type of the tracker's own: it imports nothing from
`tracker.api` outside `tracker.api.core`, so a noun's module may import any of these and none of
these imports a noun.

- requests: `context` (the typed per-request context), `loaders` (its DataLoaders: batched
  selects of rows, one per relation, shared by every noun that follows it), `writes` (a service
  run in one transaction for a mutation), `lang` (which `lang` a translated field answers in);
- shared types: `relay` (global IDs, Node, connections), `scalars` (Date, DateTime), `enums`
  (the domain enums as GraphQL enums, described before any type uses them), `inputs` (inputs
  several nouns take: translated text, periods, IDs);
- refusals before and after execution: `limits` and `analysis` (document size and cost),
  `text_rules` and `literal_rules` (text and literal values), `input_paths` (which field a
  mistake is about), `errors` (every error's `extensions.code`), `document_cache`;
- `persisted` (the documents of `graphql/operations/`) and `planner/` (queries compiled to SQL).
"""
