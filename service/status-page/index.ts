/**
 * The status page at `/` of `burnwatch serve`: a pure renderer from a
 * `StatusView` (which the service assembles) to one HTML document.
 */
export { renderStatusPage, renderStatusPageError } from './render.ts';
export { escapeHtml } from './html.ts';
export type { StatusAlert, StatusProbe, StatusRun, StatusSlo, StatusView } from './view.ts';
