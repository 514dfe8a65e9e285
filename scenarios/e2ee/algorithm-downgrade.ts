import { headerOf, withHeader } from '../../harness/attacks/sealed-card-tamper.ts';
import { cardAttackScenario } from '../../harness/gate/card-attack.ts';

export const scenario = cardAttackScenario({
  meta: {
    id: 'e2ee.algorithm-downgrade',
    title: 'A sealed card with a weaker or unlisted algorithm is refused before any decryption',
    plane: 'e2ee',
    severity: 'high',
    threat: 'A compromised gateway re-wraps the card with an algorithm it can attack (RSA1_5, PBES2 with a huge iteration count, dir) or asks for compression.',
    tags: ['e2ee', 'downgrade'],
    control: { kind: 'code', location: 'services/kit/e2ee/sealed-card.ts', description: 'only ECDH-ES+A256KW with A256GCM and no zip are opened' },
  },
  reason: 'card_alg_not_allowed',
  tamper: async (_ctx, payment, seal) => {
    const sealed = await seal(payment);
    const kid = String(headerOf(sealed).kid);
    return [
      { variant: 'RSA1_5', card: withHeader(sealed, { alg: 'RSA1_5', enc: 'A256GCM', kid }) },
      { variant: 'PBES2 with 10 million iterations', card: withHeader(sealed, { alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2s: 'c2FsdHNhbHRzYWx0', p2c: 10_000_000, kid }) },
      { variant: 'dir', card: withHeader(sealed, { alg: 'dir', enc: 'A256GCM', kid }) },
      { variant: 'ECDH-ES direct', card: withHeader(sealed, { alg: 'ECDH-ES', enc: 'A256GCM', kid }) },
      { variant: 'an unlisted enc (A128CBC-HS256)', card: withHeader(sealed, { alg: 'ECDH-ES+A256KW', enc: 'A128CBC-HS256', kid }) },
      { variant: 'zip DEF', card: withHeader(sealed, { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', zip: 'DEF', kid }) },
    ];
  },
});
