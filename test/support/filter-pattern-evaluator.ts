/**
 * A small evaluator of the CloudWatch filter syntax the compiler emits: JSON patterns (`{ ... }`,
 * `||`, `&&`, parentheses, `$.a.b = "v"` / `!=`, `*` as a wildcard) and a quoted term pattern
 * (`"[Truncated...]"`, a substring match). A comparison on a missing field is false, as in
 * CloudWatch; a message that is not JSON matches no JSON pattern. It is our reading of the
 * documented syntax, not CloudWatch: the tests use it to check the compiler's patterns against
 * real events, and the benchmark's synthetic source to serve a prefiltered read.
 */
export function filterPatternMatches(pattern: string, message: string): boolean {
  if (/^"(?:[^"\\]|\\.)*"$/.test(pattern)) return message.includes(JSON.parse(pattern) as string);
  let event: unknown;
  try {
    event = JSON.parse(message);
  } catch {
    return false;
  }
  return jsonPatternMatches(pattern, event);
}

/** A JSON filter pattern against an already parsed event. Throws on syntax it does not know. */
export function jsonPatternMatches(pattern: string, event: unknown): boolean {
  const tokens = pattern.match(/\{|\}|\(|\)|\|\||&&|!=|=|\$(?:\.[A-Za-z_][A-Za-z0-9_]*)+|"(?:[^"\\]|\\.)*"/g) ?? [];
  if (tokens.join('') !== pattern.replace(/\s+/g, '')) throw new Error(`unsupported filter pattern syntax: ${pattern}`);
  let i = 0;
  const next = () => tokens[i++]!;
  const peek = () => tokens[i];
  const expectToken = (wanted: string) => {
    const got = next();
    if (got !== wanted) throw new Error(`expected ${wanted}, got ${got} in ${pattern}`);
  };
  const field = (path: string) => path.slice(2).split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], event);
  const equal = (actual: unknown, wanted: string) => {
    if (typeof actual !== 'string') return false;
    const re = new RegExp(`^${wanted.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return re.test(actual);
  };
  const factor = (): boolean => {
    if (peek() === '(') {
      next();
      const v = expr();
      expectToken(')');
      return v;
    }
    const selector = next();
    const op = next();
    const value = JSON.parse(next()) as string;
    const actual = field(selector);
    if (op === '=') return equal(actual, value);
    return actual !== undefined && !equal(actual, value);
  };
  const term = (): boolean => {
    let v = factor();
    while (peek() === '&&') {
      next();
      v = factor() && v;
    }
    return v;
  };
  const expr = (): boolean => {
    let v = term();
    while (peek() === '||') {
      next();
      v = term() || v;
    }
    return v;
  };
  expectToken('{');
  const result = expr();
  expectToken('}');
  if (i !== tokens.length) throw new Error(`trailing tokens in ${pattern}`);
  return result;
}
