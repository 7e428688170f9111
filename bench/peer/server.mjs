// Starts the PostGraphile peer: `node server.mjs` with DATABASE_URL and PORT set.
// The schema is built (the database introspected) before listening: a database that cannot be
// reached, or lacks peer.sql, stops the process with its error instead of serving errors.
import { createServer } from "node:http";

import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";

import preset from "./graphile.config.mjs";

const pgl = postgraphile(preset);
try {
  const schema = await pgl.getSchema();
  if (!schema.getQueryType()?.getFields().network) {
    throw new Error("the database lacks peer.sql (no peer.network()): apply it first");
  }
} catch (error) {
  console.error("PostGraphile could not build its schema:", error);
  await pgl.release();
  process.exit(1);
}

const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
const { host, port } = preset.grafserv;
server.listen(port, host, () => {
  console.log(`PostGraphile peer listening on http://${host}:${port}/graphql`);
});

async function stop() {
  server.close();
  await pgl.release();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
