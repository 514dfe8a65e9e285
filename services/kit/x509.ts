/**
 * The one entry to @peculiar/x509: it needs the Reflect metadata polyfill loaded
 * first and a WebCrypto provider set once.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
