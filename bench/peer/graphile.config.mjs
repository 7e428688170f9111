// PostGraphile 5 configuration of the benchmark peer: the tracker's database, served read-mostly.
//
// DATABASE_URL  postgres://postgres@127.0.0.1:5432/bench_126 (peer.sql applied to it)
// PORT          where /graphql listens on 127.0.0.1 (default 5678)
//
// Production settings: no GraphiQL (Ruru), no watch mode, no websockets, no explain, no query
// logging; run with GRAPHILE_ENV=production (peer.py and server.mjs do).
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { jsonPgSmartTags } from "postgraphile/utils";

// The tables the peer serves; every other table of `public` (tokens, webhooks, outbox, audit...)
// is left out of the API, as any public deployment would.
const SERVED = new Set([
  "collectivity",
  "action_plan",
  "commitment",
  "milestone",
  "indicator",
  "measurement",
  "evidence",
]);
const HIDDEN = [
  "access_request",
  "alembic_version",
  "api_token",
  "assessment",
  "audit_entry",
  "comment",
  "consultative_body",
  "evidence_source",
  "idempotency_key",
  "milestone_proposal",
  "milestone_reminder",
  "network_stats",
  "outbox_event",
  "rate_limit_counter",
  "source_run",
  "webhook_attempt",
  "webhook_delivery",
  "webhook_subscription",
].filter((name) => !SERVED.has(name));

// The values the tracker keeps on write (progress, latest measurement; `network_stats` above) are
// its own optimisation, not what a PostGraphile user starts from: the peer computes them with its
// functions in `peer.sql`, whose fields (`progress`, `latest`) would otherwise clash with them.
const STORED = [
  "action_plan.progress",
  "commitment.progress",
  "indicator.progress",
  "indicator.latest_value",
  "indicator.latest_observed_at",
  "indicator.latest_measurement_id",
];

const ServedTablesPlugin = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      ...Object.fromEntries(HIDDEN.map((name) => [name, { tags: { behavior: "-*" } }])),
      // The slug is unique (a unique index, which PostGraphile does not read as a constraint):
      // gives `collectivityBySlug(slug:)`.
      collectivity: { tags: { unique: "slug" } },
    },
    attribute: Object.fromEntries(STORED.map((name) => [name, { tags: { behavior: "-*" } }])),
  },
});

const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/bench_126";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
  plugins: [ServedTablesPlugin],
  // Children are ordered like the tracker orders them (position, due date, observation time...),
  // on columns without an index of their own: allow ordering by any column, as PostGraphile 4 did.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: databaseUrl,
      schemas: ["public", "peer"],
      poolConfig: {
        // node-postgres' default pool size, stated: 10 connections.
        max: 10,
        // No JIT compilation: PostGraphile sends one nested query per request, whose estimated
        // cost (nested counts over measurements, and more so without table statistics) passes
        // jit_above_cost, and compiling costs ~30 ms for a query that runs in ~2 ms.
        options: "-c jit=off",
      },
    }),
  ],
  schema: {
    // Read-only CRUD: the only write is the custom mutation peer.set_milestone_status.
    defaultBehavior: "-insert -update -delete",
  },
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT ?? 5678),
    graphqlPath: "/graphql",
    graphiql: false,
    graphiqlOnGraphQLGET: false,
    watch: false,
    websockets: false,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
