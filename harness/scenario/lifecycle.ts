/**
 * A scenario's lifecycle as a state machine: steady → injected → expected →
 * reverted → steady again. The engine moves through it and refuses any other
 * move; a journal can persist each state so a crashed run is reverted later.
 */
export const LIFECYCLE_STATES = ['steady', 'injected', 'expected', 'reverted'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/** The only moves a scenario may make; anything else is a defect in the engine. */
const NEXT: Record<LifecycleState, readonly LifecycleState[]> = {
  steady: ['injected'],
  injected: ['expected', 'reverted'],
  expected: ['reverted'],
  reverted: ['steady'],
};

export function assertTransition(from: LifecycleState, to: LifecycleState): void {
  if (!NEXT[from].includes(to)) throw new Error(`lifecycle: ${from} → ${to} is not a valid transition`);
}

