import { runWorkloadProcess } from '../kit/workload/process.ts';
import { startGatewayService } from './gateway-service.ts';

runWorkloadProcess((config, joinToken) => startGatewayService(config, joinToken));
