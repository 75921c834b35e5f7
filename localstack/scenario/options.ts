// The generator's options: their defaults and validation.

export interface ScenarioOptions {
  cluster: string;
  seed: number;
  /** Exact number of events in the audit streams (truncated ones included). */
  events: number;
  startMs: number;
  spanMs: number;
  /** Number of `kube-apiserver-audit-*` streams (one per API server). Default 2. */
  auditStreams?: number;
  /** Emit the other EKS component streams (about 8% extra lines). Default true. */
  otherStreams?: boolean;
  /** Share of audit requests that are mutations on Calico-relevant resources. Default 0.15. */
  mutationShare?: number;
  /** Number of oversized audit events emitted cut off with `[Truncated...]`. Default 0. */
  truncated?: number;
  /** Typical JSON size of requestObject/responseObject of synthesized mutations. Default 2048. */
  payloadBytes?: number;
}

export type Opts = Required<ScenarioOptions>;

export function normalize(opts: ScenarioOptions): Opts {
  const o: Opts = {
    auditStreams: 2,
    otherStreams: true,
    mutationShare: 0.15,
    truncated: 0,
    payloadBytes: 2048,
    ...opts,
  };
  const int = (v: number, min: number, what: string): void => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${v}`);
  };
  if (!/^[0-9A-Za-z][0-9A-Za-z_-]*$/.test(o.cluster)) throw new RangeError(`bad cluster name: ${o.cluster}`);
  int(o.events, 0, 'events');
  int(o.startMs, 0, 'startMs');
  int(o.spanMs, 1, 'spanMs');
  int(o.auditStreams, 1, 'auditStreams');
  int(o.truncated, 0, 'truncated');
  int(o.payloadBytes, 64, 'payloadBytes');
  if (o.truncated > o.events) throw new RangeError('truncated cannot exceed events');
  if (!(o.mutationShare >= 0 && o.mutationShare <= 1)) throw new RangeError('mutationShare must be in [0, 1]');
  if (!Number.isFinite(o.seed)) throw new RangeError('seed must be a finite number');
  return o;
}
