import { runWorkloadProcess } from '../kit/workload/process.ts';
import { startLedgerService } from './ledger-service.ts';

runWorkloadProcess((config, joinToken) => startLedgerService(config, joinToken));
