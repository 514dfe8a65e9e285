/**
 * The OTLP collector of a mesh started with `meshgate up`: a process of its
 * own (the workloads outlive the command that started them, so their spans
 * need a receiver that does too) appending every span to the state folder's
 * spans.jsonl, where an attached gate run reads them.
 *
 *   node collector-process.ts <spans.jsonl> <ready-file> [forwarding file, read once and removed]
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createOtlpReceiver } from './otlp-receiver.ts';
import { OtlpForwarder, type OtlpForwarding } from './otlp-forwarding.ts';
import { dirname, resolve } from 'node:path';
import { statePaths } from '../mesh/state-dir.ts';
import { ScrapeIdentityKeeper } from '../mesh/scrape-identity-keeper.ts';

const [jsonlPath, readyFile, forwarding] = process.argv.slice(2);
if (!jsonlPath || !readyFile) {
  process.stderr.write('usage: collector-process.ts <spans.jsonl> <ready-file>\n');
  process.exit(2);
}
let target: OtlpForwarding | undefined;
if (forwarding) {
  target = JSON.parse(readFileSync(forwarding, 'utf8')) as OtlpForwarding;
  rmSync(forwarding, { force: true });
}
const receiver = createOtlpReceiver({ jsonlPath, maxSpans: 1000, ...(target ? { forwardTo: new OtlpForwarder(target) } : {}) });
await receiver.start();
writeFileSync(`${readyFile}.tmp`, JSON.stringify({ pid: process.pid, url: receiver.url }));
renameSync(`${readyFile}.tmp`, readyFile);
// The one process that lives as long as the mesh: it also keeps Prometheus' targets and scrape SVID current.
const stateRoot = dirname(resolve(jsonlPath));
const keeper = statePaths(stateRoot).spans === resolve(jsonlPath) ? new ScrapeIdentityKeeper({ stateRoot, onError: (err) => process.stderr.write(`scrape identity: ${err.message}\n`) }) : undefined;
keeper?.start();
const stop = () => void Promise.all([receiver.stop(), keeper?.stop()]).finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
