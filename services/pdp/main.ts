import { runWorkloadProcess } from '../kit/workload/process.ts';
import { startPdpService } from './pdp-service.ts';

runWorkloadProcess((config, joinToken) => startPdpService(config, joinToken));
