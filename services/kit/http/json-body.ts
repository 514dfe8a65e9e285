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

/** The parsed JSON body together with the bytes it came from (for forwarding them unchanged). */
export async function readJsonWithRaw(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<{ value: unknown; raw: Buffer }> {
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) throw new BodyError('body_invalid', 'content-type must be application/json');
  const raw = await readBody(req, limit);
  try {
    return { value: JSON.parse(raw.toString('utf8')), raw };
  } catch {
    throw new BodyError('body_invalid', 'body is not valid JSON');
  }
}

export async function readJsonBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  return (await readJsonWithRaw(req, limit)).value;
}

export async function readFormBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new BodyError('body_invalid', 'content-type must be application/x-www-form-urlencoded');
  return new URLSearchParams((await readBody(req, limit)).toString('utf8'));
}

/** A field name taken from a request, cut short for an error message (sendError escapes the rest). */
export function fieldName(name: string): string {
  return name.length > 40 ? `${name.slice(0, 40)}...` : name;
}
