/** JSON responses. Error bodies carry a reason code and the request id, never input echoes or stacks. */
import type { ServerResponse } from 'node:http';
import type { ReasonCode } from '../reasons.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), 'cache-control': 'no-store', ...headers });
  res.end(payload);
}

export function sendError(res: ServerResponse, status: number, reason: ReasonCode, requestId: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: reason, request_id: requestId, ...extra }, headers);
}
