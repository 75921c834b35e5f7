import { objectLabel, resourceLabel, type Change } from './timeline-filter.js';
import { compare, unifiedDiff, type Comparison } from './yaml-diff.js';
import type { VersionedChange } from './versions.js';

/** Colour on a terminal only, and never with NO_COLOR set (no-color.org). */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

// Four SGR codes: not worth a dependency (node's util.styleText needs Node 21.7).
const SGR = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 } as const;
type Paint = (text: string, colour: keyof typeof SGR) => string;
const painter = (colour: boolean): Paint => (colour ? (t, c) => `\u001b[${SGR[c]}m${t}\u001b[0m` : (t) => t);
const VERB_COLOUR = { create: 'green', update: 'yellow', patch: 'yellow', delete: 'red' } as const;

/**
 * Fixed widths, so that lines streamed one by one still line up without holding the listing;
 * a longer value pushes its line out rather than being cut (an auditor must see it whole).
 */
const WIDTHS = { time: 24, verb: 6, user: 32, resource: 40 };

export function headerLine(): string {
  return `${'TIME'.padEnd(WIDTHS.time)}  ${'VERB'.padEnd(WIDTHS.verb)}  ${'USER'.padEnd(WIDTHS.user)}  ${'RESOURCE'.padEnd(WIDTHS.resource)}  OBJECT\n`;
}

/** Control characters of attacker-influenced fields shown as escapes: a name must not move the cursor or recolour the terminal. */
export function inert(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function changeLine(c: Change, colour = false): string {
  const paint = painter(colour);
  const user = c.impersonatedUser ? `${c.user} as ${c.impersonatedUser}` : c.user;
  return `${c.timeText.padEnd(WIDTHS.time)}  ${paint(c.verb.padEnd(WIDTHS.verb), VERB_COLOUR[c.verb])}  ${inert(user).padEnd(WIDTHS.user)}  ${inert(resourceLabel(c)).padEnd(WIDTHS.resource)}  ${inert(objectLabel(c))}\n`;
}

/** The diff under a change line, indented. */
export function diffBlock(v: VersionedChange, opts: { keepNoise: boolean; lookBack: string; colour?: boolean }): string {
  const paint = painter(opts.colour ?? false);
  const indent = (lines: string[]) => lines.map((l) => `    ${l}\n`).join('');
  const cmp = compare(v, opts.keepNoise);
  if (cmp.kind === 'noise-only') return indent([paint('(only status or noise changed; --keep-noise shows it)', 'dim')]);
  if (cmp.kind === 'no-earlier-version') {
    return indent([paint(`(no earlier version of this object within the look-back of ${opts.lookBack} before --from; after:)`, 'dim'), ...cmp.after.replace(/\n$/, '').split('\n').map(inert)]);
  }
  const lines = unifiedDiff(cmp).replace(/\n$/, '').split('\n');
  return indent(
    lines.map((l) => {
      const t = inert(l);
      if (l.startsWith('+++') || l.startsWith('---')) return paint(t, 'dim');
      if (l.startsWith('+')) return paint(t, 'green');
      if (l.startsWith('-')) return paint(t, 'red');
      if (l.startsWith('@@')) return paint(t, 'cyan');
      return t;
    }),
  );
}

/** One change as a JSON line (`--json`), with its diff when the versions are known. */
export function jsonLine(c: Change, v?: VersionedChange, keepNoise = false): string {
  const out: Record<string, unknown> = {
    time: c.timeText,
    verb: c.verb,
    user: c.user,
    ...(c.impersonatedUser ? { impersonatedUser: c.impersonatedUser } : {}),
    group: c.group,
    resource: c.resource,
    ...(c.subresource ? { subresource: c.subresource } : {}),
    ...(c.namespace ? { namespace: c.namespace } : {}),
    name: c.name ?? '',
    code: c.code,
    auditID: c.auditID,
    ...(c.resourceVersion ? { resourceVersion: c.resourceVersion } : {}),
  };
  if (v) {
    const cmp: Comparison = compare(v, keepNoise);
    out.before = cmp.kind === 'compare' ? (v.before.state === 'version' ? 'version' : 'absent') : cmp.kind;
    if (cmp.kind === 'compare') out.diff = unifiedDiff(cmp);
    if (cmp.kind === 'no-earlier-version') out.after = cmp.after;
  }
  return `${JSON.stringify(out)}\n`;
}
