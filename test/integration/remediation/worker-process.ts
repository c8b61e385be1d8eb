// A remediation worker in its own process, for the crash test: it finishes a step, says STEP_DONE, then hangs
// until it is killed. Its short lock lets a healthy worker take the job over quickly.
import { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { KubernetesExecutor } from '../../../src/remediation/executors/kubernetes.js';
import { RemediationService } from '../../../src/remediation/remediation-service.js';
import { runbook } from './harness.js';

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'fake', server: process.env.RCABOT_TEST_K8S!, skipTLSVerify: true }],
  users: [{ name: 'rcabot', token: 't' }],
  contexts: [{ name: 'fake', cluster: 'fake', user: 'rcabot' }],
  currentContext: 'fake',
});
const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
const service = new RemediationService({
  redis,
  prefix: process.env.RCABOT_TEST_PREFIX!,
  runbooks: [runbook()],
  executors: { kubernetes: new KubernetesExecutor(kc) },
  getIncident: async () => null,
  admins: [],
});
const worker = service.startWorker({
  lockDurationMs: 1500,
  stalledIntervalMs: 500, // the stalled-check throttle key is shared: a long interval here would delay the takeover
  afterStep: async () => {
    // Stop renewing the lock as a dead process would, then hang.
    await worker.close(true).catch(() => {});
    process.stdout.write('STEP_DONE\n');
    await new Promise(() => {});
  },
});
await worker.waitUntilReady();
process.stdout.write('READY\n');
