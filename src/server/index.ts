/** The dashboard server (`genlab serve`): run folders, live events, the 2D playground, actions. */
export { startDashboard, isLoopback, WEB_DIST, type Dashboard, type ServeOptions } from './app.ts';
export { RunIndex, isCompletePng, type RunSummary, type RunStatus, type RunDetail, type MetricsColumns } from './runs.ts';
export { JsonlTail, lastRecord, parseMetricsLine, type MetricsRow } from './tail.ts';
export { PathError, confine, decodeRelative, checkRunName } from './safe-path.ts';
export { Playground, playgroundChoices, type PlaygroundRequest, type PlaygroundState } from './playground.ts';
export type { View2D } from './views2d.ts';
