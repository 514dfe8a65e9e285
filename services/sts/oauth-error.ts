/** RFC 6749 §5.2 / RFC 8693 §2.2.2 error codes the token endpoint answers with. */
export const OAUTH_ERRORS = ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_target', 'invalid_scope'] as const;
export type OAuthError = (typeof OAUTH_ERRORS)[number];

export interface OAuthErrorBody {
  error: OAuthError;
  error_description: string;
}

/** invalid_client is an authentication failure (401); every other error is 400. */
export function statusFor(error: OAuthError): number {
  return error === 'invalid_client' ? 401 : 400;
}
