/** How a plane calls another workload: over mTLS, checked against that workload's SPIFFE ID. */
import type { MeshRequest, MeshResponse } from '../mtls/client.ts';
import type { ServiceName } from '../../topology.ts';

export type PeerRequest = Omit<MeshRequest, 'url' | 'serverId'> & { path: string };
export type PeerCall = (peer: ServiceName, req: PeerRequest) => Promise<MeshResponse>;
