// Preloaded with `node --import` to give a process a wall clock that is off by
// EKS_FORWARDER_TEST_CLOCK_SHIFT_MS (like a pod whose clock drifted): `Date` moves,
// the monotonic clock (performance.now) does not, as on a real machine.
const shift = Number(process.env.EKS_FORWARDER_TEST_CLOCK_SHIFT_MS ?? 0);
const RealDate = globalThis.Date;
class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + shift);
    else super(...args);
  }
  static now() {
    return RealDate.now() + shift;
  }
}
globalThis.Date = ShiftedDate;
