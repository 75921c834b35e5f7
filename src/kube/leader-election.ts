import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

export const LEADER_LEASE = 'eks-log-forwarder-leader';

export interface LeaderElectionOptions {
  namespace: string;
  identity: string;
  leaseName?: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: (lost: AbortSignal) => void;
  onStoppedLeading: () => void;
  onError?: (err: unknown) => void;
  /** Called on every turn of the loop. */
  onTick?: () => void;
}

/**
 * Lease-based leader election with client-go's rules, written here because
 * @kubernetes/client-node has none: a candidate takes the Lease when it is free or its holder
 * has not renewed within the lease duration (measured on this pod's clock from when the record
 * last changed, so clock skew between pods does not matter); the leader renews every retry
 * period and steps down if it cannot renew within the renew deadline. Updates are conditioned
 * on the resourceVersion, so two candidates can never both win.
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly name: string;
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private observed: { record: string; at: number } | undefined;
  private leading: AbortController | undefined;
  private lastRenew = 0;
  private stopped = new AbortController();

  constructor(
    kc: KubeConfig,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.name = opts.leaseName ?? LEADER_LEASE;
    this.durationMs = (opts.leaseDurationSeconds ?? 15) * 1000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
  }

  get identity(): string {
    return this.opts.identity;
  }

  get isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** Runs until stop(): campaigns, leads, renews, steps down. */
  async run(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      this.opts.onTick?.();
      try {
        const acquired = await this.tryAcquireOrRenew();
        if (acquired) {
          this.lastRenew = Date.now();
          if (!this.leading) {
            this.leading = new AbortController();
            this.opts.onStartedLeading(this.leading.signal);
          }
        } else if (this.leading) {
          this.stepDown();
        }
      } catch (err) {
        this.opts.onError?.(err);
      }
      if (this.leading && Date.now() - this.lastRenew > this.renewDeadlineMs) this.stepDown();
      await sleep(this.retryMs, undefined, { signal: this.stopped.signal }).catch(() => undefined);
    }
  }

  /** Steps down and, when leading, releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped.abort();
    if (!this.leading) return;
    this.stepDown();
    try {
      const lease = await this.api.readNamespacedLease({ name: this.name, namespace: this.opts.namespace });
      if (lease.spec?.holderIdentity === this.opts.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.renewTime = undefined;
        await this.api.replaceNamespacedLease({ name: this.name, namespace: this.opts.namespace, body: lease });
      }
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  private stepDown(): void {
    this.leading?.abort(new Error('lost leadership'));
    this.leading = undefined;
    this.opts.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    // The API wants microsecond precision, which a plain Date does not serialise to.
    const now = new V1MicroTime();
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name: this.name, namespace: this.opts.namespace });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
    const spec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.durationMs / 1000,
      renewTime: now,
      acquireTime: now,
      leaseTransitions: 0,
    };
    if (!lease) {
      try {
        await this.api.createNamespacedLease({ namespace: this.opts.namespace, body: { metadata: { name: this.name }, spec } });
        return true;
      } catch (err) {
        if (err instanceof ApiException && err.code === 403) {
          throw new Error(`Lease ${this.name} is missing in ${this.opts.namespace} and may not be created by this account: re-apply deploy/`);
        }
        if (err instanceof ApiException && err.code === 409) return false;
        throw err;
      }
    }

    const holder = lease.spec?.holderIdentity;
    const record = JSON.stringify([holder, lease.spec?.renewTime]);
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const mine = holder === this.opts.identity;
    const expired = !holder || Date.now() - this.observed.at > (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    if (!mine && !expired) return false;

    lease.spec = {
      ...spec,
      acquireTime: mine ? lease.spec?.acquireTime : spec.acquireTime,
      leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    try {
      await this.api.replaceNamespacedLease({ name: this.name, namespace: this.opts.namespace, body: lease });
      return true;
    } catch (err) {
      // Someone else updated it first: they won this round.
      if (err instanceof ApiException && err.code === 409) return false;
      throw err;
    }
  }
}
