// Entry of the gateway image for Code Engine (bundled into one file by
// scripts/code-engine-gateway-image.mjs): starts the gateway from its environment, or exits 1
// with the reason on stderr.
import { runCodeEngineGateway } from './code-engine-gateway.js';

runCodeEngineGateway().catch((e: unknown) => {
  process.stderr.write(`contextforge gateway: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
