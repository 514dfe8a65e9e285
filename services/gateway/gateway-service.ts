/**
 * The edge: serves end users over HTTPS on its public port and calls payments
 * over mTLS. End users log in at POST /login and pay with their user token.
 */
import { readBody } from '../kit/http/json-body.ts';
import type { RouteHandler } from '../kit/http/mesh-router.ts';
import { startWorkload, type Workload } from '../kit/workload/runtime.ts';
import type { WorkloadConfig } from '../kit/workload/config.ts';
import { GATEWAY_PUBLIC_ROUTES } from '../topology.ts';

export async function startGatewayService(config: WorkloadConfig, joinToken: string | undefined): Promise<Workload> {
  let workload: Workload;
  const publicHandlers: Record<string, RouteHandler> = {
    'POST /payments': async (ctx) => {
      const body = await readBody(ctx.req, 8 * 1024);
      const upstream = await workload.callDownstream(ctx, 'payments', {
        method: 'POST',
        path: '/payments',
        headers: { 'content-type': String(ctx.req.headers['content-type'] ?? 'application/json') },
        body,
      });
      ctx.res.writeHead(upstream.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': ctx.requestId });
      ctx.res.end(upstream.body);
    },
  };
  const spec: Parameters<typeof startWorkload>[0] = {
    config,
    handlers: {},
    publicPort: () => ({ routes: GATEWAY_PUBLIC_ROUTES, handlers: publicHandlers }),
  };
  if (joinToken !== undefined) spec.joinToken = joinToken;
  workload = await startWorkload(spec);
  return workload;
}
