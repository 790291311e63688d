/** bench/procfs.ts: process figures from /proc. */
import { describe, expect, it } from 'vitest';
import { PeakSampler, parentPidFromStat, rssMb, statusFieldMb } from '../../../bench/procfs.js';

describe('statusFieldMb', () => {
  it('reads VmRSS and VmHWM in MB', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';

    expect(statusFieldMb(status, 'VmRSS')).toBe(100);
    expect(statusFieldMb(status, 'VmHWM')).toBe(200);
  });

  it('is undefined when the field is absent', () => {
    expect(statusFieldMb('Name: x', 'VmRSS')).toBeUndefined();
  });
});

describe('parentPidFromStat', () => {
  it('reads the parent pid even when the command has spaces and parentheses', () => {
    expect(parentPidFromStat('1234 (node (worker) x) S 42 1234 1234 0 -1')).toBe(42);
  });
});

describe('PeakSampler', () => {
  it('keeps the peak of each probe and leaves out probes that never answered', () => {
    const values = [3, 9, 4];
    const sampler = new PeakSampler({ rising: () => values.shift(), absent: () => undefined });

    sampler.sample();
    sampler.sample();
    const peaks = sampler.stop();

    expect(peaks).toEqual({ rising: 9 });
  });

  it("measures this process's own resident memory", () => {
    expect(rssMb(process.pid)).toBeGreaterThan(10);
  });
});
