import { runWorkloadProcess } from '../kit/workload/process.ts';
import { startKmsService } from './kms-service.ts';

runWorkloadProcess((config, joinToken) => startKmsService(config, joinToken));
