const MAX_ERROR_CHARS = 300;

/**
 * `Name: message` of an error, first line only, anything credential-like masked, at most
 * 300 characters: the one form an error takes in logs, health, `/status` and `doctor`.
 */
export function errorText(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown } | undefined;
  const name = typeof e?.name === 'string' && e.name ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : typeof err === 'string' ? err : String(err);
  const firstLine = message.split(/\r?\n/, 1)[0] ?? '';
  return truncate(maskSecrets(`${name}: ${firstLine}`));
}

export function truncate(text: string, max = MAX_ERROR_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Masks URL user info, authorization schemes, AWS key ids, signatures and tokens. */
export function maskSecrets(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+(?::[^/\s@]*)?@/gi, '$1***@')
    .replace(/\b(Basic|Bearer|ApiKey)\s+[A-Za-z0-9+/=._~-]+/g, '$1 ***')
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, '***')
    .replace(/((?:X-Amz-)?(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, '$1***')
    .replace(/\b((?:password|secret|api[_-]?key|token|authorization)["']?\s*[:=]\s*["']?)(?!(?:Basic|Bearer|ApiKey) )[^"'\s,}&]+/gi, '$1***');
}
