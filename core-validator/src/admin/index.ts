// The admin HTTP API of the core [issue 4 item 6]: SIM import, trust store keys, provisions,
// edges, charging export, health and Prometheus metrics. Import as `@simedge/core-validator/admin`.
export { startAdminServer, type AdminOptions, type AdminServer } from './server.js';
export { ROUTES, match, type AdminCore, type Route } from './routes.js';
export { parseCsv, type CsvRecord } from './csv.js';
export { parseSimImport, checkSimImport, keyBytes, planCell, SIM_COLUMNS, MAX_IMPORT_ROWS, type RowError } from './sims.js';
export { trustKeyFromBody, keyView } from './keys.js';
