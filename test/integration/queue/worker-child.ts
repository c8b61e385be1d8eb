// Child process for the worker-crash test: runs the ingest workers and SIGKILLs itself right after the first
// commit reached Redis, while that commit's jobs are still unacknowledged and others are active.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startWorkers } from '../../../src/queue/workers.js';

const url = process.env.REDIS_URL!;
const prefix = process.env.CHILD_PREFIX!;
const connection = new Redis(url, { maxRetriesPerRequest: null });
await startWorkers({
  connection,
  prefix,
  logger: pino({ level: 'silent' }),
  alertsConcurrency: 50,
  lockDurationMs: 1000,
  // Every worker of a queue must share the stalled interval: the check claims a key for that long.
  stalledIntervalMs: 300,
  onStateChange: () => process.kill(process.pid, 'SIGKILL'),
});
