export { NOTIFIER_CHANNELS, notifierSpecSchema } from './spec.ts';
export type { Notifier, NotifierSpec } from './spec.ts';
export { activeAlerts, nextAlertStates } from './state.ts';
export type { AlertState, AlertStateName, AlertTransition } from './state.ts';
