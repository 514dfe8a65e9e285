import { runWorkloadProcess } from '../kit/workload/process.ts';
import { startStsService } from './sts-service.ts';

runWorkloadProcess((config, joinToken) => startStsService(config, joinToken));
