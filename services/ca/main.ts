import { runWorkloadProcess } from '../kit/workload/process.ts';
import { startCaService } from './ca-service.ts';

runWorkloadProcess((config) => startCaService(config));
