/** JSON responses. Error bodies carry a reason code and the request id, never input echoes or stacks. */
import type { ServerResponse } from 'node:http';
import type { ReasonCode } from '../reasons.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), 'cache-control': 'no-store', ...headers });
  res.end(payload);
}

export const MAX_DETAIL_CHARS = 300;

/** Error details may quote input (field names): capped, and anything but printable ASCII replaced. */
export function safeDetail(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > MAX_DETAIL_CHARS ? `${printable.slice(0, MAX_DETAIL_CHARS)}...` : printable;
}

export function sendError(res: ServerResponse, status: number, reason: ReasonCode, requestId: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): void {
  const details = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, safeDetail(String(v))]));
  sendJson(res, status, { error: reason, request_id: requestId, ...details }, headers);
}
