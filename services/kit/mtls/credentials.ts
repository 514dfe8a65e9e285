/** A workload's current TLS material: its SVID, private key and the trust bundle. */
export interface TlsCredentials {
  certPem: string;
  keyPem: string;
  bundlePem: string;
}

export function assertCredentials(c: TlsCredentials): void {
  const problems: string[] = [];
  if (!c.certPem?.includes('BEGIN CERTIFICATE')) problems.push('certPem is not a PEM certificate');
  if (!c.keyPem?.includes('PRIVATE KEY')) problems.push('keyPem is not a PEM private key');
  if (!c.bundlePem?.includes('BEGIN CERTIFICATE')) problems.push('bundlePem is not a PEM certificate bundle');
  if (problems.length) throw new TypeError(`invalid TLS credentials: ${problems.join('; ')}`);
}
