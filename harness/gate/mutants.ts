/**
 * Misconfigurations a real team could ship. Mutation mode applies each in turn
 * (a redeploy with a changed setting, or a policy push) and expects at least
 * one scenario to fail; a mutant no scenario notices means the gate has a blind spot.
 */
import { createPublicKey } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { statePaths } from '../../services/kit/state-layout.ts';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import { TRUST_ROOT, type ServiceName } from '../../services/topology.ts';
import type { Mutant } from '../scenario/mutation.ts';
import type { MeshEngine } from '../engine/mesh-engine.ts';
import { settlePolicyCaches } from '../engine/policy-caches.ts';

export interface MeshMutant extends Mutant {
  /** Scenarios expected to notice, run first. */
  killers: string[];
  apply(engine: MeshEngine): Promise<() => Promise<void>>;
}

const SETTINGS_FILE = 'services/kit/workload/settings.ts';

function settingMutant(id: string, title: string, service: ServiceName, settings: Partial<SecuritySettings>, killers: string[]): MeshMutant {
  const [setting, value] = Object.entries(settings)[0]!;
  return {
    id,
    title,
    description: `${service} redeployed with ${setting}=${JSON.stringify(value)}`,
    fault: `${setting}: ${JSON.stringify(value)} on ${service}`,
    location: { uri: SETTINGS_FILE, setting },
    killers,
    apply: async (engine) => {
      await engine.restart(service, settings);
      return () => engine.restart(service, {});
    },
  };
}

/** Every workload renews now, so the SVIDs in use come from the CA as it is configured at this moment. */
async function renewEverySvid(engine: MeshEngine): Promise<void> {
  for (const { name } of engine.services()) if (name !== TRUST_ROOT && engine.isRunning(name)) await engine.operator.renewSvid(name);
}

const THIRTY_DAYS_SECONDS = 30 * 86_400;

export const ALLOW_ALL_POLICY = '@id("allow-all")\npermit(principal, action, resource);\n';

