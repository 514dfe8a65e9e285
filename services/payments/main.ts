import { runWorkloadProcess } from '../kit/workload/process.ts';
import { startPaymentsService } from './payments-service.ts';

runWorkloadProcess((config, joinToken) => startPaymentsService(config, joinToken));
