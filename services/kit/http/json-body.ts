/** Reads a bounded request body; oversized or unparsable bodies become typed errors, never crashes. */
import type { IncomingMessage } from 'node:http';

export const DEFAULT_BODY_LIMIT = 64 * 1024;

export class BodyError extends Error {
  readonly reason: 'body_too_large' | 'body_invalid';
  readonly status: number;
  constructor(reason: 'body_too_large' | 'body_invalid', message: string) {
    super(message);
    this.name = 'BodyError';
    this.reason = reason;
    this.status = reason === 'body_too_large' ? 413 : 400;
  }
}

export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new BodyError('body_too_large', `body of ${declared} bytes exceeds ${limit}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyError('body_too_large', `body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJsonBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) throw new BodyError('body_invalid', 'content-type must be application/json');
  const raw = await readBody(req, limit);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BodyError('body_invalid', 'body is not valid JSON');
  }
}

export async function readFormBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new BodyError('body_invalid', 'content-type must be application/x-www-form-urlencoded');
  return new URLSearchParams((await readBody(req, limit)).toString('utf8'));
}