export const MUTANTS: readonly MeshMutant[] = [
  {
    id: 'policy.allow-all',
    title: 'Allow-all policy pushed to the PDP',
    description: 'a policy file with permit(principal, action, resource) is added to the reference set',
    fault: 'permit(principal, action, resource);',
    location: { uri: 'services/pdp/policies' },
    killers: ['policy.amount-mismatch', 'policy.lateral-call'],
    apply: async (engine) => {
      const { previousVersion } = await engine.operator.pushPolicy({ 'zz-allow-all.cedar': ALLOW_ALL_POLICY }, { merge: true });
      return async () => {
        await engine.operator.rollbackPolicy(previousVersion);
        await settlePolicyCaches(engine);
      };
    },
  },
  {
    id: 'mtls.long-lived-svids',
    title: 'CA issuing SVIDs for 30 days',
    description: `ca redeployed with svidTtlSeconds=${THIRTY_DAYS_SECONDS}, and every workload renewed under it`,
    fault: `svidTtlSeconds: ${THIRTY_DAYS_SECONDS} on ca`,
    location: { uri: SETTINGS_FILE, setting: 'svidTtlSeconds' },
    killers: ['mtls.long-lived-certificates'],
    apply: async (engine) => {
      await engine.restart(TRUST_ROOT, { svidTtlSeconds: THIRTY_DAYS_SECONDS });
      await renewEverySvid(engine);
      return async () => {
        await engine.restart(TRUST_ROOT, {});
        await renewEverySvid(engine);
      };
    },
  },
  {
    id: 'mtls.shared-key',
    title: 'Payments and ledger serving certificates for one shared key',
    description: 'one key pair copied to payments and ledger, each with a certificate of its own name for it (staticSvidFile) instead of enrolling',
    fault: 'staticSvidFile: <certificates for one shared key> on payments and ledger',
    location: { uri: SETTINGS_FILE, setting: 'staticSvidFile' },
    killers: ['mtls.unique-identities'],
    apply: async (engine) => {
      const paths = statePaths(engine.stateDir);
      const payments = await engine.operator.issueSvid({ spiffeId: spiffeIdFor('payments') });
      const ledger = await engine.operator.issueSvidForKey({ spiffeId: spiffeIdFor('ledger') }, createPublicKey(payments.keyPem).export({ type: 'spki', format: 'pem' }).toString());
      const copies = [
        { service: 'payments' as const, pem: payments.certPem + payments.keyPem },
        { service: 'ledger' as const, pem: ledger.certPem + payments.keyPem },
      ];
      for (const { service, pem } of copies) {
        writeFileSync(paths.staticSvid(service), pem, { mode: 0o600 });
        await engine.restart(service, { staticSvidFile: statePaths(engine.workloadStateDir).staticSvid(service) });
      }
      return async () => {
        for (const { service } of copies) {
          await engine.restart(service, {});
          rmSync(paths.staticSvid(service), { force: true });
        }
      };
    },
  },
  settingMutant('mtls.crl-check-off', 'CRL checking turned off', 'payments', { checkRevocation: false }, ['mtls.revoked-client-cert']),
  settingMutant('mtls.accept-expired', 'Expired certificates accepted', 'payments', { acceptExpiredCerts: true }, ['mtls.expired-client-cert']),
  settingMutant('tokens.typ-check-off', 'Token type (typ) check turned off', 'payments', { checkTokenType: false }, ['tokens.wrong-type']),
  settingMutant('mtls.plaintext-port', 'Plaintext port opened', 'payments', { plaintextPort: true }, ['mtls.plaintext-http']),
  settingMutant('tokens.replay-cache-off', 'Replay cache turned off', 'payments', { replayCache: false }, ['tokens.replayed']),
  settingMutant('tokens.binding-off', 'Certificate binding check turned off', 'payments', { tokenBinding: false }, ['tokens.replay-other-workload']),
  settingMutant('tokens.audience-off', 'Audience check turned off', 'payments', { audienceCheck: false }, ['tokens.wrong-audience']),
  settingMutant('leaks.bodies-logged', 'Request bodies logged verbatim', 'payments', { logBodies: true }, ['leaks.canaries']),
  settingMutant('policy.decision-cache-hours', 'Policy decisions cached for hours', 'payments', { pdpCacheTtlMs: 3_600_000 }, ['policy.policy-tightened']),
  settingMutant('policy.pdp-fail-open', 'PDP failing open', 'payments', { pdpFailOpen: true }, ['policy.pdp-outage']),
  settingMutant('tokens.audience-widened', 'Token service issues access tokens for undeclared audiences', 'sts', { widenTokenAudiences: true }, ['tokens.undeclared-audience']),
  settingMutant('tokens.hs256-allowed', 'Algorithm allow-list widened to HS256', 'payments', { allowHmacTokens: true }, ['tokens.hmac-key-confusion']),
  settingMutant('tokens.skew-hours', 'Token clock skew tolerance of hours', 'payments', { tokenSkewSeconds: 7200 }, ['tokens.expired']),
  settingMutant('mtls.forwarded-cert-trusted', 'x-forwarded-client-cert trusted as the caller identity', 'payments', { trustForwardedClientCert: true }, ['mtls.forwarded-identity-header']),
  settingMutant('tokens.login-throttle-off', 'Login throttling effectively off', 'gateway', { loginUserFailures: 1_000_000, loginClientFailures: 1_000_000 }, ['tokens.login-brute-force']),
  settingMutant('rotation.crl-long-poll-off', 'CRL refreshed hourly with the long poll broken', 'payments', { crlLongPoll: false, crlRefreshMs: 3_600_000 }, ['rotation.revocation-propagation', 'mtls.revoked-client-cert']),
  settingMutant('leaks.join-token-in-environment', 'Join token handed to the workload in an environment variable', 'payments', { joinTokenInEnvironment: true }, ['leaks.process-exposure']),
  settingMutant('e2ee.plaintext-card-accepted', 'Cards accepted in clear (compatibility mode)', 'payments', { allowPlaintextCard: true }, ['e2ee.plaintext-card']),
  settingMutant('e2ee.kms-revoked-key-unwraps', 'Revoked wrapping-key versions still unwrap at kms', 'kms', { kmsUnwrapRevoked: true }, ['e2ee.kms-revoked-key-version']),
  settingMutant('policy.ledger-rate-unbounded', 'Ledger read rate limit effectively off', 'ledger', { ledgerReadsPerSecond: 1_000_000 }, ['policy.ledger-exfiltration']),
];
