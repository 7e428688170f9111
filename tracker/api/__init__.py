"""The GraphQL API: reads through selects and DataLoaders, writes only through services.

One module a noun: its GraphQL types, their fields, filters and orders, its root queries, its
mutations (inputs, payloads and an `XMutation` class), and the SQL spelling the read planner
uses, last. `schema.py` composes the nouns' Query and Mutation classes; the order of the
Mutation bases is the order of the mutations in graphql/schema.graphql.

- collectivities (Collectivity, root `collectivities`, `collectivity`), plans (ActionPlan),
  commitments, milestones, milestone_search (root `milestones`), indicators (Indicator,
  Measurement, recordMeasurement), evidence, bodies (ConsultativeBody), accountability (Comment,
  Assessment), sources (EvidenceSource, MilestoneProposal), webhooks, events, history
  (AuditEntry), access_requests, network (root `network`), viewer (root `viewer`);
- over several nouns: nodes (`node`, `nodes`), live (subscriptions), schema, sdl (prints it);
- plumbing that knows no noun (context, loaders, relay, errors, limits, inputs, the planner...):
  `tracker/api/core/`, whose docstring maps it.
"""

from tracker.api.core.enums import describe_enums

# Before any type module is imported: strawberry fixes an enum's definition the first time a
# field uses it.
describe_enums()
