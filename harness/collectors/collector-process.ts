/**
 * The OTLP collector of a mesh started with `meshgate up`: a process of its
 * own (the workloads outlive the command that started them, so their spans
 * need a receiver that does too) appending every span to the state folder's
 * spans.jsonl, where an attached gate run reads them.
 *
 *   node collector-process.ts <spans.jsonl> <ready-file>
 */
import { renameSync, writeFileSync } from 'node:fs';
import { createOtlpReceiver } from './otlp-receiver.ts';

const [jsonlPath, readyFile] = process.argv.slice(2);
if (!jsonlPath || !readyFile) {
  process.stderr.write('usage: collector-process.ts <spans.jsonl> <ready-file>\n');
  process.exit(2);
}
const receiver = createOtlpReceiver({ jsonlPath, maxSpans: 1000 });
await receiver.start();
writeFileSync(`${readyFile}.tmp`, JSON.stringify({ pid: process.pid, url: receiver.url }));
renameSync(`${readyFile}.tmp`, readyFile);
const stop = () => void receiver.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
