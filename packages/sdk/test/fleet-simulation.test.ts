import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestWharf, type TestWharf } from '../../server/test/helpers.js';
import { DEFAULT_FLEET, formatReport, injectControlPlane, simulateFleet, type FleetReport } from '../../../bench/fleet/simulate.js';

/**
 * 2,500 clients by default (FLEET_CLIENTS=10000 for the full fleet, as `npm run bench:fleet` runs):
 * with the same number of clients per address, each address sees the same traffic at any fleet size.
 */
const FLEET = { ...DEFAULT_FLEET, clients: Number(process.env.FLEET_CLIENTS ?? 2_500) };

let w: TestWharf;
let report: FleetReport;
beforeAll(async () => {
  w = await createTestWharf('sqlite');
  report = await simulateFleet(injectControlPlane(w.app, ADMIN_TOKEN), FLEET);
  console.log(formatReport(report));
}, 240_000);
afterAll(() => w.destroy());

const phase = (i: number) => () => report.phases[i]!;
const [start, toCdn, canary, back] = [phase(0), phase(1), phase(2), phase(3)];
const bound = FLEET.ttlSeconds + FLEET.loadIntervalSeconds;

it('reproduces the problem: on the Git mirror alone, a shared address exhausts the limit and loads fail', () => {
  expect(start().git429).toBeGreaterThan(0);
  expect(start().failedLoads).toBeGreaterThan(0);
});

it('moves every client to each new config within TTL + one poll, with no failed load during any switch', () => {
  for (const phase of [toCdn(), canary(), back()]) {
    expect(phase.fullAdoptionSeconds, phase.name).not.toBeNull();
    expect(phase.fullAdoptionSeconds!, phase.name).toBeLessThanOrEqual(bound);
    expect(phase.failedLoads, phase.name).toBe(0);
    expect(phase.loads, phase.name).toBeGreaterThan(0);
  }
});

it('sends no request to the rate-limited Git mirror once the fleet left it', () => {
  expect(toCdn().gitAfterAdoption).toBe(0);
  expect(canary().gitAfterAdoption).toBe(0);
  expect(toCdn().servedAfterAdoption.cdn).toBeGreaterThan(0);
});

it('puts about 10% of installs on the canary, and the way back to Git leans on the cdn fallback', () => {
  const served = canary().servedAfterAdoption;
  const share = served.edge / (served.edge + served.cdn + served.git);
  expect(share).toBeGreaterThan(0.08);
  expect(share).toBeLessThan(0.12);
  expect(back().requests.git).toBeGreaterThan(0);
  expect(back().git429).toBeGreaterThan(0);
  expect(back().servedAfterAdoption.cdn).toBeGreaterThan(0);
});
